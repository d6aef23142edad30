#!/bin/bash
# Compose's per-network options, inside sandbox.sh: mac_address (per network
# and service-level) is the container interface's MAC, gw_priority picks the
# network of the default route while priority orders eth0/eth1, and
# extra_hosts `host-gateway` is that network's bridge address, through which
# a listener on the host side (the sandbox's namespace) answers. Also `brick
# run --mac-address/--add-host NAME:host-gateway`. Run as:
# sandbox.sh bash compose_netopts.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

fail() { echo "compose_netopts: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
tb() { timeout 120 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
dir=$(mktemp -d /tmp/brick-compose-netopts.XXXXXX)
listener=
cleanup() {
  [ -n "$listener" ] && kill "$listener" 2>/dev/null || true
  b rm -f runmac >/dev/null 2>&1 || true
  b compose -f "$dir/compose.yaml" down -v -t 1 >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$repo/samples/images/build-busybox" test/busybox >/dev/null

# app joins a (priority 10: eth0) and b (gw_priority 5: the default route);
# solo has a service-level MAC, which goes to its only (primary) network.
cat >"$dir/compose.yaml" <<'YAML'
name: netopts
services:
  app:
    image: test/busybox
    command: [sleep, "1000"]
    init: true
    networks:
      a: {priority: 10, mac_address: "02:00:00:aa:bb:01"}
      b: {gw_priority: 5}
    extra_hosts: ["host.docker.internal:host-gateway"]
  solo:
    image: test/busybox
    command: [sleep, "1000"]
    init: true
    mac_address: "02:00:00:aa:bb:02"
    networks: [b]
networks:
  a:
    ipam: {config: [{subnet: 10.231.1.0/24}]}
  b:
    ipam: {config: [{subnet: 10.231.2.0/24}]}
YAML
c() { b compose -f "$dir/compose.yaml" "$@"; }
x() { c exec -T "$@" </dev/null; }
tb compose -f "$dir/compose.yaml" up -d >"$dir/out" 2>&1 || fail "up -d: $(cat "$dir/out")"

# priority orders the interfaces; the per-network MAC is on a's interface.
[ "$(x app cat /sys/class/net/eth0/address)" = 02:00:00:aa:bb:01 ] ||
  fail "app eth0 MAC: $(x app ip addr)"
# (Outputs are captured first: with pipefail, `grep -q` closing the pipe
# early could fail the writer.)
has() { grep -qE "$2" <<<"$1"; }
has "$(x app ip -4 addr show eth0)" 'inet 10\.231\.1\.' || fail "eth0 is not on network a: $(x app ip addr)"
has "$(x app ip -4 addr show eth1)" 'inet 10\.231\.2\.' || fail "eth1 is not on network b: $(x app ip addr)"
# b's MAC is still the derived one (02:42 and the address).
has "$(x app cat /sys/class/net/eth1/address)" '^02:42:0a:e7:02:' || fail "app eth1 MAC: $(x app ip addr)"
[ "$(x solo cat /sys/class/net/eth0/address)" = 02:00:00:aa:bb:02 ] || fail "solo's service-level MAC: $(x solo ip addr)"

# gw_priority: the only default route goes via b's gateway on eth1.
routes=$(x app ip route)
[ "$(grep -c '^default' <<<"$routes")" = 1 ] || fail "not exactly one default route: $routes"
has "$routes" '^default via 10\.231\.2\.1 dev eth1' || fail "default route not via b: $routes"

# host-gateway: b's bridge address in /etc/hosts.
has "$(x app cat /etc/hosts)" '^10\.231\.2\.1[[:space:]]+host\.docker\.internal' ||
  fail "host-gateway not resolved: $(x app cat /etc/hosts)"

# The records show the same.
b inspect netopts-app-1 | python3 -c '
import json, sys
n = json.load(sys.stdin)[0]["NetworkSettings"]["Networks"]
assert n["netopts_a"]["MacAddress"] == "02:00:00:aa:bb:01", n
assert n["netopts_b"]["GwPriority"] == 5, n
assert n["netopts_b"]["Gateway"] == "10.231.2.1", n
' || fail "inspect: $(b inspect netopts-app-1)"

# A listener on the host side answers at host.docker.internal.
/bin/busybox nc -l -p 18099 -e /bin/busybox echo from-host &
listener=$!
got=
for _ in $(seq 50); do
  got=$(x app timeout 3 nc host.docker.internal 18099 2>/dev/null || true)
  [ "$got" = from-host ] && break
  sleep 0.1
done
[ "$got" = from-host ] || fail "the host side does not answer at host-gateway: '$got'"
listener=

# brick run: --mac-address on the first network, --add-host NAME:host-gateway.
out=$(b run --rm --init --network netopts_b --mac-address 02:00:00:aa:bb:03 --add-host gw:host-gateway test/busybox \
  sh -c 'cat /sys/class/net/eth0/address; grep -w gw /etc/hosts' 2>&1) || fail "run: $out"
has "$out" '^02:00:00:aa:bb:03$' || fail "run --mac-address: $out"
has "$out" '^10\.231\.2\.1[[:space:]]+gw$' || fail "run --add-host gw:host-gateway: $out"

# Errors name what is wrong.
err=$(b run --rm --network netopts_b --mac-address 01:00:5e:00:00:01 test/busybox true 2>&1) && fail "multicast MAC accepted"
has "$err" multicast || fail "multicast MAC: $err"
err=$(b run --rm --network none --add-host gw:host-gateway test/busybox true 2>&1) && fail "host-gateway without network"
has "$err" host-gateway || fail "host-gateway without network: $err"
cat >"$dir/bad.yaml" <<'YAML'
name: netoptsbad
services:
  broken:
    image: test/busybox
    networks:
      x: {mac_address: "02:00:00:zz:00:01"}
networks:
  x:
YAML
err=$(tb compose -f "$dir/bad.yaml" up -d 2>&1) && fail "a malformed mac_address was accepted"
has "$err" 'service `broken`' || fail "the mac_address error does not name the service: $err"
has "$err" '02:00:00:zz:00:01' || fail "the mac_address error does not name the value: $err"
b compose -f "$dir/bad.yaml" down -t 1 >/dev/null 2>&1 || true

c down -v -t 1 >/dev/null 2>&1 || fail "down"
has "$(b network ls)" netopts_ && fail "down left networks"
echo "compose_netopts: ok"
