#!/bin/bash
# `brick run --gpus` end to end inside sandbox.sh, on a fake 2-GPU host
# (BRICK_HOST_ROOT: the fake NVML library, /dev/nvidia* made with mknod, a
# CDI spec): two containers asking for one GPU each get different ones and see
# only their own node; a third fails before anything of it exists, naming the
# holders; removing the first frees its GPU; the CDI spec's hooks run. Run as: sandbox.sh bash run_gpus.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "run_gpus: FAIL: $*" >&2; exit 1; }
host=$(mktemp -d)
b() { FAKE_NVML_GPUS="$host/gpus.txt" BRICK_HOST_ROOT="$host" "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
cleanup() { for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done; rm -rf "$host"; }
trap cleanup EXIT

source "$here/lib/fake_gpu_host.sh"
make_fake_gpu_host "$host" || fail "making the fake GPU host"

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null
IMG=test/busybox

b run -d --name t1 --gpus 1 "$IMG" sleep 100 >/dev/null
b run -d --name t2 --gpus 1 "$IMG" sleep 100 >/dev/null
n1=$(b exec t1 sh -c 'ls /dev | grep "^nvidia[0-9]"')
n2=$(b exec t2 sh -c 'ls /dev | grep "^nvidia[0-9]"')
[ "$(echo "$n1" | wc -l)" = 1 ] && [ "$(echo "$n2" | wc -l)" = 1 ] || fail "each container should see one GPU node: \`$n1\` \`$n2\`"
[ "$n1" != "$n2" ] || fail "both containers got $n1"
b exec t1 sh -c 'test -c /dev/nvidiactl && cat /opt/driver/README && echo "$NVIDIA_DRIVER_ROOT"' |
  tr '\n' ' ' | grep -qx 'driver files /opt/driver ' || fail "the CDI spec's control node, mount or env is missing in t1"
b exec t1 sh -c 'echo x > /opt/driver/README' 2>/dev/null && fail "the CDI mount is writable"
# The CDI spec's createContainer hook ran with the bundle it was given: its
# link is in the rootfs.
[ "$(b exec t1 cat /driver-readme)" = "driver files" ] || fail "the CDI createContainer hook's link is missing in t1"
# The major/minor are the host's.
[ "$(b exec t1 stat -c '%t:%T' "/dev/$n1")" = "c3:${n1#nvidia}" ] || fail "wrong major/minor for /dev/$n1"

# A third: no GPU left, a clear error, nothing left of it.
set +e
err=$(b run -d --name t3 --gpus 1 "$IMG" sleep 100 2>&1)
rc=$?
set -e
[ $rc = 125 ] || fail "a third reservation exited $rc, not 125: $err"
echo "$err" | grep -q '0 of 2 free' || fail "the error does not say why: $err"
echo "$err" | grep -q 'held by `t1`' || fail "the error does not name the holders: $err"
b inspect t3 >/dev/null 2>&1 && fail "a container t3 exists after its GPUs were refused"

b gpu ls | grep -q ' t1$' || fail "gpu ls does not show t1 as a holder: $(b gpu ls)"
t1=$(b inspect -f '{{.Id}}' t1)
b rm -f t1 >/dev/null
# Its poststop hook ran once the container stopped, before rm returned.
grep -qx "$t1 stopped" "$host/poststop.log" || fail "no poststop hook for t1: $(cat "$host/poststop.log" 2>&1)"
b gpu ls | grep -q ' t1$' && fail "t1's GPU is still held after rm: $(b gpu ls)"
b run -d --name t3 --gpus 1 "$IMG" sleep 100 >/dev/null || fail "the freed GPU could not be reserved"
[ "$(b exec t3 sh -c 'ls /dev | grep "^nvidia[0-9]"')" = "$n1" ] || fail "t3 did not get t1's freed GPU"

# device=ID pins; a held one is refused, whoever asks.
b run --rm --gpus "device=${n2#nvidia}" "$IMG" true 2>/dev/null && fail "device=${n2#nvidia} is held by t2 but was granted"
# A run --rm frees its GPUs when it ends; `all` takes every GPU.
b rm -f t2 t3 >/dev/null
b run --rm --gpus all "$IMG" sh -c 'ls /dev | grep -c "^nvidia[0-9]"' | grep -qx 2 || fail "--gpus all did not give both GPUs"
[ -z "$(b gpu ls | awk 'NR > 1 && $NF != "-"')" ] || fail "GPUs still held after everything went: $(b gpu ls)"
echo "run_gpus: ok"
