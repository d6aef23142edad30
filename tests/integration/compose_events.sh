#!/bin/bash
# `brick compose events` end to end inside sandbox.sh: with no daemon, the
# events come from <run-root>/events.jsonl, written by the CLI and the
# monitors. A stream started before `up -d` sees, per service and in order,
# create, start, (health_status: healthy), kill, die, stop, destroy through
# `stop` and `down`; `events SERVICE --since T` only that service's; another
# project's containers never show; the text form is compose's; Ctrl-C
# (SIGINT) ends the stream with 130, as compose does; `brick events`
# filters and ends at --until. Run as:
# sandbox.sh bash compose_events.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "compose_events: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
dir=$(mktemp -d /tmp/brick-compose-events.XXXXXX)
c() { b compose --project-directory "$dir" "$@"; }
# The streams run brick itself in the background (no function's subshell),
# so $! is brick's pid: what the SIGINT must reach.
events=("$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" compose --project-directory "$dir" events)
o() { b compose -f "$dir/other.yaml" "$@"; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  c down -v -t 1 >/dev/null 2>&1 || true
  o down -v -t 1 >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null

cat >"$dir/compose.yaml" <<'YAML'
name: evt
services:
  web:
    image: test/busybox
    command: [sleep, "1000"]
    init: true
    healthcheck:
      test: [CMD, "true"]
      interval: 1s
  db:
    image: test/busybox
    command: [sleep, "1000"]
    init: true
YAML
cat >"$dir/other.yaml" <<'YAML'
name: other
services:
  web:
    image: test/busybox
    command: [sleep, "1000"]
    init: true
YAML

# Until `pattern` shows in `file`, at most `secs` seconds.
wait_for() {
  local file=$1 pattern=$2 secs=$3
  for _ in $(seq $((secs * 10))); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "no \`$pattern\` in $file after ${secs}s: $(cat "$file" 2>/dev/null)"
}
# Until process `pid` watches the run root (inotify): its tail is open.
wait_tailing() {
  for _ in $(seq 100); do
    ls -l "/proc/$1/fd" 2>/dev/null | grep -q inotify && { sleep 0.2; return 0; }
    sleep 0.1
  done
  fail "events (pid $1) never started tailing"
}

since=$(date +%s.%N)
"${events[@]}" --json >"$dir/all.json" 2>"$dir/all.err" &
all=$!
pids+=("$all")
"${events[@]}" >"$dir/all.txt" 2>/dev/null &
txt=$!
pids+=("$txt")
wait_tailing "$all"
wait_tailing "$txt"

c up -d >"$dir/out" 2>&1 || fail "up -d: $(cat "$dir/out")"
o up -d >"$dir/out" 2>&1 || fail "up -d other: $(cat "$dir/out")"
wait_for "$dir/all.json" '"action":"health_status: healthy"' 30
# Started after the fact: --since replays the events file.
"${events[@]}" --json --since "$since" web >"$dir/web.json" 2>"$dir/web.err" &
web=$!
pids+=("$web")
c stop -t 1 >"$dir/out" 2>&1 || fail "stop: $(cat "$dir/out")"
c down -t 1 >"$dir/out" 2>&1 || fail "down: $(cat "$dir/out")"
o down -t 1 >"$dir/out" 2>&1 || fail "down other: $(cat "$dir/out")"
[ -s "$BRICK_RUN_ROOT/events.jsonl" ] || fail "no events file under the run root"
wait_for "$dir/all.json" '"action":"destroy".*"service":"web"' 20
wait_for "$dir/all.json" '"action":"destroy".*"service":"db"' 20
wait_for "$dir/web.json" '"action":"destroy"' 20
wait_for "$dir/all.txt" ' container destroy ' 20

# Ctrl-C ends the stream, with 130 as compose.
kill -INT "$all"
set +e
wait "$all"
rc=$?
set -e
[ $rc = 130 ] || fail "events after SIGINT exited $rc, not 130: $(cat "$dir/all.err")"
kill -INT "$web" "$txt"
wait "$web" "$txt" || true

# Every line is compose's JSON form, of this project only.
jq -e -s 'length > 0 and all(.type == "container" and (.id | test("^[0-9a-f]{64}$")) and (.time | test("^[0-9-]+T[0-9:.]+Z$")))' \
  "$dir/all.json" >/dev/null || fail "malformed events: $(cat "$dir/all.json")"
jq -e -s 'all(.attributes.name | startswith("evt-"))' "$dir/all.json" >/dev/null ||
  fail "another project's events: $(cat "$dir/all.json")"
jq -e -s 'all(.attributes | keys | all(startswith("com.docker.compose.") | not))' "$dir/all.json" >/dev/null ||
  fail "compose labels among the attributes: $(cat "$dir/all.json")"
jq -e -s 'all(.attributes.image == "test/busybox")' "$dir/all.json" >/dev/null || fail "image attribute"

# Per service, the lifecycle in order (health only for web).
actions() { jq -r --arg s "$2" 'select(.service == $s) | .action' "$1" | paste -sd' '; }
[ "$(actions "$dir/all.json" web)" = "create start health_status: healthy kill die stop destroy" ] ||
  fail "web's events: $(actions "$dir/all.json" web)"
[ "$(actions "$dir/all.json" db)" = "create start kill die stop destroy" ] ||
  fail "db's events: $(actions "$dir/all.json" db)"
jq -e -s 'map(select(.action == "die")) | length == 2 and all(.attributes.exitCode | test("^[0-9]+$"))' \
  "$dir/all.json" >/dev/null || fail "die without exitCode: $(grep '"die"' "$dir/all.json")"
jq -e -s 'map(select(.action == "kill")) | all(.attributes.signal == "15")' "$dir/all.json" >/dev/null ||
  fail "stop's kill is not SIGTERM: $(grep '"kill"' "$dir/all.json")"
# The same container from create to destroy.
[ "$(jq -r 'select(.service == "web") | .id' "$dir/all.json" | sort -u | wc -l)" = 1 ] || fail "web's ids differ"

# SERVICE filters; --since replays what happened before the stream began.
[ "$(actions "$dir/web.json" web)" = "create start health_status: healthy kill die stop destroy" ] ||
  fail "events web: $(cat "$dir/web.json")"
[ "$(jq -r .service "$dir/web.json" | sort -u)" = web ] || fail "events web shows others: $(cat "$dir/web.json")"

# The text form: `TIME container ACTION ID (k=v, ...)`.
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{6} container create [0-9a-f]{64} \(image=test/busybox, name=evt-web-1\)$' \
  "$dir/all.txt" || fail "text form: $(cat "$dir/all.txt")"
grep -Eq ' container die [0-9a-f]{64} \(exitCode=[0-9]+, image=test/busybox, name=evt-db-1\)$' "$dir/all.txt" ||
  fail "text die: $(cat "$dir/all.txt")"

# `brick events`: every project's, filtered as docker's; --until ends it.
until=$(date +%s.%N)
timeout 20 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" events --format json --since "$since" \
  --until "$until" --filter event=destroy --filter label=com.docker.compose.project=evt >"$dir/plain.json" ||
  fail "brick events --until did not end by itself"
[ "$(jq -r .Actor.Attributes.name "$dir/plain.json" | sort | paste -sd' ')" = "evt-db-1 evt-web-1" ] ||
  fail "brick events filters: $(cat "$dir/plain.json")"
[ "$(timeout 20 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" events --since "$since" --until "$until" \
  -f container=other-web-1 -f event=create | wc -l)" = 1 ] || fail "brick events -f container"

# An unknown service is refused.
c events nosuch >"$dir/out" 2>&1 && fail "events nosuch succeeded"
grep -q 'no such service: nosuch' "$dir/out" || fail "events nosuch: $(cat "$dir/out")"
echo "compose_events: ok"
