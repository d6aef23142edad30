#!/bin/bash
# `compose up --dry-run` against a real --root: existing volumes are not
# planned again, images in brick's store are checked by translating every
# container to create (a ulimit above brick's hard limit, no command), and a
# service whose image is missing is named in a warning.
set -u
fail() { echo "FAIL: $*"; exit 1; }
src=${BRICK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
brick=${BRICK:-$src/build/cli/brick}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
b() { env -i PATH="$PATH" HOME=/root "$brick" --root "$tmp/root" --run-root "$tmp/run" "$@"; }

# Two tiny images: one with a CMD, one without.
mkdir -p "$tmp/rootfs/bin" && echo x >"$tmp/rootfs/bin/marker"
b image import "$tmp/rootfs" brick.local/tiny:cmd --change 'CMD ["sh"]' >/dev/null || fail "import with CMD"
b image import "$tmp/rootfs" brick.local/tiny:bare >/dev/null || fail "import without CMD"
b volume create demo_data --label com.docker.compose.project=demo >/dev/null || fail "volume create"

mkdir "$tmp/demo"
cat >"$tmp/demo/compose.yaml" <<'YAML'
name: demo
services:
  app:
    image: brick.local/tiny:cmd
    volumes: [data:/data, cache:/cache]
  elsewhere:
    image: registry.example/absent:1
volumes:
  data:
  cache:
YAML
out=$(b compose --project-directory "$tmp/demo" create --dry-run 2>"$tmp/err") || fail "dry run exited $?: $(cat "$tmp/err")"
[[ $out == 'DRY-RUN MODE -  Network demo_default  Create
DRY-RUN MODE -  Volume "demo_cache"  Create
DRY-RUN MODE -  Container demo-app-1  Create
DRY-RUN MODE -  Container demo-elsewhere-1  Create' ]] || fail "plan with an existing volume:
$out"
grep -q 'service `elsewhere`: image `registry.example/absent:1` is not in brick'"'"'s image store' "$tmp/err" ||
  fail "no warning for the missing image: $(cat "$tmp/err")"
[[ $(wc -l <"$tmp/err") == 1 ]] || fail "other warnings: $(cat "$tmp/err")"

cat >"$tmp/demo/compose.yaml" <<'YAML'
name: demo
services:
  app:
    image: brick.local/tiny:bare
YAML
b compose --project-directory "$tmp/demo" up --dry-run >/dev/null 2>"$tmp/err" && fail "no command accepted"
grep -q 'service `app`: no command specified' "$tmp/err" || fail "no command: $(cat "$tmp/err")"

hard=$(ulimit -Hn)
if [[ $hard != unlimited ]]; then
  cat >"$tmp/demo/compose.yaml" <<YAML
name: demo
services:
  app:
    image: brick.local/tiny:cmd
    ulimits:
      nofile: $((hard + 1))
YAML
  b compose --project-directory "$tmp/demo" up --dry-run >/dev/null 2>"$tmp/err" && fail "ulimit above the hard limit accepted"
  grep -q "service \`app\`: ulimits.nofile: $((hard + 1)) is above brick's own hard limit $hard" "$tmp/err" ||
    fail "ulimit: $(cat "$tmp/err")"
fi
echo ok
