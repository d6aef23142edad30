#!/bin/bash
# One container, start to finish: `brick run --rm --network none IMAGE true`
# against `crun run` and `runc run` on an OCI bundle of the same busybox
# rootfs and `podman run --rm --network none` on the same rootfs imported;
# hyperfine medians of at least 20 runs and each one's ratio to brick's.
# Then the RSS of the monitor of an idle container against podman's conmon.
#
#   sudo bench/run_bench.sh            (BRICK=path/to/brick, RUNS=N)
#   sudo CGROUPS=v2 bench/run_bench.sh (the same on a pure cgroup v2 host)
#
# CGROUPS=v2 makes, inside the namespace, the pure cgroup v2 host most users
# have: the v1 hierarchies unmounted and the kernel's cgroup2 hierarchy
# mounted at /sys/fs/cgroup (without controllers here: they are bound to
# v1). That is where clone3's CLONE_INTO_CGROUP applies.
#
# Everything runs inside a private mount and network namespace: crun 1.8
# refuses this hybrid-cgroup host unless the cgroup2 mount's
# cgroup.controllers is hidden (MACHINE-NOTES), which is done only there.
# podman (through crun) needs that too, and rlimits within the hard limits.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run_bench: needs root" >&2; exit 1; }
brick=$(realpath "${BRICK:-build/cli/brick}")
runs=${RUNS:-30}
cgroups=${CGROUPS:-host}

if [ "${1:-}" != --inside ]; then
  missing=
  for tool in hyperfine crun runc podman busybox-static; do
    case $tool in busybox-static) [ -x /bin/busybox ] || missing="$missing busybox-static" ;;
      *) command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool" ;;
    esac
  done
  if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2
  fi
  exec unshare --net --mount --propagation private -- env BRICK="$brick" RUNS="$runs" CGROUPS="$cgroups" "$0" --inside
fi

ip link set lo up
work=$(mktemp -d /tmp/brick-bench.XXXXXX)
cleanup() {
  "$brick" --root "$work/root" --run-root "$work/run" rm -f rss >/dev/null 2>&1 || true
  podman rm -f brick-bench-rss >/dev/null 2>&1 || true
  podman rmi -f brick-bench/busybox >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The same rootfs for everyone.
rootfs=$work/bundle/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"

B() { "$brick" --root "$work/root" --run-root "$work/run" "$@"; }
B image import "$rootfs" brick-bench/busybox --change 'ENV PATH=/bin' >/dev/null
tar -C "$rootfs" -c . | podman import --change 'ENV PATH=/bin' - brick-bench/busybox >/dev/null

(cd "$work/bundle" && crun spec --rootless=false >/dev/null 2>&1 || crun spec)
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["true"]
c["process"]["terminal"] = False
c["process"]["env"] = ["PATH=/bin"]
# brick sets no rlimits by default; crun's RLIMIT_MEMLOCK one is refused on
# the v2 host made below.
c["process"].pop("rlimits", None)
json.dump(c, open(p, "w"))
PY

# crun's own `spec` has no seccomp filter and three capabilities; brick
# runs docker's profile and capability set. crun-spec is crun on the spec
# brick generates for this image (its config.json, rootfs aside): the same
# filter, capabilities, masked paths and namespaces.
id=$(B create --network none brick-bench/busybox true)
mkdir -p "$work/bundle-spec"
ln -s "$rootfs" "$work/bundle-spec/rootfs"
python3 - "$work/root/containers/$id/config.json" "$work/bundle-spec/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"] = {"path": "rootfs", "readonly": False}
json.dump(c, open(sys.argv[2], "w"))
PY
B rm "$id" >/dev/null

if [ "$cgroups" = v2 ]; then
  umount -R /sys/fs/cgroup
  mount -t cgroup2 none /sys/fs/cgroup
else
  # crun only: hide the cgroup2 controllers file in this namespace.
  touch "$work/empty"
  mount --bind "$work/empty" /sys/fs/cgroup/unified/cgroup.controllers
fi
echo "cgroups: $cgroups" >&2

# crun 1.8 raises RLIMIT_MEMLOCK for its v2 device program, above this
# machine's hard limit: on the v2 host it cannot run, and podman uses runc.
tools="brick crun crun-spec runc podman"
podman_runtime=
podman_run=
if [ "$cgroups" = v2 ]; then
  tools="brick runc podman"
  # No pids controller there (it is bound to v1): no pids limit either.
  podman_runtime="--runtime runc"
  podman_run="--pids-limit -1"
fi
commands=(-n brick "$brick --root $work/root --run-root $work/run run --rm --network none brick-bench/busybox true")
[ "$cgroups" = v2 ] || commands+=(-n crun "crun run -b $work/bundle bench-crun")
[ "$cgroups" = v2 ] || commands+=(-n crun-spec "crun run -b $work/bundle-spec bench-crun-spec")
commands+=(-n runc "runc run -b $work/bundle bench-runc")
commands+=(-n podman "podman $podman_runtime run $podman_run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 brick-bench/busybox true")
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/run.json" "${commands[@]}" >&2

python3 - "$work/run.json" $tools <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
base = r["brick"]["median"]
print(f"{'tool':9} {'median ms':>10} {'vs brick':>9}")
for name in sys.argv[2:]:
    m = r[name]["median"]
    print(f"{name:9} {m*1000:10.2f} {m/base:9.2f}x")
PY

# Memory of the process that watches one idle container.
B run -d --name rss --network none brick-bench/busybox sleep 1000 >/dev/null
monitor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["monitor_pid"])' \
  "$work/root/containers/$(B inspect -f '{{.Id}}' rss)/state.json")
# The monitor gives its start-up pages back once the container has run 1 s.
sleep 2
podman $podman_runtime run $podman_run -d --name brick-bench-rss --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 brick-bench/busybox sleep 1000 >/dev/null
conmon=$(podman inspect -f '{{.State.ConmonPid}}' brick-bench-rss)
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# RSS counts every shared-library page the process touched; what one more
# container really costs is its monitor's private dirty memory (heap,
# relocated data), which no other process shares.
dirty() { awk '/^Private_Dirty/ {print $2}' "/proc/$1/smaps_rollup"; }
echo "monitor RSS: brick $(rss "$monitor") kB, conmon $(rss "$conmon") kB"
echo "monitor private dirty: brick $(dirty "$monitor") kB, conmon $(dirty "$conmon") kB"
