#!/bin/bash
# Time to attach one container to a bridge network: brick's netlink path
# (net::attach) vs Debian's CNI `bridge` plugin (containernetworking-plugins)
# with host-local IPAM doing the same work: veth pair, one end on the bridge,
# the other moved into the namespace as eth0 with an address, lo up and a
# default route via the gateway. Both run inside a private network namespace
# (tests/integration/sandbox.sh); nothing reaches the host's network.
#
#   bench/net_attach_bench.sh [ROUNDS]      (default 100; needs root)
#   BUILD=build bench/net_attach_bench.sh   (where integ_net was built)
#
# Also iperf3 throughput (if installed): container to container on one
# bridge, host to container directly, and host to container through a
# published port (DNAT), reported as a fraction of the direct figure.
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-100}
build=${BUILD:-build}
export ROUNDS=$rounds

[ -x /usr/lib/cni/bridge ] || {
  echo "installing containernetworking-plugins" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends containernetworking-plugins >&2
}

echo "== brick (net::attach + detach, $rounds rounds)"
tests/integration/sandbox.sh "$build/tests/integration/integ_net" "attach time" | grep '^brick'

echo "== CNI bridge plugin ($(dpkg-query -W -f='${Version}' containernetworking-plugins), $rounds rounds)"
# shellcheck disable=SC2016
tests/integration/sandbox.sh bash -c '
  set -eu
  conf="{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"bridge\",\"bridge\":\"cnibr0\",
         \"isGateway\":true,\"ipMasq\":false,
         \"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.202.0.0/24\",\"dataDir\":\"$BRICK_RUN_ROOT/cni\"}}"
  export CNI_PATH=/usr/lib/cni CNI_IFNAME=eth0
  add=() del=()
  for i in $(seq 1 "$ROUNDS"); do
    ip netns add "b$i"
    export CNI_CONTAINERID="c$i" CNI_NETNS="/run/netns/b$i"
    t0=$(date +%s%N)
    CNI_COMMAND=ADD /usr/lib/cni/bridge <<<"$conf" >/dev/null
    t1=$(date +%s%N)
    CNI_COMMAND=DEL /usr/lib/cni/bridge <<<"$conf" >/dev/null
    t2=$(date +%s%N)
    ip netns del "b$i"
    add+=($(( (t1 - t0) / 1000 ))) del+=($(( (t2 - t1) / 1000 )))
  done
  median() { printf "%s\n" "$@" | sort -n | awk "{a[NR]=\$1} END {printf \"%.2f\", a[int((NR+1)/2)]/1000}"; }
  p90() { printf "%s\n" "$@" | sort -n | awk "{a[NR]=\$1} END {printf \"%.2f\", a[int(NR*0.9)]/1000}"; }
  echo "cni bridge ADD median $(median "${add[@]}") ms p90 $(p90 "${add[@]}") ms; DEL median $(median "${del[@]}") ms"
'

if command -v iperf3 >/dev/null 2>&1; then
  echo "== iperf3 (TCP, 3 s each; goal: published port >= 90% of direct)"
  tests/integration/sandbox.sh "$build/tests/integration/integ_net" "iperf3 throughput" | grep '^iperf3'
else
  echo "== iperf3 not installed (apt-get install iperf3): throughput skipped"
fi
