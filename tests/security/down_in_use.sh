#!/bin/bash
# `compose down -v` of one project must not take a volume or a network from
# under another project's running container. Projects A and B declare the
# same volume and network by explicit `name:` (A makes them, B is warned and
# shares them); B's container runs. `down -v` on A keeps both, says why
# ("Resource is still in use", naming B's container), exits 0 as docker
# compose does, and B's container still reads and writes the volume and
# reaches the network. Once B is down, nothing uses them, and `down -v` on
# A, whose labels they carry, removes them.
source "$(dirname "$0")/lib.sh"
attack_init down_in_use
busybox_image test/busybox
dir=$attack_tmp/stacks
mkdir -p "$dir"

down_cleanup() {
  for p in a b; do b compose -p $p -f "$dir/$p.yaml" down -v -t 0 >/dev/null 2>&1 || true; done
  attack_cleanup
}
trap down_cleanup EXIT

for p in a b; do
  cat >"$dir/$p.yaml" <<YAML
services:
  web:
    image: test/busybox
    command: [sleep, "300"]
    volumes: [data:/data]
    networks: [net]
volumes:
  data: {name: shared-data}
networks:
  net: {name: shared-net}
YAML
done

b compose -p a -f "$dir/a.yaml" up -d >/dev/null 2>&1 || fail "up a"
b compose -p b -f "$dir/b.yaml" up -d >/dev/null 2>"$attack_tmp/err" || fail "up b: $(cat "$attack_tmp/err")"
b exec b-web-1 sh -c 'echo from-b >/data/file' || fail "b cannot write the shared volume"
gateway=$(b network inspect shared-net | sed -n 's/.*"Gateway": *"\([^"]*\)".*/\1/p' | head -1)
[ -n "$gateway" ] || fail "no gateway in: $(b network inspect shared-net)"
b exec b-web-1 ping -c 1 -W 2 "$gateway" >/dev/null || fail "b cannot reach its gateway before the attack"

rc=0
b compose -p a -f "$dir/a.yaml" down -v -t 0 >"$attack_tmp/out" 2>"$attack_tmp/err" || rc=$?
[ $rc -eq 0 ] || fail "down -v on a exited $rc: $(cat "$attack_tmp/err")"
grep -q 'Volume shared-data  Resource is still in use by container b-web-1' "$attack_tmp/err" ||
  fail "no warning for the volume: $(cat "$attack_tmp/err")"
grep -q 'Network shared-net  Resource is still in use by container b-web-1' "$attack_tmp/err" ||
  fail "no warning for the network: $(cat "$attack_tmp/err")"
grep -q 'Container a-web-1  Removed' "$attack_tmp/err" || fail "a's container was not removed: $(cat "$attack_tmp/err")"
b volume ls -q | grep -qx shared-data || fail "down -v on a removed the volume b uses"
b network ls | grep -qw shared-net || fail "down -v on a removed the network b uses"
[ "$(b exec b-web-1 cat /data/file)" = from-b ] || fail "b's volume lost its data"
b exec b-web-1 sh -c 'echo again >>/data/file' || fail "b can no longer write its volume"
b exec b-web-1 ping -c 1 -W 2 "$gateway" >/dev/null || fail "b lost its network"
[ "$(b ps -q --filter name=b-web-1 | wc -l)" -eq 1 ] || fail "b's container is not running: $(b ps -a)"

# B down: its container goes; the volume and network are A's (its labels).
b compose -p b -f "$dir/b.yaml" down -v -t 0 >/dev/null 2>"$attack_tmp/err" || fail "down b: $(cat "$attack_tmp/err")"
[ -z "$(b ps -aq)" ] || fail "containers left after both downs: $(b ps -a)"
# Unused now: the project that made them removes them.
b compose -p a -f "$dir/a.yaml" down -v -t 0 >/dev/null 2>"$attack_tmp/err" || fail "second down a: $(cat "$attack_tmp/err")"
b volume ls -q | grep -qx shared-data && fail "the shared volume is left once nothing uses it"
b network ls | grep -qw shared-net && fail "the shared network is left once nothing uses it"
echo "down_in_use: ok"
