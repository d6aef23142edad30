#!/bin/bash
# `brick compose up/ps/logs/down` end to end inside sandbox.sh: an init job
# (service_completed_successfully) writes a named volume another service
# reads; a second `up` touches nothing; a changed environment recreates only
# that service, keeping its anonymous volume unless -V;
# a failing init job fails `up`, naming it, and leaves its
# dependents unstarted; the foreground `up` streams prefixed logs and stops
# on SIGINT (exit 130); `down -v` leaves no record, volume, network, monitor
# or mount. Name resolution and ports are compose_network.sh's; healthchecks
# and the samples (which wait for healthy services) compose_health.sh's.
# Run as: sandbox.sh bash compose_up.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "compose_up: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
# Only this sandbox's: other tests may run beside this one.
monitors() { grep -l "[c]ontainer-monitor" /proc/[0-9]*/cmdline 2>/dev/null | xargs -r grep -l "$BRICK_ROOT" 2>/dev/null | wc -l; }
dir=$(mktemp -d /tmp/brick-compose-up.XXXXXX)
c() { b compose --project-directory "$dir" "$@"; }
cleanup() {
  for p in itest itest-fail itest-fg; do b compose --project-directory "$dir" -p $p down -v -t 1 >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null

cat >"$dir/compose.yaml" <<'YAML'
name: itest
services:
  init:
    image: test/busybox
    command: [sh, -c, "echo seeded > /data/status; echo init-done; exit ${INIT_EXIT:-0}"]
    volumes: [data:/data]
  reader:
    image: test/busybox
    command: [sh, -c, "cat /data/status; [ -f /cache/mark ] && echo kept-anonymous; touch /cache/mark; echo MODE=$$MODE; exec sleep 1000"]
    environment:
      MODE: ${MODE:-one}
    volumes: [data:/data:ro, /cache]
    init: true
    depends_on:
      init: {condition: service_completed_successfully}
  other:
    image: test/busybox
    command: [sleep, "1000"]
    init: true
volumes:
  data:
YAML

# up -d: the job runs to completion before its dependent starts.
c up -d >"$dir/out" 2>&1 || fail "up -d: $(cat "$dir/out")"
for line in "Network itest_default  Created" 'Volume "itest_data"  Created' "Container itest-init-1  Created" \
  "Container itest-init-1  Exited" "Container itest-reader-1  Started" "Container itest-other-1  Started"; do
  grep -qF "$line" "$dir/out" || fail "up -d does not say \`$line\`: $(cat "$dir/out")"
done
[ "$(grep -n 'itest-init-1  Exited' "$dir/out" | cut -d: -f1)" -lt "$(grep -n 'itest-reader-1  Started' "$dir/out" | cut -d: -f1)" ] ||
  fail "reader started before init completed: $(cat "$dir/out")"

# ps: running by default, all with -a; -q, --services, --format json.
[ "$(c ps -q | wc -l)" = 2 ] || fail "ps -q: $(c ps)"
[ "$(c ps -aq | wc -l)" = 3 ] || fail "ps -aq: $(c ps -a)"
[ "$(c ps --services | tr '\n' ' ')" = "other reader " ] || fail "ps --services: $(c ps --services)"
c ps | grep -E '^itest-reader-1 .* Up ' >/dev/null || fail "ps: $(c ps)"
c ps -a --format json | grep '"Service":"init"' | grep -q '"ExitCode":0' || fail "ps --format json: $(c ps -a --format json)"

# logs: the volume written by init is read by reader; prefixes, --no-log-prefix, -n.
for _ in $(seq 50); do c logs reader 2>/dev/null | grep -q MODE= && break; sleep 0.1; done
c logs reader | grep -q '^reader-1  | seeded$' || fail "logs reader: $(c logs reader)"
c logs reader | grep -q '^reader-1  | MODE=one$' || fail "logs reader: $(c logs reader)"
[ "$(c logs --no-log-prefix init)" = init-done ] || fail "logs --no-log-prefix init: $(c logs init)"
[ "$(c logs -n 1 --no-log-prefix reader)" = MODE=one ] || fail "logs -n 1: $(c logs -n 1 reader)"
c logs -t init | grep -Eq '^init-1  \| 20[0-9-]+T[0-9:.]+Z init-done$' || fail "logs -t: $(c logs -t init)"

# A second up on the unchanged stack recreates and creates nothing.
before=$(c ps -aq | sort)
c up -d >"$dir/out" 2>&1 || fail "second up -d: $(cat "$dir/out")"
grep -Eq 'Recreate|Created' "$dir/out" && fail "second up changed something: $(cat "$dir/out")"
[ "$(c ps -aq | sort)" = "$before" ] || fail "second up changed container IDs"
c up -d --wait --wait-timeout 30 >"$dir/out" 2>&1 || fail "up --wait: $(cat "$dir/out")"
grep -qF "Container itest-other-1  Running" "$dir/out" || fail "up --wait: $(cat "$dir/out")"

# A changed environment recreates only that service.
other_id=$(c ps -q other)
reader_id=$(c ps -q reader)
MODE=two c up -d >"$dir/out" 2>&1 || fail "up with MODE=two: $(cat "$dir/out")"
grep -qF "Container itest-reader-1  Recreated" "$dir/out" || fail "reader not recreated: $(cat "$dir/out")"
grep -q "itest-other-1  Recreated" "$dir/out" && fail "other recreated: $(cat "$dir/out")"
[ "$(c ps -q other)" = "$other_id" ] || fail "other's container changed"
[ "$(c ps -q reader)" != "$reader_id" ] || fail "reader's container did not change"
for _ in $(seq 50); do c logs reader 2>/dev/null | grep -q MODE=two && break; sleep 0.1; done
c logs reader | grep -q 'MODE=two' || fail "recreated reader: $(c logs reader)"
c logs reader | grep -q 'seeded' || fail "the volume did not survive the recreate: $(c logs reader)"
c logs reader | grep -q 'kept-anonymous' || fail "the anonymous volume was not kept on recreate: $(c logs reader)"

# -V: the recreated reader gets a fresh anonymous volume, the old one goes.
vols_before=$(b volume ls -q | sort)
MODE=two c up -d -V reader >"$dir/out" 2>&1 || fail "up -V: $(cat "$dir/out")"
grep -qF "Container itest-reader-1  Recreated" "$dir/out" || fail "up -V did not recreate reader: $(cat "$dir/out")"
for _ in $(seq 50); do c logs reader 2>/dev/null | grep -q MODE=two && break; sleep 0.1; done
c logs reader | grep -q 'MODE=two' || fail "reader after up -V: $(c logs reader)"
c logs reader | grep -q 'kept-anonymous' && fail "up -V kept the anonymous volume: $(c logs reader)"
vols_after=$(b volume ls -q | sort)
[ "$(comm -23 <(echo "$vols_before") <(echo "$vols_after") | wc -l)" = 1 ] &&
  [ "$(comm -13 <(echo "$vols_before") <(echo "$vols_after") | wc -l)" = 1 ] ||
  fail "up -V should swap one anonymous volume: before $vols_before, after $vols_after"

# compose stop / start / restart / kill / rm.
c stop -t 1 >"$dir/out" 2>&1 || fail "stop: $(cat "$dir/out")"
[ -z "$(c ps -q)" ] || fail "stop left running: $(c ps)"
c start >"$dir/out" 2>&1 || fail "start: $(cat "$dir/out")"
[ "$(c ps -q | wc -l)" = 2 ] || fail "start: $(c ps -a)"
c kill other >/dev/null 2>&1 || fail "kill other"
for _ in $(seq 50); do [ "$(c ps -q | wc -l)" = 1 ] && break; sleep 0.1; done
[ "$(c ps -q | wc -l)" = 1 ] || fail "kill other: $(c ps -a)"
c rm -f other >/dev/null 2>&1 || fail "rm other"
[ "$(c ps -aq | wc -l)" = 2 ] || fail "rm other: $(c ps -a)"

# down without -v keeps the named volume and its data for the next up.
b run --rm -v itest_data:/data test/busybox sh -c 'echo survivor > /data/keep' || fail "writing into itest_data"
c down -t 1 >"$dir/out" 2>&1 || fail "down: $(cat "$dir/out")"
b volume ls | grep -q itest_data || fail "down without -v removed the volume: $(b volume ls)"
c up -d >"$dir/out" 2>&1 || fail "up -d after down: $(cat "$dir/out")"
[ "$(b run --rm -v itest_data:/data test/busybox cat /data/keep)" = survivor ] || fail "the volume's data did not survive down + up"

# down -v: nothing of the project is left.
c down -v -t 1 >"$dir/out" 2>&1 || fail "down -v: $(cat "$dir/out")"
grep -qF "Network itest_default  Removed" "$dir/out" || fail "down: $(cat "$dir/out")"
[ -z "$(b ps -aq)" ] || fail "down left records: $(b ps -a)"
[ -z "$(b volume ls | tail -n +2)" ] || fail "down -v left volumes: $(b volume ls)"
b network ls | grep -q itest && fail "down left networks: $(b network ls)"
[ "$(monitors)" = 0 ] || fail "down left monitors"
grep -q "$BRICK_ROOT" /proc/self/mounts && fail "down left mounts: $(grep "$BRICK_ROOT" /proc/self/mounts)"

# down after a kill -9 of the monitors: records of dead containers, the
# network and the volume still go.
c up -d >"$dir/out" 2>&1 || fail "up -d before kill -9: $(cat "$dir/out")"
ids=$(c ps -aq)
for f in $(grep -l "[c]ontainer-monitor" /proc/[0-9]*/cmdline 2>/dev/null | xargs -r grep -l "$BRICK_ROOT" 2>/dev/null); do
  pid=${f#/proc/}; kill -9 "${pid%/cmdline}" 2>/dev/null || true
done
c down -v -t 1 >"$dir/out" 2>&1 || fail "down -v after kill -9: $(cat "$dir/out")"
[ -z "$(b ps -aq)" ] || fail "down after kill -9 left records: $(b ps -a)"
for id in $ids; do
  [ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null)" ] || fail "down after kill -9 left cgroups of $id"
done
b network ls | grep -q itest && fail "down after kill -9 left networks: $(b network ls)"
[ -z "$(b volume ls | tail -n +2)" ] || fail "down after kill -9 left volumes: $(b volume ls)"

# A failing init job: up fails naming it and its code; reader is not started.
set +e
INIT_EXIT=1 c -p itest-fail up -d >"$dir/out" 2>&1; rc=$?
set -e
[ $rc != 0 ] || fail "up with a failing init job exited 0"
grep -q "init.*exited with code 1" "$dir/out" || fail "the error does not name init and its code: $(cat "$dir/out")"
grep -q "itest-fail-reader-1  Started" "$dir/out" && fail "reader started: $(cat "$dir/out")"
[ -z "$(c -p itest-fail ps -q reader)" ] || fail "reader runs: $(c -p itest-fail ps -a)"
[ -n "$(c -p itest-fail ps -q other)" ] || fail "other (independent) does not run: $(c -p itest-fail ps -a)"
c -p itest-fail down -v -t 1 >/dev/null 2>&1 || fail "down itest-fail"

# A GPU reservation on a host without a GPU fails up, naming the service,
# before anything is created: never a silent run without the GPU.
cat >"$dir/gpu.yaml" <<'YAML'
name: itest-gpu
services:
  trainer:
    image: test/busybox
    command: [sleep, "1000"]
    gpus: all
YAML
set +e
b compose -f "$dir/gpu.yaml" up -d >"$dir/out" 2>&1; rc=$?
set -e
[ $rc != 0 ] || fail "up with a GPU reservation exited 0"
grep -q 'service `trainer` reserves a GPU, but this host has none' "$dir/out" || fail "gpu: $(cat "$dir/out")"
b network ls | grep -q itest-gpu && fail "a failed gpu up created its network"
[ -z "$(b ps -aq)" ] || fail "a failed gpu up created containers: $(b ps -a)"

# Foreground: prefixed logs until every container exits.
cat >"$dir/fg.yaml" <<'YAML'
name: itest-fg
services:
  job:
    image: test/busybox
    command: [sh, -c, "echo hello from job"]
  second:
    image: test/busybox
    command: [sh, -c, "echo second; exit 3"]
YAML
out=$(b compose -f "$dir/fg.yaml" up --no-color 2>/dev/null) || fail "foreground up exited $?"
echo "$out" | grep -q '^job-1     | hello from job$' || fail "foreground logs: $out"
echo "$out" | grep -q '^second-1  | second$' || fail "foreground logs: $out"
set +e
b compose -f "$dir/fg.yaml" up --exit-code-from second >/dev/null 2>&1; rc=$?
set -e
[ $rc = 3 ] || fail "--exit-code-from second exited $rc, not 3"
b compose -f "$dir/fg.yaml" down >/dev/null 2>&1

# Foreground: SIGINT stops the stack and exits 130.
cat >"$dir/sig.yaml" <<'YAML'
name: itest-fg
services:
  sleeper:
    image: test/busybox
    command: [sh, -c, "echo ready; exec sleep 1000"]
    init: true
YAML
# Not through b(): the signal must reach brick, not a subshell waiting for it.
"$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" compose -f "$dir/sig.yaml" up >"$dir/out" 2>&1 &
cli=$!
for _ in $(seq 100); do grep -q 'sleeper-1  | ready' "$dir/out" && break; sleep 0.1; done
grep -q 'sleeper-1  | ready' "$dir/out" || fail "foreground up did not stream: $(cat "$dir/out")"
kill -INT $cli
set +e; wait $cli; rc=$?; set -e
[ $rc = 130 ] || fail "SIGINT: up exited $rc, not 130: $(cat "$dir/out")"
[ -z "$(b compose -f "$dir/sig.yaml" ps -q)" ] || fail "SIGINT left the stack running"
b compose -f "$dir/sig.yaml" down >/dev/null 2>&1
[ -z "$(b ps -aq)" ] || fail "records left: $(b ps -a)"
echo "compose_up: ok"
