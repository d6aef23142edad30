#!/bin/bash
# `brick compose config` on a small stack: YAML and JSON output, the listing
# flags, -o, -f - and service selection.
set -u
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/compose.yaml" <<'YAML'
name: demo
services:
  web:
    image: nginx:1.25
    ports:
      - "8080:80"
    depends_on: [cache]
    environment:
      PRICE: "$$9.99"
  cache:
    image: redis:7
    volumes:
      - data:/data
  tool:
    build: ./tool
    profiles: [tools]
volumes:
  data:
YAML
mkdir -p "$tmp/tool"
cd "$tmp" || exit 1
run() { env -i PATH="$PATH" HOME=/root "$BRICK" compose "$@"; }

out=$(run config) || fail "config exited $?"
grep -q '^name: demo$' <<<"$out" || fail "no name line: $out"
grep -q '^      - mode: ingress$' <<<"$out" || fail "ports not in long form: $out"
grep -q '^        published: "8080"$' <<<"$out" || fail "published not quoted: $out"
grep -q 'PRICE: \$\$9.99' <<<"$out" || fail "dollar not escaped: $out"
if grep -q 'tool:' <<<"$out"; then fail "inactive profile service printed"; fi

run config --format json >"$tmp/out.json" || fail "json exited $?"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["services"]["web"]["ports"][0]["published"]=="8080"' \
  "$tmp/out.json" || fail "json does not parse or lacks the port"

[[ $(run config --services) == $'cache\nweb' ]] || fail "--services: $(run config --services)"
[[ $(run config --volumes) == data ]] || fail "--volumes: $(run config --volumes)"
[[ $(run config --profiles) == tools ]] || fail "--profiles: $(run config --profiles)"
[[ $(run config --images) == $'redis:7\nnginx:1.25' ]] || fail "--images: $(run config --images)"

# Naming a service keeps it and what it depends on.
out=$(run config cache) || fail "config cache exited $?"
if grep -q '^  web:' <<<"$out"; then fail "unselected service printed"; fi
grep -q '^  cache:' <<<"$out" || fail "selected service missing"
run config nosuch >/dev/null 2>"$tmp/err" && fail "unknown service accepted"
grep -q 'no such service: nosuch' "$tmp/err" || fail "unknown service message: $(cat "$tmp/err")"

# -o writes the file and nothing on stdout.
[[ -z $(run config -o "$tmp/written.yaml") ]] || fail "-o also printed on stdout"
cmp -s "$tmp/written.yaml" <(run config) || fail "-o content differs from stdout output"

# -f - reads stdin.
out=$(printf 'services:\n  solo:\n    image: busybox\n' | run -p piped -f - config --services) || fail "-f - exited $?"
[[ $out == solo ]] || fail "-f - gave: $out"

# --no-interpolate keeps ${VAR} as written.
printf 'services:\n  a:\n    image: "busybox:${TAG:-1}"\n' >"$tmp/interp.yaml"
out=$(run -f interp.yaml config --no-interpolate) || fail "--no-interpolate exited $?"
grep -q 'image: busybox:\${TAG:-1}' <<<"$out" || fail "--no-interpolate output: $out"
exit 0
