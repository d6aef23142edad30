#!/bin/bash
# GPU reservations through `compose up`, inside sandbox.sh on a fake 2-GPU
# host (lib/fake_gpu_host.sh): two services reserving one GPU each get
# different GPUs and see only theirs; a third fails naming the holders and
# leaves no container; `down` frees every GPU. Run as: sandbox.sh bash compose_gpus.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "compose_gpus: FAIL: $*" >&2; exit 1; }
host=$(mktemp -d)
dir=$(mktemp -d)
b() { FAKE_NVML_GPUS="$host/gpus.txt" BRICK_HOST_ROOT="$host" "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
cleanup() {
  b compose -f "$dir/compose.yaml" down -t 0 >/dev/null 2>&1 || true
  rm -rf "$host" "$dir"
}
trap cleanup EXIT

source "$here/lib/fake_gpu_host.sh"
make_fake_gpu_host "$host" || fail "making the fake GPU host"
BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null

cat >"$dir/compose.yaml" <<'YAML'
name: ml
services:
  trainer-1: &trainer
    image: test/busybox
    command: [sleep, "1000"]
    network_mode: none
    deploy:
      resources:
        reservations:
          devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]
  trainer-2: *trainer
  trainer-3:
    <<: *trainer
    profiles: [third]
YAML
b compose -f "$dir/compose.yaml" up -d >/dev/null 2>&1 || fail "up: $(b compose -f "$dir/compose.yaml" up -d 2>&1)"
g1=$(b exec ml-trainer-1-1 sh -c 'ls /dev | grep "^nvidia[0-9]"')
g2=$(b exec ml-trainer-2-1 sh -c 'ls /dev | grep "^nvidia[0-9]"')
[ "$(echo "$g1" | wc -l)" = 1 ] && [ "$(echo "$g2" | wc -l)" = 1 ] || fail "each trainer should see one GPU: \`$g1\` \`$g2\`"
[ "$g1" != "$g2" ] || fail "both trainers got $g1"
b exec ml-trainer-1-1 sh -c 'test -c /dev/nvidiactl && test "$NVIDIA_DRIVER_ROOT" = /opt/driver' ||
  fail "the CDI spec's control node or env is missing"
# The device cgroup denies the GPU it was not given: a node made for it
# cannot be opened (without the cgroup, the fake GPU would answer ENXIO).
out=$(b exec ml-trainer-1-1 sh -c "mknod /tmp/other c 195 ${g2#nvidia} && cat /tmp/other" 2>&1) || true
echo "$out" | grep -q "Operation not permitted" || fail "trainer-1 could open trainer-2's GPU: $out"

set +e
out=$(b compose -f "$dir/compose.yaml" --profile third up -d 2>&1)
rc=$?
set -e
[ $rc != 0 ] || fail "a third reservation on a 2-GPU host succeeded"
echo "$out" | grep -q 'service `trainer-3` reserves 1 GPU (nvidia); 0 of 2 free' || fail "the refusal does not say why: $out"
echo "$out" | grep -q 'held by `ml/ml-trainer-1-1`' || fail "the refusal does not name the holder: $out"
b inspect ml-trainer-3-1 >/dev/null 2>&1 && fail "trainer-3's container exists after its GPU was refused"

b gpu ls | grep -q 'ml/ml-trainer-1-1' || fail "gpu ls does not show the holder: $(b gpu ls)"
b compose -f "$dir/compose.yaml" --profile third down -t 0 >/dev/null 2>&1 || fail "down"
[ -z "$(b gpu ls | awk 'NR > 1 && $NF != "-"')" ] || fail "GPUs still held after down: $(b gpu ls)"
[ -z "$(b ps -aq)" ] || fail "containers left"
echo "compose_gpus: ok"
