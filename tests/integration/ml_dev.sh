#!/bin/bash
# samples/ml-dev end to end (issue 8), inside sandbox.sh, as its README tells
# a user to run it. brick.local/python:3 is made first by samples/images/
# build-python, outside the sandbox's network namespace (CMakeLists.txt sets
# BRICK_SANDBOX_SETUP to lib/python_image.sh).
#  - CPU profile on a host without a GPU: dataset-prepare completes, the
#    trainer exits 0, the tracking server serves its metrics on 127.0.0.1,
#    the notebook runs and sees the data and the runs;
#  - `gpu` profile on a fake 2-GPU host (lib/fake_gpu_host.sh): trainer-gpu
#    gets exactly the GPU the ledger gave it, `gpu ls` names it; asking for
#    more GPUs than are free fails naming the holders and leaves no
#    trainer-gpu; without a CDI spec, the driver libraries brick binds in
#    are in the container's ld.so.cache, made by the image's ldconfig;
#  - `down -v` leaves no container, volume, network or ledger entry.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)
sample=$(cd "$here/../../samples/ml-dev" && pwd)

fail() {
  echo "ml_dev: FAIL: $*" >&2
  exit 1
}
host=$(mktemp -d)
nogpu=$(mktemp -d)
# brick as the README runs it, against a fake host root; the small knobs
# keep the trainer short.
b() { FAKE_NVML_GPUS="$host/gpus.txt" BRICK_HOST_ROOT="${HOST_ROOT:-$nogpu}" "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
c() { b compose --project-directory "$sample" "$@"; }
cleanup() {
  c --profile gpu down -v -t 0 >/dev/null 2>&1 || true
  for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$host" "$nogpu"
}
trap cleanup EXIT
export DATASET_ROWS=500 EPOCHS=4 TRAINER_GPUS=1
# Any port is free in the sandbox's own network namespace; a random one
# still shows the port is the variable's, not the sample's default.
TRACKING_PORT=$((20000 + RANDOM % 20000))
while ss -ltn | grep -q ":$TRACKING_PORT "; do TRACKING_PORT=$((TRACKING_PORT + 1)); done
export TRACKING_PORT

b image inspect brick.local/python:3 >/dev/null || fail "no brick.local/python:3 in the test's root (the setup step makes it)"
state_of() { c ps -a --format json | jq -r --arg s "$1" 'select(.Service == $s) | "\(.State) \(.ExitCode)"'; }
fetch() { curl -fsS --max-time 5 "http://127.0.0.1:$TRACKING_PORT/$1"; }

# ---- CPU profile, on a host without a GPU.
start=$(date +%s)
out=$(c up -d 2>&1) || fail "up -d: $out"
[ "$(state_of dataset-prepare)" = "exited 0" ] || fail "dataset-prepare: $(state_of dataset-prepare), not exited 0: $(c logs dataset-prepare 2>&1)"
code=$(c wait trainer) || fail "the trainer exited $code: $(c logs trainer 2>&1)"
metrics=$(fetch cpu/metrics.jsonl) || fail "GET /cpu/metrics.jsonl from 127.0.0.1:$TRACKING_PORT failed: $(c logs tracking 2>&1)"
[ "$(jq -s 'map(.epoch) == [1,2,3,4]' <<<"$metrics")" = true ] || fail "metrics.jsonl does not hold epochs 1-4: $metrics"
[ "$(fetch cpu/summary.json | jq -c '.gpus')" = "[]" ] || fail "the CPU trainer saw GPU nodes"
fetch cpu/ckpt-004.json >/dev/null || fail "no checkpoint of the last epoch"
[ "$(state_of tracking)" = "running 0" ] || fail "tracking is $(state_of tracking)"
c ps --format json | jq -e 'select(.Service == "tracking") | .Health == "healthy"' >/dev/null || fail "tracking is not healthy"
[ "$(state_of notebook)" = "running 0" ] || fail "notebook is $(state_of notebook)"
seen=$(c exec -T notebook python3 -c 'import os; print(os.listdir("/data"), os.listdir("/runs"), os.getcwd(), os.path.exists("/work/app/train.py"))') ||
  fail "exec in the notebook: $seen"
[ "$seen" = "['dataset.csv'] ['cpu'] /work True" ] || fail "the notebook does not see the data, runs and code: $seen"
echo "ml_dev: CPU profile up and trained in $(($(date +%s) - start)) s" >&2

# ---- gpu profile, on a fake 2-GPU host.
source "$here/lib/fake_gpu_host.sh"
make_fake_gpu_host "$host" || fail "making the fake GPU host"
export HOST_ROOT=$host
out=$(c --profile gpu up -d 2>&1) || fail "up --profile gpu: $out"
code=$(c wait trainer-gpu) || fail "trainer-gpu exited $code: $(c logs trainer-gpu 2>&1)"
gpus=$(fetch gpu/summary.json | jq -c '.gpus') || fail "no /gpu/summary.json"
held=$(b gpu ls --format json | jq -r 'select(.Holders == ["ml-dev/ml-dev-trainer-gpu-1"]) | .Index')
[ "$(wc -w <<<"$held")" = 1 ] || fail "gpu ls does not show one GPU held by ml-dev/ml-dev-trainer-gpu-1: $(b gpu ls)"
[ "$gpus" = "[\"/dev/nvidia$held\"]" ] || fail "trainer-gpu saw $gpus, not exactly /dev/nvidia$held (the GPU the ledger gave it)"
c logs trainer-gpu | grep -q "NVIDIA_VISIBLE_DEVICES=" || fail "trainer-gpu's log: $(c logs trainer-gpu 2>&1)"
[ "$(state_of trainer)" = "exited 0" ] || fail "the CPU trainer is $(state_of trainer) after up --profile gpu"

# brick's own injection (no CDI spec): the driver's libraries, bound in
# read-only, are in the container's ld.so.cache, made by the image's own
# (Debian's) ldconfig. `compose run` gets the GPU trainer-gpu does not hold,
# under a holder of its own, and frees it with --rm.
driver=$(mktemp -d)
cp -a "$host/." "$driver/"
rm -rf "$driver/etc/cdi"
lib=$driver/usr/lib/x86_64-linux-gnu
cc -shared -x c /dev/null -Wl,-soname,libcuda.so.1 -o "$lib/libcuda.so.1" || fail "making a stub libcuda.so.1"
echo /usr/lib/x86_64-linux-gnu >"$driver/etc/ld.so.conf"
ldconfig -r "$driver" || fail "ldconfig -r $driver"
set +e
cache=$(HOST_ROOT=$driver c --profile gpu run --rm -T trainer-gpu \
  sh -c 'ls /dev | grep "^nvidia[0-9]"; grep -v "^#" /etc/ld.so.conf.d/000-brick-devices.conf; ldconfig -p | grep -E "lib(cuda|nvidia-ml)\.so" | sort' 2>"$driver.err")
rc=$?
set -e
err=$(cat "$driver.err")
rm -rf "$driver" "$driver.err"
[ $rc = 0 ] || fail "run trainer-gpu with brick's own injection exited $rc: $cache $err"
[ "$cache" = "nvidia$((1 - held))
/usr/lib/x86_64-linux-gnu
	libcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1
	libnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1" ] ||
  fail "not the free GPU, or the injected libraries are not in the container's ld.so.cache: $cache"
c exec -T notebook sh -c 'ldconfig -p | grep -q nvidia || test -e /etc/ld.so.conf.d/000-brick-devices.conf' &&
  fail "the notebook, which reserves no GPU, has the driver libraries in its ld.so.cache"

# More GPUs than are free: the other GPU is held outside the project, so
# 2 do not fit (the refusal names the holder), nor 3, more than the host has.
b run -d --name other --gpus 1 brick.local/python:3 sleep 600 >/dev/null || fail "run --gpus 1 other"
for n in 2 3; do
  set +e
  out=$(TRAINER_GPUS=$n c --profile gpu up -d 2>&1)
  rc=$?
  set -e
  [ $rc != 0 ] || fail "TRAINER_GPUS=$n on a 2-GPU host with 1 held succeeded"
  if [ $n = 2 ]; then
    why='reserves 2 GPUs \(nvidia\); 1 of 2 free: GPU [01] held by `other`$'
  else
    why='reserves 3 GPUs \(nvidia\); this host has 2 GPUs$'
  fi
  grep -Eq "^brick: service \`trainer-gpu\`: (re)?creating \`ml-dev-trainer-gpu-1\`: service \`trainer-gpu\` $why" <<<"$out" ||
    fail "TRAINER_GPUS=$n: the refusal does not say why: $out"
  [ -z "$(c ps -a --format json | jq -r 'select(.Service == "trainer-gpu") | .Name')" ] ||
    fail "TRAINER_GPUS=$n: trainer-gpu is left behind: $(c ps -a)"
  b gpu ls | grep -q trainer-gpu && fail "TRAINER_GPUS=$n: a GPU is still held by trainer-gpu: $(b gpu ls)"
  [ "$(state_of tracking)" = "running 0" ] || fail "TRAINER_GPUS=$n: tracking is $(state_of tracking)"
done
b rm -f other >/dev/null

# ---- down -v: nothing left.
c --profile gpu down -v -t 0 >/dev/null 2>&1 || fail "down -v: $(c --profile gpu down -v -t 0 2>&1)"
[ -z "$(b ps -aq)" ] || fail "containers left after down -v: $(b ps -a)"
[ -z "$(b volume ls -q)" ] || fail "volumes left after down -v: $(b volume ls)"
[ "$(b network ls --format json | jq -r .Name | grep -c ml-dev)" = 0 ] || fail "networks left after down -v: $(b network ls)"
[ -z "$(b gpu ls --format json | jq -r '.Holders[]')" ] || fail "GPUs still held after down -v: $(b gpu ls)"
[ -z "$(ip -o link show type bridge)" ] || fail "bridges left after down -v: $(ip -o link show type bridge)"
echo "ml_dev: ok"
