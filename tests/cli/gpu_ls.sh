#!/bin/bash
# brick gpu ls: GPUs of a fake host root (BRICK_HOST_ROOT, the fake NVML
# library built next to the tests) with the holders the ledger records.
set -u
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
die() { echo "FAIL: $*"; exit 1; }
fake=$(dirname "$BRICK")/../tests/fixtures/gpu/libnvidia-ml-fake.so
[[ -f $fake ]] || die "no fake NVML library at $fake (build the fake_nvml target)"
mkdir -p "$tmp/host/usr/lib/x86_64-linux-gnu" "$tmp/root/gpu"
cp "$fake" "$tmp/host/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"
printf 'GPU-1|NVIDIA Fake|85899345920|42949672960|0|0\nGPU-2|NVIDIA Fake|85899345920|85899345920|0|1\n' >"$tmp/gpus.txt"
echo '{"entries":[{"index":1,"uuid":"GPU-2","holder":"ml/trainer-1","shared":false}]}' >"$tmp/root/gpu/ledger.json"
b() { FAKE_NVML_GPUS="$tmp/gpus.txt" BRICK_HOST_ROOT="$tmp/host" "$BRICK" --root "$tmp/root" "$@"; }

out=$(b gpu ls) || die "gpu ls: $out"
expected="INDEX   NAME          UUID    MEMORY     FREE       HOLDER
0       NVIDIA Fake   GPU-1   81920MiB   40960MiB   -
1       NVIDIA Fake   GPU-2   81920MiB   81920MiB   ml/trainer-1"
[[ $out == "$expected" ]] || die "table: $out"
out=$(b gpu ls --format json) || die "json: $out"
[[ $(sed -n 2p <<<"$out") == *'"Holders":["ml/trainer-1"],"Index":1,'*'"Name":"NVIDIA Fake","Source":"nvml","UUID":"GPU-2"}' ]] ||
  die "json: $out"
out=$(b gpu ls --format yaml 2>&1) && die "bad --format accepted"
grep -q 'unsupported --format `yaml`' <<<"$out" || die "format message: $out"
# No GPU at all: an empty table, not an error.
out=$(BRICK_HOST_ROOT="$tmp/nothing" "$BRICK" --root "$tmp/root" gpu ls) || die "empty host: $out"
[[ $out == "INDEX   NAME   UUID   MEMORY   FREE   HOLDER" ]] || die "empty table: $out"
echo ok
