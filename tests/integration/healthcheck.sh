#!/bin/bash
# Healthchecks end to end inside sandbox.sh: a probe run inside the container
# turns `starting` into `healthy`; failures past --health-retries, and a probe
# that outlives --health-timeout, make it `unhealthy`; failures within the
# start period do not count; `ps` shows the status; nothing is left after rm.
# Run as: sandbox.sh bash healthcheck.sh (ctest sets $BRICK).
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "healthcheck: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
cleanup() { for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null
IMG=test/busybox

# health NAME FIELD: a field of State.Health from `inspect`.
health() {
  b inspect "$1" | python3 -c 'import json,sys; h=json.load(sys.stdin)[0]["State"].get("Health") or {}; print(json.dumps(h.get(sys.argv[1])))' "$2"
}
# wait_status NAME STATUS SECONDS
wait_status() {
  for _ in $(seq $(($3 * 10))); do
    [ "$(health "$1" Status)" = "\"$2\"" ] && return 0
    sleep 0.1
  done
  fail "$1 did not become $2 within $3 s: $(b inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"].get("Health"))')"
}

# Starting, then healthy once the file the probe looks for exists.
b run -d --name ready --health-cmd 'test -f /tmp/ready' --health-interval 300ms --health-retries 50 \
  "$IMG" sh -c 'sleep 2; touch /tmp/ready; exec sleep 100' >/dev/null
[ "$(health ready Status)" = '"starting"' ] || fail "a new container is not starting: $(health ready Status)"
b ps | grep ready | grep -q '(health: starting)' || fail "ps does not show health: starting: $(b ps)"
wait_status ready healthy 15
b ps | grep ready | grep -q '(healthy)' || fail "ps does not show (healthy): $(b ps)"
[ "$(health ready FailingStreak)" = 0 ] || fail "a healthy container has a failing streak"
health ready Log | python3 -c '
import json, sys
log = json.load(sys.stdin)
assert 1 <= len(log) <= 5, log
assert log[-1]["ExitCode"] == 0 and log[-1]["Start"] <= log[-1]["End"], log
' || fail "the health log does not end in a success: $(health ready Log)"

# The probe runs inside the container: it sees the container's hostname and files.
b run -d --name inside --hostname probe-host --health-cmd '[ "$(hostname)" = probe-host ] && test -f /etc/inside' \
  --health-interval 300ms "$IMG" sh -c 'touch /etc/inside; exec sleep 100' >/dev/null
wait_status inside healthy 10

# Failures past the retries: unhealthy, with the probe's exit code and output.
b run -d --name sick --health-cmd 'echo feeling bad; exit 3' --health-interval 300ms --health-retries 2 \
  "$IMG" sleep 100 >/dev/null
wait_status sick unhealthy 10
streak=$(health sick FailingStreak)
[ "$streak" -ge 2 ] || fail "unhealthy with a failing streak of $streak"
health sick Log | python3 -c '
import json, sys
e = json.load(sys.stdin)[-1]
assert e["ExitCode"] == 3 and "feeling bad" in e["Output"], e
' || fail "the log lacks exit 3 and the output: $(health sick Log)"
b ps | grep sick | grep -q '(unhealthy)' || fail "ps does not show (unhealthy): $(b ps)"

# A probe that outlives its timeout is killed and counts as a failure.
b run -d --name slow --health-cmd 'sleep 30' --health-timeout 300ms --health-interval 300ms --health-retries 1 \
  "$IMG" sleep 100 >/dev/null
wait_status slow unhealthy 10
health slow Log | grep -q 'exceeded timeout' || fail "a timed-out probe is not reported: $(health slow Log)"

# Failures in the start period do not count.
b run -d --name warming --health-cmd 'exit 1' --health-start-period 60s --health-interval 200ms \
  --health-start-interval 200ms --health-retries 1 "$IMG" sleep 100 >/dev/null
sleep 2
[ "$(health warming Status)" = '"starting"' ] || fail "failures in the start period counted: $(health warming Status)"
[ "$(health warming FailingStreak)" = 0 ] || fail "failures in the start period raised the streak"
[ "$(health warming Log | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -ge 2 ] ||
  fail "probes in the start period are not logged"

# --no-healthcheck: no Health at all.
b run -d --name plain --no-healthcheck "$IMG" sleep 100 >/dev/null
[ "$(health plain Status)" = null ] || fail "--no-healthcheck still has a health status"
b run --rm --health-cmd true --no-healthcheck "$IMG" true 2>/dev/null && fail "--no-healthcheck with --health-cmd was accepted"

cleanup
[ -z "$(b ps -aq)" ] || fail "containers left"
sleep 0.5
# Monitors of this sandbox's root only: other tests may run beside this one.
[ "$(python3 "$here/monitors.py" "$BRICK_ROOT")" = 0 ] || fail "monitor processes left"
echo "healthcheck: ok"
