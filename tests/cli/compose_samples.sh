#!/bin/bash
# The samples resolve (`compose config`, which `make up` runs) and plan as
# issue 7 describes them: `compose up --dry-run` on an empty --root prints
# every network, volume and container to create, level by level.
set -u
fail() { echo "FAIL: $*"; exit 1; }
src=${BRICK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
brick=${BRICK:-$src/build/cli/brick}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { env -i PATH="$PATH" HOME=/root "$brick" --root "$tmp/root" compose "$@"; }

for sample in quickstart demo-env; do
  dir=$src/samples/$sample
  run --project-directory "$dir" config -q || fail "$sample: config exited $?"
done

q=(--project-directory "$src/samples/quickstart")
[[ $(run "${q[@]}" config --services) == $'cache\ninit\nweb\nworker' ]] ||
  fail "quickstart services: $(run "${q[@]}" config --services)"
out=$(run "${q[@]}" config) || fail "quickstart config exited $?"
grep -q 'condition: service_completed_successfully' <<<"$out" || fail "quickstart: no one-shot dependency"
grep -q 'condition: service_healthy' <<<"$out" || fail "quickstart: no healthy dependency"
grep -q 'host_ip: 127.0.0.1' <<<"$out" || fail "quickstart: port not on 127.0.0.1"
grep -q 'image: brick.local/busybox:latest' <<<"$out" || fail "quickstart: not the busybox image"

expected='DRY-RUN MODE -  Network quickstart_default  Create
DRY-RUN MODE -  Volume "quickstart_site"  Create
DRY-RUN MODE -  Container quickstart-cache-1  Create
DRY-RUN MODE -  Container quickstart-init-1  Create
DRY-RUN MODE -  Container quickstart-cache-1  Start
DRY-RUN MODE -  Container quickstart-init-1  Start
DRY-RUN MODE -  Container quickstart-web-1  Create
DRY-RUN MODE -  Container quickstart-web-1  Start
DRY-RUN MODE -  Container quickstart-worker-1  Create
DRY-RUN MODE -  Container quickstart-worker-1  Start'
out=$(run "${q[@]}" up --dry-run) || fail "quickstart up --dry-run exited $?"
[[ $out == "$expected" ]] || fail "quickstart plan:
$out"
[[ ! -e $tmp/root ]] || fail "a dry run created $tmp/root"

d=(--project-directory "$src/samples/demo-env")
expected='DRY-RUN MODE -  Network demo-env_backend  Create
DRY-RUN MODE -  Network demo-env_frontend  Create
DRY-RUN MODE -  Volume "demo-env_demo-data"  Create
DRY-RUN MODE -  Container demo-env-seed-1  Create
DRY-RUN MODE -  Container demo-env-store-1  Create
DRY-RUN MODE -  Container demo-env-dashboard-1  Create'
out=$(run "${d[@]}" create --dry-run) || fail "demo-env create --dry-run exited $?"
[[ $out == "$expected" ]] || fail "demo-env plan:
$out"

# Selection, --no-deps and --scale shape the plan.
out=$(run "${q[@]}" up --dry-run --no-deps --scale worker=2 worker) || fail "up worker exited $?"
[[ $out == 'DRY-RUN MODE -  Network quickstart_default  Create
DRY-RUN MODE -  Container quickstart-worker-1  Create
DRY-RUN MODE -  Container quickstart-worker-2  Create
DRY-RUN MODE -  Container quickstart-worker-1  Start
DRY-RUN MODE -  Container quickstart-worker-2  Start' ]] || fail "up --no-deps --scale worker=2 worker:
$out"

# What is not done yet says so and changes nothing.
run "${q[@]}" up >/dev/null 2>"$tmp/err" && fail "up without --dry-run succeeded"
grep -q 'only --dry-run is implemented so far' "$tmp/err" || fail "up without --dry-run: $(cat "$tmp/err")"
run "${q[@]}" up --dry-run --scale worker >/dev/null 2>"$tmp/err" && fail "bad --scale accepted"
grep -q 'invalid --scale `worker`: expected SERVICE=NUMBER' "$tmp/err" || fail "bad --scale: $(cat "$tmp/err")"
run "${q[@]}" up --dry-run nosuch >/dev/null 2>"$tmp/err" && fail "unknown service accepted"
grep -q 'no such service: nosuch' "$tmp/err" || fail "unknown service: $(cat "$tmp/err")"
echo ok
