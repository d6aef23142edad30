#!/bin/bash
# `compose up -d` and `down` of the same stack files with brick and with
# podman-compose (Debian), on the same busybox image, each service on the
# project's default bridge network:
#   chain10  10 services, each depending on the one before
#   flat50   50 independent services
# Every service runs busybox `sleep` as PID 1, which ignores SIGTERM: `down`
# has to wait out the grace period (-t 2 here) or kill, so a down that
# stops containers one after another takes 50 grace periods, a parallel
# one about one. Medians of RUNS runs (default 3; podman-compose is slow).
#
#   sudo bench/compose_bench.sh          (BRICK=path/to/brick, RUNS=N,
#                                         STACKS="chain10 flat50",
#                                         TOOLS="brick podman-compose podman-run")
#
# Everything runs inside a private network and mount namespace; podman is
# given rlimits within this host's hard limits, the cgroupfs manager and
# (for crun, see MACHINE-NOTES) a hidden cgroup2 controllers file.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "compose_bench: needs root" >&2; exit 1; }
brick=$(realpath "${BRICK:-build/cli/brick}")
runs=${RUNS:-3}
grace=2

if [ "${1:-}" != --inside ]; then
  missing=
  for tool in podman podman-compose crun; do command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"; done
  [ -x /bin/busybox ] || missing="$missing busybox-static"
  if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2
  fi
  exec unshare --net --mount --propagation private -- env BRICK="$brick" RUNS="$runs" \
    STACKS="${STACKS:-chain10 flat50}" TOOLS="${TOOLS:-brick podman-compose podman-run}" "$0" --inside
fi

ip link set lo up
work=$(mktemp -d /tmp/brick-compose-bench.XXXXXX)
export CONTAINERS_CONF=$work/containers.conf
cat >"$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
B() { "$brick" --root "$work/root" --run-root "$work/run" "$@"; }
cleanup() {
  for stack in chain10 flat50; do
    B compose -f "$work/$stack.yaml" down -t 0 >/dev/null 2>&1 || true
    podman-compose -f "$work/$stack.yaml" down -t 0 >/dev/null 2>&1 || true
    podman_run_down "$stack" >/dev/null 2>&1 || true
  done
  # podman-compose 1.0.3 leaves its network (named after the directory).
  podman network ls --format '{{.Name}}' | grep "^$(basename "$work" | tr -d . | tr "[:upper:]" "[:lower:]")_" | xargs -r podman network rm -f >/dev/null 2>&1 || true
  podman rmi -f brick-bench/busybox >/dev/null 2>&1 || true
  podman image prune -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"
B image import "$rootfs" brick-bench/busybox --change 'ENV PATH=/bin' >/dev/null
tar -C "$rootfs" -c . | podman import --change 'ENV PATH=/bin' - brick-bench/busybox >/dev/null

# crun (podman's runtime) only: hide the cgroup2 controllers file here.
touch "$work/empty"
mount --bind "$work/empty" /sys/fs/cgroup/unified/cgroup.controllers

python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
def write(name, n, chain):
    lines = [f"name: {name}", "services:"]
    for i in range(n):
        lines += [f"  s{i}:", "    image: localhost/brick-bench/busybox", '    command: ["sleep", "1000"]']
        if chain and i > 0:
            lines += ["    depends_on:", f"      - s{i - 1}"]
    open(f"{work}/{name}.yaml", "w").write("\n".join(lines) + "\n")
write("chain10", 10, True)
write("flat50", 50, False)
PY
# brick's store knows the image by the name it was imported as.
B image tag brick-bench/busybox localhost/brick-bench/busybox >/dev/null 2>&1 ||
  sed -i 's|localhost/brick-bench/busybox|brick-bench/busybox|' "$work/chain10.yaml" "$work/flat50.yaml"
cp "$work/chain10.yaml" "$work/chain10.podman.yaml"
cp "$work/flat50.yaml" "$work/flat50.podman.yaml"
sed -i 's|image: brick-bench/busybox|image: localhost/brick-bench/busybox|' "$work"/*.podman.yaml

# seconds <command...>: wall time of one run, which must succeed.
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$work/out" 2>&1 || { echo "failed: $*" >&2; cat "$work/out" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

podman_run_up() {
  local n=${1//[a-z]/} i
  podman network create "bench_$1" >/dev/null
  if [ "$1" = chain10 ]; then
    for i in $(seq 0 $((n - 1))); do
      podman run -d --network "bench_$1" --name "bench-$1-s$i" localhost/brick-bench/busybox sleep 1000 >/dev/null
    done
  else
    for i in $(seq 0 $((n - 1))); do
      podman run -d --network "bench_$1" --name "bench-$1-s$i" localhost/brick-bench/busybox sleep 1000 >/dev/null &
    done
    wait
  fi
  [ "$(podman ps -q --filter "name=bench-$1-" | wc -l)" = "$n" ]
}
podman_run_down() {
  podman ps -aq --filter "name=bench-$1-" | xargs -r podman rm -f -t "$grace" >/dev/null
  podman network rm "bench_$1" >/dev/null
}

printf '%-8s %-15s %10s %10s\n' stack tool "up -d (s)" "down (s)"
for stack in $STACKS; do
  for tool in $TOOLS; do
    ups=() downs=()
    for _ in $(seq "$runs"); do
      if [ "$tool" = brick ]; then
        ups+=("$(seconds B compose -f "$work/$stack.yaml" up -d)")
        [ "$(B compose -f "$work/$stack.yaml" ps -q | wc -l)" = "${stack//[a-z]/}" ] ||
          { echo "brick: not every service of $stack runs" >&2; exit 1; }
        downs+=("$(seconds B compose -f "$work/$stack.yaml" down -t "$grace")")
      elif [ "$tool" = podman-run ]; then
        # The floor for podman: its own CLI, one `podman run -d` per service,
        # all at once, on one bridge network (made and removed in the timing,
        # as compose does). The chain is run in order.
        ups+=("$(seconds podman_run_up "$stack")")
        downs+=("$(seconds podman_run_down "$stack")")
      else
        ups+=("$(seconds podman-compose -f "$work/$stack.podman.yaml" up -d)")
        downs+=("$(seconds podman-compose -f "$work/$stack.podman.yaml" down -t "$grace")")
      fi
    done
    up=$(printf '%s\n' "${ups[@]}" | median)
    down=$(printf '%s\n' "${downs[@]}" | median)
    printf '%-8s %-15s %10.2f %10.2f\n' "$stack" "$tool" "$up" "$down"
    echo "$stack $tool $up $down" >>"$work/results"
  done
done

python3 - "$work/results" <<'PY'
import sys
r = {}
for line in open(sys.argv[1]):
    stack, tool, up, down = line.split()
    r[(stack, tool)] = (float(up), float(down))
for (stack, tool), p in sorted(r.items()):
    b = r.get((stack, "brick"))
    if tool == "brick" or not b:
        continue
    print(f"{stack}: brick up {p[0] / b[0]:.1f}x faster than {tool}, down {p[1] / b[1]:.1f}x")
PY
