#!/bin/sh
# `config` on a generated N-service stack: brick vs docker-compose (Debian's
# v1, Python) vs podman-compose, timed with hyperfine after a warmup.
#
#   bench/config_bench.sh [N]     (default 200 services)
#   BRICK=path/to/brick bench/config_bench.sh
#
# Prints each tool's median and its ratio to brick's; hyperfine's JSON goes to
# bench/results/config-N.json. Debian's podman-compose (1.0.3) has no `config`
# command; `--dry-run ps` is the nearest: it loads, merges and validates the
# file the same way, then prints the podman command instead of running it
# (no podman needed).
set -eu
cd "$(dirname "$0")/.."
n=${1:-200}

missing=
command -v hyperfine >/dev/null 2>&1 || missing="$missing hyperfine"
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
command -v podman-compose >/dev/null 2>&1 || missing="$missing podman-compose"
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2
fi

# A release build: timing a Debug brick would measure the wrong thing.
brick=${BRICK:-build-bench/cli/brick}
if [ -z "${BRICK:-}" ]; then
  # GCC 12 at -O3 reports a false -Wrestrict inside std::string's operator+.
  [ -f build-bench/build.ninja ] || cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBRICK_TESTS=OFF \
    -DCMAKE_CXX_FLAGS=-Wno-error=restrict >&2
  cmake --build build-bench --target brick >&2
fi

mkdir -p bench/results
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
file=$work/compose.yaml
python3 bench/gen_stack.py -n "$n" -o "$file"
mkdir -p "$work/config"

# Fail loudly rather than time a tool that errors out in a millisecond.
"$brick" compose -f "$file" config -q
docker-compose -f "$file" config -q
podman-compose --dry-run -f "$file" ps >/dev/null

json=bench/results/config-$n.json
hyperfine --warmup 3 --min-runs 10 --export-json "$json" \
  -n brick "$brick compose -f $file config -q" \
  -n docker-compose "docker-compose -f $file config -q" \
  -n podman-compose "podman-compose --dry-run -f $file ps" >&2

python3 - "$json" "$n" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = results["brick"]["median"]
print(f"config on {sys.argv[2]} services (median of {results['brick']['times'].__len__()}+ runs)")
for name, r in results.items():
    print(f"  {name:15s} {r['median'] * 1000:9.1f} ms   {r['median'] / base:6.1f}x brick")
PY
