#!/bin/sh
# Layer unpacking and image loading, brick against the tools users have:
#   1. one ~SIZE_MB layer (gzip, then zstd): `brick image load` of a docker
#      archive holding it vs `tar -x` of the same compressed layer; load also
#      copies and hashes the blob, so tar is a floor, not a peer;
#   2. the same archive: `brick image load` vs `podman load` (Debian's podman,
#      overlay storage in a scratch --root).
#
#   bench/image_bench.sh [SIZE_MB]      (default 200)
#   BRICK=path/to/brick bench/image_bench.sh
#
# Prints medians and ratios; hyperfine's JSON goes to bench/results/.
# Needs root (ownership is preserved, as it is for a real load).
set -eu
cd "$(dirname "$0")/.."
size=${1:-200}

missing=
command -v hyperfine >/dev/null 2>&1 || missing="$missing hyperfine"
command -v podman >/dev/null 2>&1 || missing="$missing podman"
command -v zstd >/dev/null 2>&1 || missing="$missing zstd"
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2
fi

brick=${BRICK:-build-bench/cli/brick}
if [ -z "${BRICK:-}" ]; then
  [ -f build-bench/build.ninja ] || cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBRICK_TESTS=OFF \
    -DCMAKE_CXX_FLAGS=-Wno-error=restrict >&2
  cmake --build build-bench --target brick >&2
fi
brick=$(realpath "$brick")

mkdir -p bench/results
work=$(mktemp -d /var/tmp/brick-image-bench.XXXXXX)
trap 'umount -R "$work/podman" 2>/dev/null || true; rm -rf "$work"' EXIT

# A layer shaped like a real one: many small files, a few large ones, half
# compressible text, half random bytes.
python3 - "$work/tree" "$size" <<'PY'
import os, random, sys
root, size = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
rng = random.Random(42)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(4000)]
written, n = 0, 0
while written < size:
    d = os.path.join(root, f"usr/lib/pkg{n // 200}")
    os.makedirs(d, exist_ok=True)
    big = n % 97 == 0
    want = rng.randint(1 << 20, 8 << 20) if big else rng.randint(200, 40000)
    data = os.urandom(want) if n % 2 else b" ".join(rng.choice(words) for _ in range(want // 6))[:want]
    with open(os.path.join(d, f"f{n}"), "wb") as f:
        f.write(data)
    written += len(data)
    n += 1
print(f"{n} files, {written >> 20} MiB", file=sys.stderr)
PY
tar -C "$work/tree" -cf "$work/layer.tar" .
gzip -6 -c "$work/layer.tar" >"$work/layer.tar.gz"
zstd -q -3 -c "$work/layer.tar" >"$work/layer.tar.zst"

# docker-save archives around each compressed layer.
for c in gz zst; do
  python3 - "$work/layer.tar" "$work/layer.tar.$c" "$work/image-$c.tar" <<'PY'
import hashlib, io, json, os, sys, tarfile
plain, layer, out = sys.argv[1:]
h = hashlib.sha256()
with open(plain, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + h.hexdigest()]}}).encode()
cname = hashlib.sha256(config).hexdigest() + ".json"
with tarfile.open(out, "w") as t:
    manifest = json.dumps([{"Config": cname, "RepoTags": ["bench:latest"], "Layers": ["layer/layer.tar"]}]).encode()
    for name, data in (("manifest.json", manifest), (cname, config)):
        info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    t.add(layer, "layer/layer.tar")
PY
done
ls -l "$work"/*.tar* >&2

# Every run starts from empty stores and an empty target, with dirty pages
# flushed so no run pays for the one before.
podman="podman --root $work/podman --runroot $work/podman-run --storage-driver overlay"
cat >"$work/reset" <<RESET
#!/bin/sh
rm -rf $work/x $work/root
mkdir -p $work/x
$podman rmi -af >/dev/null 2>&1 || true
sync
RESET
chmod +x "$work/reset"

json=bench/results/image-$size.json
hyperfine --warmup 1 --min-runs ${RUNS:-5} --export-json "$json" \
  --prepare "$work/reset" \
  -n "tar -xzf" "tar -xzf $work/layer.tar.gz -C $work/x" \
  -n "brick load (gzip)" "$brick --root $work/root image load -q -i $work/image-gz.tar" \
  -n "tar --zstd -xf" "tar --zstd -xf $work/layer.tar.zst -C $work/x" \
  -n "brick load (zstd)" "$brick --root $work/root image load -q -i $work/image-zst.tar" \
  -n "podman load (gzip)" "$podman load -q -i $work/image-gz.tar" >&2

python3 - "$json" "$size" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
mb = int(sys.argv[2])
print(f"unpacking a {mb} MiB layer (medians)")
for name, t in r.items():
    print(f"  {name:20s} {t * 1000:9.0f} ms  {mb / t:7.1f} MiB/s")
print(f"  brick load (gzip) reaches {r['tar -xzf'] / r['brick load (gzip)'] * 100:.0f}% of tar -xzf's throughput")
print(f"  brick load (zstd) reaches {r['tar --zstd -xf'] / r['brick load (zstd)'] * 100:.0f}% of tar --zstd's; "
      f"{r['brick load (gzip)'] / r['brick load (zstd)']:.2f}x faster than gzip")
if "podman load (gzip)" in r:
    print(f"  podman load is {r['podman load (gzip)'] / r['brick load (gzip)']:.2f}x brick load")
PY
