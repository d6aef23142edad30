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

for sample in quickstart demo-env ml-dev; do
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

# ml-dev (issue 8): runs without a GPU by default; the `gpu` profile adds a
# trainer reserving one GPU, or as many as TRAINER_GPUS says.
m=(--project-directory "$src/samples/ml-dev")
[[ $(run "${m[@]}" config --services) == $'dataset-prepare\ntracking\nnotebook\ntrainer' ]] ||
  fail "ml-dev services: $(run "${m[@]}" config --services)"
out=$(run "${m[@]}" config) || fail "ml-dev config exited $?"
grep -q 'driver: nvidia' <<<"$out" && fail "ml-dev: a GPU reserved without the gpu profile"
grep -q 'host_ip: 127.0.0.1' <<<"$out" || fail "ml-dev: tracking not on 127.0.0.1"
grep -q 'condition: service_completed_successfully' <<<"$out" || fail "ml-dev: trainer does not wait for the data"
grep -q 'shm_size: "2147483648"' <<<"$out" || fail "ml-dev: trainer shm_size"
out=$(run "${m[@]}" --profile gpu config) || fail "ml-dev --profile gpu config exited $?"
sed -n '/^  trainer-gpu:/,/^  [a-z]/p' <<<"$out" | grep -q 'count: 1' || fail "ml-dev gpu: trainer-gpu does not reserve 1 GPU:
$out"
out=$(env -i PATH="$PATH" HOME=/root TRAINER_GPUS=all "$brick" --root "$tmp/root" compose "${m[@]}" --profile gpu config) || fail "ml-dev TRAINER_GPUS=all config exited $?"
sed -n '/^  trainer-gpu:/,/^  [a-z]/p' <<<"$out" | grep -q 'count: -1' || fail "ml-dev gpu: TRAINER_GPUS=all"
expected='DRY-RUN MODE -  Network ml-dev_default  Create
DRY-RUN MODE -  Volume "ml-dev_datasets"  Create
DRY-RUN MODE -  Volume "ml-dev_runs"  Create
DRY-RUN MODE -  Container ml-dev-dataset-prepare-1  Create
DRY-RUN MODE -  Container ml-dev-tracking-1  Create
DRY-RUN MODE -  Container ml-dev-dataset-prepare-1  Start
DRY-RUN MODE -  Container ml-dev-tracking-1  Start
DRY-RUN MODE -  Container ml-dev-notebook-1  Create
DRY-RUN MODE -  Container ml-dev-trainer-1  Create
DRY-RUN MODE -  Container ml-dev-notebook-1  Start
DRY-RUN MODE -  Container ml-dev-trainer-1  Start'
out=$(run "${m[@]}" up --dry-run) || fail "ml-dev up --dry-run exited $?"
[[ $out == "$expected" ]] || fail "ml-dev plan:
$out"
out=$(run "${m[@]}" --profile gpu up --dry-run) || fail "ml-dev --profile gpu up --dry-run exited $?"
grep -q 'Container ml-dev-trainer-gpu-1  Create' <<<"$out" || fail "ml-dev gpu plan:
$out"
[[ ! -e $tmp/root ]] || fail "an ml-dev dry run created $tmp/root"

# Selection, --no-deps and --scale shape the plan.
out=$(run "${q[@]}" up --dry-run --no-deps --scale worker=2 worker) || fail "up worker exited $?"
[[ $out == 'DRY-RUN MODE -  Network quickstart_default  Create
DRY-RUN MODE -  Container quickstart-worker-1  Create
DRY-RUN MODE -  Container quickstart-worker-2  Create
DRY-RUN MODE -  Container quickstart-worker-1  Start
DRY-RUN MODE -  Container quickstart-worker-2  Start' ]] || fail "up --no-deps --scale worker=2 worker:
$out"

# Without the image, up fails naming it before it creates anything.
env -i PATH="$PATH" HOME=/root "$brick" --root "$tmp/root" --run-root "$tmp/run" compose "${q[@]}" up -d >/dev/null 2>"$tmp/err" &&
  fail "up without the image succeeded"
grep -q 'brick.local/busybox' "$tmp/err" || fail "up without the image: $(cat "$tmp/err")"
[[ ! -e $tmp/root/networks && ! -e $tmp/root/volumes ]] || fail "a failed up created networks or volumes"
run "${q[@]}" up --dry-run --scale worker >/dev/null 2>"$tmp/err" && fail "bad --scale accepted"
grep -q 'invalid --scale `worker`: expected SERVICE=NUMBER' "$tmp/err" || fail "bad --scale: $(cat "$tmp/err")"
run "${q[@]}" up --dry-run nosuch >/dev/null 2>"$tmp/err" && fail "unknown service accepted"
grep -q 'no such service: nosuch' "$tmp/err" || fail "unknown service: $(cat "$tmp/err")"
echo ok
