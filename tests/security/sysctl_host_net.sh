#!/bin/bash
# CVE-2022-0811 class (sysctl injection): `net.*` sysctls are refused with
# network_mode: host, but a service could reach the host's network namespace
# through `network_mode: service:X` where X runs with host networking (or
# through a chain of `service:` references, or `container:NAME` where NAME
# does), and write host sysctls. The sandbox's namespace stands in for the
# host: its ip_forward must not change, and `up` must fail naming the
# service, the key and why. A service sharing a bridged service's namespace
# still sets its sysctl there (the control).
source "$(dirname "$0")/lib.sh"
attack_init sysctl_host_net
busybox_image test/busybox

forward=/proc/sys/net/ipv4/ip_forward
before=$(cat $forward)
want=$((1 - before))  # whatever the sandbox has, the attack writes the other value
dir=$attack_tmp/stack
mkdir -p "$dir"

sysctl_cleanup() {
  for p in chain peer control; do b compose -p $p -f "$dir/$p.yaml" down -t 0 >/dev/null 2>&1 || true; done
  attack_cleanup
}
trap sysctl_cleanup EXIT

unchanged() { [ "$(cat $forward)" = "$before" ] || fail "$1: the host's ip_forward became $(cat $forward)"; }

# up_refused NAME PATTERN [SERVICE]: `up` fails, says PATTERN, and the host is unchanged.
up_refused() {
  local rc=0
  b compose -p "$1" -f "$dir/$1.yaml" up -d ${3:-} >"$attack_tmp/out" 2>"$attack_tmp/err" || rc=$?
  unchanged "$1 ${3:-}"
  [ $rc -eq 1 ] || fail "$1 ${3:-}: up exited $rc, want 1: $(cat "$attack_tmp/err")"
  grep -q -- "$2" "$attack_tmp/err" || fail "$1 ${3:-}: error: $(cat "$attack_tmp/err")"
}

# service:X where X (and, in a chain, what X joins) has host networking:
# refused before anything is created.
cat >"$dir/chain.yaml" <<YAML
services:
  hostnet:
    image: test/busybox
    network_mode: host
    command: [sleep, "300"]
  middle:
    image: test/busybox
    network_mode: service:hostnet
    command: [sleep, "300"]
  direct:
    image: test/busybox
    network_mode: service:hostnet
    command: [sleep, "300"]
    sysctls: {net.ipv4.ip_forward: "$want"}
  chained:
    image: test/busybox
    network_mode: service:middle
    command: [sleep, "300"]
    sysctls: {net.ipv4.ip_forward: "$want"}
YAML
up_refused chain "service \`direct\`: sysctl \`net.ipv4.ip_forward\` is refused: network_mode \`service:hostnet\` shares the network namespace of service \`hostnet\`, which is the host's (network_mode: host)" direct
up_refused chain "service \`chained\`: sysctl \`net.ipv4.ip_forward\` is refused: network_mode \`service:middle\` shares the network namespace of service \`middle\`, which shares that of service \`hostnet\`, which is the host's" chained
[ -z "$(b ps -aq)" ] || fail "chain: up created containers: $(b ps -a)"

# container:NAME where NAME runs with host networking: only known once NAME
# runs, so the runtime refuses it (the namespace joined is its own).
b run -d --name hostbox --network host test/busybox sleep 300 >/dev/null
cat >"$dir/peer.yaml" <<YAML
services:
  peer:
    image: test/busybox
    network_mode: container:hostbox
    command: [sleep, "300"]
    sysctls: {net.ipv4.ip_forward: "$want"}
YAML
up_refused peer "sysctl \`net.ipv4.ip_forward\` needs the container's own network namespace: the one it joins is the host's"

# The control: sharing a bridged service's namespace, the sysctls are set
# there, and only there. (Not checked with ip_forward on the host side:
# bridge networking turns that on in the host's namespace itself.)
ttl=/proc/sys/net/ipv4/ip_default_ttl
ttl_before=$(cat $ttl)
cat >"$dir/control.yaml" <<YAML
services:
  bridged:
    image: test/busybox
    command: [sleep, "300"]
  joiner:
    image: test/busybox
    network_mode: service:bridged
    command: [sleep, "300"]
    sysctls: {net.ipv4.ip_forward: "$want", net.ipv4.ip_default_ttl: "42"}
YAML
b compose -p control -f "$dir/control.yaml" up -d >/dev/null 2>"$attack_tmp/err" || fail "control: $(cat "$attack_tmp/err")"
[ "$(cat $ttl)" = "$ttl_before" ] || fail "control: the host's ip_default_ttl became $(cat $ttl)"
[ "$(b exec control-bridged-1 cat $ttl)" = 42 ] || fail "control: ip_default_ttl in the shared namespace is not 42"
inside=$(b exec control-bridged-1 cat $forward)
[ "$inside" = "$want" ] || fail "control: ip_forward in the shared namespace is $inside, want $want"
echo "sysctl_host_net: ok"
