#!/bin/bash
# Processes that join a running container (`brick exec`, healthcheck probes),
# caught by the container's root in the moment between entering its pid
# namespace and their execve (issue 18 items 2 and 5; runc's CVE-2016-9962,
# CVE-2019-5736 and CVE-2024-21626): they must give it nothing (no host fd,
# no way to the brick binary), and one it stops must not hang brick.
source "$(dirname "$0")/lib.sh"
attack_init joiners
busybox_image test/joiners
catcher=$(build_attack catch_joiner)

# 1. Caught and probed: /proc/PID/exe and every /proc/PID/fd/N.
b run -d --name probe -v "$catcher:/catch:ro" test/joiners /catch probe >/dev/null
caught=0
for _ in $(seq 1 300); do
  b exec probe true >/dev/null 2>&1 || true
  caught=$(b logs probe 2>/dev/null | grep -c '^caught' || true)
  [ "$caught" -ge 5 ] && break
done
b logs probe >"$attack_tmp/probe.log" 2>&1
[ "$caught" -ge 1 ] || fail "no joining process was caught in 300 execs: the attack did not run"
echo "joiners: caught $caught joining processes before their exec"
if grep '^LEAK' "$attack_tmp/probe.log" >&2; then
  fail "a process joining the container exposed the above to it"
fi
# Each exec still works after being stopped and let go.
[ "$(b exec probe echo fine)" = fine ] || fail "exec after the probes"

# 2. Stopped for good. `brick exec` gives up with a clear error instead of
# waiting forever; so does the monitor's probe, so stop and rm still work.
b run -d --name wedge --health-cmd true --health-interval 1s -v "$catcher:/catch:ro" test/joiners \
  /catch wedge >/dev/null
for _ in $(seq 1 60); do
  b logs wedge 2>/dev/null | grep -q '^caught' && break
  sleep 0.5
done
b logs wedge 2>/dev/null | grep -q '^caught' || fail "the wedge container never caught a probe"
# The catcher scans /proc: on a loaded machine an exec may finish before it
# is seen, so a few tries; the one that is caught must fail, not hang.
rc=0
for _ in $(seq 1 20); do
  set +e
  timeout 40 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" exec wedge true 2>"$attack_tmp/exec.err"
  rc=$?
  set -e
  [ $rc != 124 ] || fail "brick exec hung on a process the container stopped"
  [ $rc = 0 ] || break
done
[ $rc != 0 ] || fail "20 brick execs succeeded although the container stops every joining process"
grep -q 'did not start within' "$attack_tmp/exec.err" || fail "exec's error does not say why: $(cat "$attack_tmp/exec.err")"
timeout 60 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" stop -t 1 wedge >/dev/null ||
  fail "stop hung or failed on a container that wedged its probe"
timeout 60 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" rm -f wedge probe >/dev/null ||
  fail "rm -f hung or failed"
[ -z "$(b ps -aq)" ] || fail "containers left: $(b ps -a)"
echo "joiners: ok"
