#!/bin/bash
# `brick network` end to end inside sandbox.sh: create two networks, check
# subnets, bridges, NAT/isolation rules and output, remove and prune them,
# and check nothing is left, rules included; a create that fails half-way
# leaves no bridge and no rules. Run as: sandbox.sh bash network_cli.sh (ctest sets $BRICK).
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
# The sandbox keeps the host's /sys, which shows the host's links; a fresh
# sysfs in this private mount namespace shows ours.
mount -t sysfs sysfs /sys

fail() { echo "network_cli: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }

id_a=$(b network create --label team=web alpha)
[[ $id_a =~ ^[0-9a-f]{64}$ ]] || fail "create printed \`$id_a\`, not an ID"
b network create --subnet 192.168.99.0/24 --gateway 192.168.99.254 -o com.docker.network.bridge.name=brbeta \
  -o com.docker.network.driver.mtu=1400 --internal beta >/dev/null

br_a="br-${id_a:0:12}"
for br in "$br_a" brbeta; do
  [ -d "/sys/class/net/$br/bridge" ] || fail "bridge $br missing"
  (( $(cat "/sys/class/net/$br/flags") & 1 )) || fail "bridge $br is down"
done
[ "$(cat /sys/class/net/brbeta/mtu)" = 1400 ] || fail "brbeta mtu"
ip -4 addr show dev brbeta | grep -q 'inet 192.168.99.254/24' || fail "brbeta lacks its gateway"

inspect=$(b network inspect alpha beta)
python3 - "$inspect" <<'PY' || fail "inspect output: $inspect"
import ipaddress, json, sys
a, b = json.loads(sys.argv[1])
assert a["Name"] == "alpha" and a["Driver"] == "bridge" and a["Labels"] == {"team": "web"}
assert b["Internal"] is True and b["IPAM"]["Config"] == [{"Subnet": "192.168.99.0/24", "Gateway": "192.168.99.254"}]
sa = ipaddress.ip_network(a["IPAM"]["Config"][0]["Subnet"])
assert not sa.overlaps(ipaddress.ip_network("192.168.99.0/24"))
PY
subnet_a=$(echo "$inspect" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["IPAM"]["Config"][0]["Subnet"])')
ip -4 addr show dev "$br_a" | grep -q "inet $(echo "$inspect" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["IPAM"]["Config"][0]["Gateway"])')/" \
  || fail "$br_a lacks its gateway"

# The rules, as nft itself shows them: alpha masquerades its subnet going
# out and may not forward into another brick bridge; the internal beta has
# no masquerade and forwards nothing in or out.
table=$(nft list table ip brick) || fail "no brick nftables table after create"
grep -Fq "ip saddr $subnet_a oifname != \"$br_a\" masquerade" <<<"$table" || fail "no masquerade for alpha: $table"
grep -Fq "iifname \"$br_a\" oifname != \"$br_a\" oifname @bridges drop" <<<"$table" || fail "alpha not isolated: $table"
! grep -Fq "ip saddr 192.168.99.0/24" <<<"$table" || fail "internal beta masquerades: $table"
grep -Fq "iifname \"brbeta\" oifname != \"brbeta\" drop" <<<"$table" || fail "internal beta can forward out: $table"
grep -Fq "oifname \"brbeta\" iifname != \"brbeta\" drop" <<<"$table" || fail "internal beta can be forwarded to: $table"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "forwarding off after creating alpha"

ls_out=$(b network ls)
head -1 <<<"$ls_out" | grep -Eq '^NETWORK ID +NAME +DRIVER +SCOPE$' || fail "ls header: $ls_out"
grep -Eq "^${id_a:0:12} +alpha +bridge +local$" <<<"$ls_out" || fail "ls row: $ls_out"
[ "$(b network ls -q | wc -l)" = 2 ] || fail "ls -q"
ls_json=$(b network ls --format json)
python3 - "$ls_json" "${id_a:0:12}" <<'PY' || fail "ls json: $ls_json"
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines()]
assert [r["Name"] for r in rows] == ["alpha", "beta"]
assert rows[0]["ID"] == sys.argv[2] and rows[0]["Labels"] == "team=web" and rows[0]["Driver"] == "bridge"
assert rows[1]["Internal"] == "true" and rows[0]["Internal"] == "false"
PY

# Errors name the network and exit non-zero.
if err=$(b network create alpha 2>&1); then fail "duplicate create succeeded"; fi
grep -q 'network `alpha` already exists' <<<"$err" || fail "duplicate error: $err"
if err=$(b network rm nosuch 2>&1); then fail "rm of a missing network succeeded"; fi
grep -q 'nosuch' <<<"$err" || fail "rm error: $err"

[ "$(b network rm alpha)" = alpha ] || fail "rm output"
[ ! -e "/sys/class/net/$br_a" ] || fail "$br_a left behind"
table=$(nft list table ip brick) || fail "rm alpha took beta's rules too"
! grep -Fq "$br_a" <<<"$table" || fail "rules of $br_a left behind: $table"
grep -Fq '"brbeta"' <<<"$table" || fail "rm alpha took beta's rules: $table"
b network prune -f | grep -qx beta || fail "prune output"
[ ! -e /sys/class/net/brbeta ] || fail "brbeta left behind"
if table=$(nft list table ip brick 2>&1); then fail "brick table left after prune: $table"; fi
[ -z "$(b network ls -q)" ] || fail "records left behind"
[ -z "$(ls "$BRICK_ROOT/networks" | grep -v '^lock$' || true)" ] || fail "files left in networks/"
# A create whose rules cannot be made (nft rejects a bridge name with a
# quote, which the kernel accepts) fails after its bridge exists: the bridge
# goes again and no rules, table or record stay.
if err=$(b network create -o 'com.docker.network.bridge.name=br"q' quoted 2>&1); then
  fail "create with an unusable bridge name succeeded"
fi
grep -q 'network `quoted`' <<<"$err" || fail "error does not name the network: $err"
[ ! -e '/sys/class/net/br"q' ] || fail "bridge of the failed create left behind"
if table=$(nft list table ip brick 2>&1); then fail "rules of the failed create left behind: $table"; fi
[ -z "$(b network ls -q)" ] || fail "record of the failed create left behind"

echo "network_cli: ok"
