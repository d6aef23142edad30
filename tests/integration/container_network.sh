#!/bin/bash
# `brick run --network/-p` end to end inside sandbox.sh: containers on a
# user-defined network find each other by name and alias, another network
# and an --internal one cannot reach them, a published port answers on the
# sandbox's 127.0.0.1, `port`/`ps`/`inspect` show it, a restarted server is
# found again, and `rm -f` (also after a kill -9 of a monitor) leaves no
# veth, pin, address, port rule or process behind.
# Run as: sandbox.sh bash container_network.sh (ctest sets $BRICK).
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)
# Links are listed with `ip` (netlink): a fresh sysfs on /sys would hide
# the cgroup mounts the containers need.

fail() { echo "container_network: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
# This sandbox's monitors (others may run brick on this machine too).
monitor_lines() {
  for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' 2>/dev/null <"$f"; echo; done | grep -F -- "--root $BRICK_ROOT " | grep 'container-monitor' || true
}
monitors() { monitor_lines | wc -l; }
cleanup() {
  for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done
  b network prune -f >/dev/null 2>&1 || true
}
trap cleanup EXIT
# busybox 1.35 wget -T segfaults here: timeouts come from `timeout`.
# Retries a command for up to 5 s (a server that just started).
eventually() { for _ in $(seq 50); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; "$@"; }

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null
IMG=test/busybox
b network create front >/dev/null
b network create back >/dev/null
b network create --internal sealed >/dev/null

# A web server on `front`, answering to its name and the alias `www`, and
# published on the sandbox's loopback.
serve='echo hello-from-$(hostname) >/srv/www/index.html; exec httpd -f -p 80 -h /srv/www'
b run -d --name web --hostname webhost --network front --network-alias www -p 127.0.0.1:18080:80 "$IMG" \
  sh -c "$serve" >/dev/null
web_ip=$(b inspect -f '{{.NetworkSettings.Networks.front.IPAddress}}' web)
[[ $web_ip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "web has no address: $web_ip"

# --init: `timeout` signals the command it runs, which as PID 1 would
# ignore the signal and wait out TCP's own connect timeout (minutes).
get() { b run --rm --init "$@"; }
eventually get --network front "$IMG" timeout 3 wget -q -O - http://web/ || fail "web not reachable by name from front"
[ "$(get --network front "$IMG" timeout 3 wget -q -O - http://web/)" = hello-from-webhost ] || fail "web by name: wrong page"
[ "$(get --network front "$IMG" timeout 3 wget -q -O - http://www/)" = hello-from-webhost ] ||
  fail "web not reachable by its alias"
get --network front "$IMG" cat /etc/hosts | grep -Eq "^$web_ip\s+www web webhost$" ||
  fail "hosts file of a peer: $(get --network front "$IMG" cat /etc/hosts)"
# Another network: neither the name nor the address leads there.
if get --network back "$IMG" timeout 3 wget -q -O - "http://$web_ip/" >/dev/null 2>&1; then
  fail "a container on another network reached web"
fi
if get --network back "$IMG" timeout 3 wget -q -O - http://web/ >/dev/null 2>&1; then
  fail "web resolved on another network"
fi
# --internal: no default route, nothing beyond the bridge.
routes=$(get --network sealed "$IMG" ip route)
! grep -q default <<<"$routes" || fail "internal network has a default route: $routes"
if get --network sealed "$IMG" timeout 3 wget -q -O - "http://$web_ip/" >/dev/null 2>&1; then
  fail "a container on an internal network reached web"
fi
# Another container's namespace: web's loopback is its loopback.
[ "$(get --network container:web "$IMG" timeout 3 wget -q -O - http://127.0.0.1/)" = hello-from-webhost ] ||
  fail "container:web does not share web's network"
# The published port, from the sandbox side.
eventually timeout 3 busybox wget -q -O - http://127.0.0.1:18080/ || fail "published port 127.0.0.1:18080 does not answer"
[ "$(timeout 3 busybox wget -q -O - http://127.0.0.1:18080/)" = hello-from-webhost ] || fail "published port: wrong page"
[ "$(b port web)" = "80/tcp -> 127.0.0.1:18080" ] || fail "port: $(b port web)"
[ "$(b port web 80)" = "127.0.0.1:18080" ] || fail "port web 80: $(b port web 80)"
b ps | grep -q '127.0.0.1:18080->80/tcp' || fail "ps PORTS: $(b ps)"
b inspect web | python3 -c '
import json, sys
n = json.load(sys.stdin)[0]
s = n["NetworkSettings"]
e = s["Networks"]["front"]
assert e["Aliases"] == ["www"] and e["Gateway"] and e["MacAddress"].startswith("02:42:"), e
assert s["Ports"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}, s["Ports"]
assert n["HostConfig"]["NetworkMode"] == "front", n["HostConfig"]["NetworkMode"]
' || fail "inspect NetworkSettings: $(b inspect -f '{{json .NetworkSettings}}' web)"

# A long-running peer: its hosts file follows others coming and going.
b run -d --name client --network front "$IMG" sleep 1000 >/dev/null
b exec client grep -q webhost /etc/hosts || fail "client's hosts lacks web: $(b exec client cat /etc/hosts)"
b run -d --name late --network front "$IMG" sleep 1000 >/dev/null
b exec client grep -q late /etc/hosts || fail "client's hosts did not gain late: $(b exec client cat /etc/hosts)"
b rm -f late >/dev/null
! b exec client grep -q late /etc/hosts || fail "client's hosts kept late after rm"
# A restarted server is found again by name.
b restart -t 1 web >/dev/null
eventually b exec client timeout 3 wget -q -O - http://web/ || fail "web not reachable after a restart"
[ "$(b exec client timeout 3 wget -q -O - http://www/)" = hello-from-webhost ] || fail "alias lost after a restart"
[ "$(timeout 3 busybox wget -q -O - http://127.0.0.1:18080/)" = hello-from-webhost ] || fail "port lost after a restart"

# A restart by the restart policy keeps the namespace (and its address).
b run -d --name flaky --restart on-failure:2 --network front "$IMG" \
  sh -c 'readlink /proc/self/ns/net; ip -4 addr show eth0 | grep inet; exit 1' >/dev/null
[ "$(b wait flaky)" = 1 ] || fail "flaky's exit code"
[ "$(b logs flaky 2>&1 | wc -l)" = 6 ] || fail "flaky did not run 3 times: $(b logs flaky 2>&1)"
[ "$(b logs flaky 2>&1 | sort -u | wc -l)" = 2 ] || fail "a policy restart changed the namespace: $(b logs flaky 2>&1)"
b rm flaky >/dev/null

# Refusals: exit 125, naming what is at fault, leaving nothing.
links_before=$(ip -o link show type veth | wc -l)
set +e
err=$(b run --rm --network nosuch "$IMG" true 2>&1); rc=$?
[ $rc = 125 ] && grep -q 'network nosuch not found' <<<"$err" || fail "unknown network: rc $rc: $err"
err=$(b run -d --name clash --network back -p 127.0.0.1:18080:80 "$IMG" sleep 100 2>&1); rc=$?
[ $rc = 125 ] && grep -q 18080 <<<"$err" || fail "a taken port: rc $rc: $err"
err=$(b network rm front 2>&1); rc=$?
[ $rc != 0 ] && grep -q 'network front has active endpoints' <<<"$err" || fail "rm of a used network: rc $rc: $err"
set -e
b rm -f clash >/dev/null
[ "$(ip -o link show type veth | wc -l)" = "$links_before" ] || fail "a failed start left a veth"

# kill -9 of a monitor, then rm -f: the record's network goes anyway.
b run -d --name doomed --network front -p 127.0.0.1:18081:80 "$IMG" sh -c "$serve" >/dev/null
doomed_id=$(b inspect -f '{{.Id}}' doomed)
doomed_pid=$(b inspect -f '{{.State.Pid}}' doomed)
monitor=
for f in /proc/[0-9]*/cmdline; do
  if tr '\0' ' ' 2>/dev/null <"$f" | grep -q "container-monitor $doomed_id"; then monitor=$(cut -d/ -f3 <<<"$f"); fi
done
[ -n "$monitor" ] || fail "no monitor for doomed"
kill -9 "$monitor"
b rm -f doomed >/dev/null
# The container outlived its monitor; rm takes it and its cgroup too.
# (A zombie is dead: who reaps it is the host's init, outside the sandbox.)
alive() { [ -e "/proc/$1" ] && ! grep -Eq '^State:\s+Z' "/proc/$1/status" 2>/dev/null; }
for _ in $(seq 50); do alive "$doomed_pid" || break; sleep 0.1; done
! alive "$doomed_pid" || fail "the container of a killed monitor survived rm -f"
[ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$doomed_id" 2>/dev/null)" ] || fail "kill -9 + rm left the cgroup"
[ ! -e "$BRICK_RUN_ROOT/netns/$doomed_id" ] || fail "kill -9 + rm left the pin"
! nft list table ip brick 2>/dev/null | grep -q 18081 || fail "kill -9 + rm left the port rule"

# Everything removed: nothing of the network stays.
for id in $(b ps -aq); do b rm -f "$id" >/dev/null; done
[ -z "$(ip -o link show type veth)" ] || fail "veths left: $(ip -o link show type veth)"
[ -z "$(ls -A "$BRICK_RUN_ROOT/netns" 2>/dev/null)" ] || fail "pins left: $(ls "$BRICK_RUN_ROOT/netns")"
! grep -q "$BRICK_RUN_ROOT/netns" /proc/self/mountinfo || fail "pin mounts left"
for net in front back sealed; do
  python3 -c 'import json,sys; a = json.load(open(sys.argv[1]))["IPAM"]["allocations"]; assert not a, a' \
    "$BRICK_ROOT/networks/$net.json" || fail "addresses left in $net"
done
! nft list table ip brick | grep -q 'chain p_' || fail "port chains left: $(nft list table ip brick)"
[ -z "$(ls -A "$BRICK_RUN_ROOT/ports" 2>/dev/null)" ] || fail "port reservations left: $(ls "$BRICK_RUN_ROOT/ports")"
monitors_gone() { [ "$(monitors)" = 0 ]; }
eventually monitors_gone || fail "monitors left: $(monitor_lines)"
b network rm front back sealed >/dev/null
echo "container_network: ok"
