#!/bin/bash
# A container whose monitor is killed (SIGKILL) keeps running: its record
# must say so, `start` must not run a second copy beside it, and stop and
# rm -f must still end every process in its cgroup (issue 18, item 8).
source "$(dirname "$0")/lib.sh"
attack_init orphan_start

busybox_image orphan/img
# A duration no other test uses, so pgrep counts only this container's copies.
cmd="sleep 3017"
copies() { pgrep -fx "$cmd" | wc -l; }

# Kills the monitor of container $1 and waits until it is gone.
kill_monitor() {
  local pid monitor
  pid=$(b inspect -f '{{.State.Pid}}' "$1")
  [ "$pid" -gt 1 ] || fail "$1 has no pid"
  monitor=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
  tr '\0' ' ' <"/proc/$monitor/cmdline" | grep -q container-monitor || fail "the parent of $1's pid 1 is no monitor"
  kill -KILL "$monitor"
  for _ in $(seq 100); do kill -0 "$monitor" 2>/dev/null || return 0; sleep 0.05; done
  fail "the monitor of $1 survived SIGKILL"
}

b run -d --name orphan orphan/img $cmd >/dev/null
kill_monitor orphan
[ "$(copies)" = 1 ] || fail "the container did not outlive its monitor ($(copies) copies)"

# Still running: listed by plain `ps`, marked as having lost its monitor.
b ps --format json | grep '"Names":"orphan"' | grep -q '"State":"running"' ||
  fail "ps does not show the orphaned container as running: $(b ps -a)"
b ps | grep -w orphan | grep -q 'monitor lost' || fail "ps does not say the monitor is lost: $(b ps)"

# start must not run a second copy of a container that still runs.
if out=$(b start orphan 2>&1); then fail "start of a container running without its monitor succeeded"; fi
grep -q 'without its monitor' <<<"$out" || fail "start's refusal does not say why: $out"
sleep 0.3
[ "$(copies)" = 1 ] || fail "start ran a second copy ($(copies) copies)"

# rm -f kills every process in the cgroup and removes the record.
b rm -f orphan >/dev/null || fail "rm -f of the orphaned container failed"
for _ in $(seq 40); do [ "$(copies)" = 0 ] && break; sleep 0.05; done
[ "$(copies)" = 0 ] || fail "rm -f left $(copies) processes of the container"
[ -z "$(b ps -aq)" ] || fail "rm -f left the record: $(b ps -a)"

# stop does the same for a container kept afterwards, which then starts again.
b run -d --name orphan2 orphan/img $cmd >/dev/null
kill_monitor orphan2
b stop -t 1 orphan2 >/dev/null || fail "stop of the orphaned container failed"
[ "$(copies)" = 0 ] || fail "stop left $(copies) processes of the container"
b ps -a | grep -w orphan2 | grep -q Exited || fail "stopped container is not exited: $(b ps -a)"
b start orphan2 >/dev/null || fail "start after stop failed"
[ "$(copies)" = 1 ] || fail "start after stop runs $(copies) copies"
b rm -f orphan2 >/dev/null
[ "$(copies)" = 0 ] || fail "rm -f left $(copies) processes"
echo "orphan_start: ok"
