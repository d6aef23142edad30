#!/bin/bash
# `brick run` and friends end to end inside sandbox.sh: exit codes (42, 125,
# 126, 127), logs in order, stop after the grace period, restart back-off,
# OOM kills, the pids limit, and that rm / --rm leave no record, cgroup,
# mount or process behind. Run as: sandbox.sh bash container_run.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "container_run: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
# This sandbox's monitors only (their command line names its root): other
# tests may run beside this one.
monitors() { python3 "$here/monitors.py" "$BRICK_ROOT"; }
cleanup() { for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done; }
# Every container ID this test makes, for the cgroup check at the end.
seen=$(mktemp)
while :; do ls "$BRICK_ROOT/containers" 2>/dev/null; sleep 0.02; done >"$seen" &
watcher=$!
trap 'cleanup; kill $watcher 2>/dev/null || true; rm -f "$seen" "$dir_err"' EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null
IMG=test/busybox
dir_err=$(mktemp)

# Exit codes: the container's own, and docker's 125/126/127.
set +e
b run --rm "$IMG" sh -c 'exit 42'; rc=$?
[ $rc = 42 ] || fail "exit 42 came back as $rc"
b run --rm "$IMG" no-such-command 2>/tmp/err.$$; rc=$?
[ $rc = 127 ] || fail "a missing command exited $rc, not 127"
grep -q 'no-such-command' /tmp/err.$$ || fail "127 error does not name the command: $(cat /tmp/err.$$)"
b run --rm "$IMG" /etc/passwd 2>/dev/null; rc=$?
[ $rc = 126 ] || fail "a non-executable command exited $rc, not 126"
b run --rm no/such-image true 2>/dev/null; rc=$?
[ $rc = 125 ] || fail "a missing image exited $rc, not 125"
b run --rm -w relative "$IMG" true 2>/dev/null; rc=$?
[ $rc = 125 ] || fail "a bad option exited $rc, not 125"
set -e
[ -z "$(b ps -aq)" ] || fail "--rm left records: $(b ps -a)"

# An auto-removed container's writable layer is never synced (overlayfs'
# volatile, as podman does for --rm): its exit does not flush the host's disk.
# A kept container's layer is synced as usual.
root_line() { awk '$5 == "/" {print}' | tail -n1; }
b run --rm "$IMG" cat /proc/self/mountinfo | root_line | grep -q volatile || fail "--rm: the root is not volatile"
b run --name durable "$IMG" cat /proc/self/mountinfo | root_line | grep -q volatile && fail "a kept container's root is volatile"
b rm durable >/dev/null

# Foreground output streams; env, workdir, hostname and user apply.
out=$(b run --rm -e FOO=bar -w /work/dir -h boxy -u 1000:1000 "$IMG" sh -c 'echo $FOO $(pwd) $(hostname) $(id -u):$(id -g)')
[ "$out" = "bar /work/dir boxy 1000:1000" ] || fail "run output: $out"
[ "$(b run --rm --entrypoint echo "$IMG" hi)" = hi ] || fail "--entrypoint"
[ "$(b run --rm "$IMG" sh -c 'echo out; echo err >&2' 2>/dev/null)" = out ] || fail "stdout and stderr mixed"

# A foreground run passes its signals on to the container.
"$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" run --name sigproxy "$IMG" sh -c 'trap "exit 7" TERM; echo ready; while true; do sleep 0.1; done' >/dev/null &
cli=$!
for _ in $(seq 100); do b logs sigproxy 2>/dev/null | grep -q ready && break; sleep 0.05; done
kill -TERM $cli
set +e; wait $cli; rc=$?; set -e
[ $rc = 7 ] || fail "signal proxy: the run exited $rc, not the container's 7"
b rm sigproxy >/dev/null

# logs after the end: everything, in order, both streams; --tail and -t.
id=$(b run -d --name chatty "$IMG" sh -c 'i=1; while [ $i -le 200 ]; do echo "line $i"; i=$((i+1)); done; echo bye >&2')
[ "$(b wait chatty)" = 0 ] || fail "wait chatty"
seq 1 200 | sed 's/^/line /' >/tmp/want.$$
b logs chatty 2>/dev/null >/tmp/got.$$
cmp -s /tmp/want.$$ /tmp/got.$$ || fail "logs differ: $(diff /tmp/want.$$ /tmp/got.$$ | head)"
[ "$(b logs chatty 2>&1 >/dev/null)" = bye ] || fail "stderr not in logs"
[ "$(b logs --tail 2 chatty 2>&1)" = "$(printf 'line 200\nbye')" ] || fail "logs --tail 2"
b logs -t --tail 1 chatty 2>&1 | grep -Eq '^20[0-9-]+T[0-9:]+\.[0-9]{9}Z bye$' || fail "logs -t"
[ "$(b inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.Name}}' chatty)" = "exited 0 /chatty" ] || fail "inspect"
head -c 2 "$(b inspect -f '{{.LogPath}}' chatty)" | grep -q '{"' || fail "log is not json-file"
[ "$(b ps -q --filter status=exited)" = "${id:0:12}" ] || fail "ps --filter status=exited"

# stop: busybox sh as PID 1 ignores SIGTERM; -t 1 ends it with SIGKILL after 1 s.
id=$(b run -d --label team=a "$IMG" sh -c 'trap "" TERM; while true; do sleep 1; done')
[ "$(b ps -q --filter label=team=a)" = "${id:0:12}" ] || fail "ps --filter label"
b ps --format json | grep -q "\"ID\":\"${id:0:12}\"" || fail "ps --format json"
start=$(date +%s%N)
b stop -t 1 "$id" >/dev/null
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
(( elapsed >= 900 && elapsed < 5000 )) || fail "stop -t 1 took ${elapsed} ms"
[ "$(b inspect -f '{{.State.ExitCode}}' "$id")" = 137 ] || fail "stopped container's exit code"
b rm "$id" >/dev/null

# pause, stats, top, kill.
id=$(b run -d "$IMG" sleep 100)
# The monitor is detached: no child of this shell, in a session of its own,
# and not that session's leader (it must never get a controlling terminal).
monitor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["monitor_pid"])' \
  "$BRICK_ROOT/containers/$id/state.json")
read -r mppid msid < <(ps -o ppid=,sid= -p "$monitor")
[ "$mppid" != $$ ] || fail "the monitor is a child of the shell that ran brick"
[ "$msid" != "$(ps -o sid= -p $$ | tr -d ' ')" ] || fail "the monitor shares the caller's session"
[ "$msid" != "$monitor" ] || fail "the monitor leads its session"
b pause "$id" >/dev/null
[ "$(b inspect -f '{{.State.Status}}' "$id")" = paused ] || fail "pause"
b unpause "$id" >/dev/null
b top "$id" | grep -q 'sleep 100' || fail "top: $(b top "$id")"
b stats --no-stream "$id" | tail -1 | grep -q "${id:0:12}" || fail "stats"
# Streaming: a new table every second until interrupted.
tables=$(timeout 3.5 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" stats "$id" | grep -c '^CONTAINER ID' || true)
[ "$tables" -ge 2 ] || fail "streaming stats printed $tables tables in 3.5 s"
b kill "$id" >/dev/null
[ "$(b wait "$id")" = 137 ] || fail "kill"
b rm "$id" >/dev/null

# `start` right after the container exited, while its monitor may still be
# tearing down: the start waits for that monitor instead of failing (compose
# `up` restarts a finished one-shot job this way).
# On a bridge network, so the teardown (veth, addresses, hosts) takes a while.
b network create startnet >/dev/null
id=$(b create --network startnet "$IMG" true)
for i in $(seq 20); do
  b start "$id" >/dev/null 2>"$dir_err" || fail "start #$i of a just-exited container: $(cat "$dir_err")"
done
b wait "$id" >/dev/null
b rm "$id" >/dev/null
b network rm startnet >/dev/null

# Restart on-failure:3: 3 restarts with growing delays, then it stays down.
id=$(b run -d --restart on-failure:3 "$IMG" sh -c 'cat /proc/uptime; exit 3')
[ "$(b wait "$id")" = 3 ] || fail "restarting container's exit code"
[ "$(b inspect -f '{{.RestartCount}}' "$id")" = 3 ] || fail "restart count $(b inspect -f '{{.RestartCount}}' "$id")"
mapfile -t ups < <(b logs "$id" | cut -d' ' -f1)
[ ${#ups[@]} = 4 ] || fail "expected 4 runs, got ${#ups[@]}"
python3 - "${ups[@]}" <<'PY' || fail "restart delays did not grow: ${ups[*]}"
import sys
t = [float(x) for x in sys.argv[1:]]
gaps = [b - a for a, b in zip(t, t[1:])]
assert gaps[0] >= 0.09 and gaps[1] > gaps[0] and gaps[2] > gaps[1], gaps
PY
b rm "$id" >/dev/null

# OOM: 32 MiB and a shell doubling a string until the kernel kills it.
set +e
b run --name oom -m 32m "$IMG" sh -c 'a=xxxxxxxxxxxxxxxx; while true; do a="$a$a"; done'; rc=$?
set -e
[ $rc = 137 ] || fail "OOM exit $rc"
[ "$(b inspect -f '{{.State.OOMKilled}}' oom)" = true ] || fail "OOMKilled not recorded"
b rm oom >/dev/null

# pids limit 20 holds a fork bomb: a subshell starting 50 sleepers (it dies
# at the first refused fork) leaves at most 20 processes, the shell
# included; counted with a glob, since at the limit the shell cannot fork an
# `ls`. Timing-free.
pids=$(b run --rm --pids-limit 20 "$IMG" sh -c '(i=0; while [ $i -lt 50 ]; do sleep 30 & i=$((i+1)); done) 2>/dev/null; set -- /proc/[0-9]*; echo $#')
(( pids >= 15 && pids <= 20 )) || fail "a pids limit of 20 let $pids processes run"
id=$(b run -d --pids-limit 20 "$IMG" sh -c 'bomb() { bomb | bomb & }; bomb; sleep 100')
sleep 1
pids=$(b stats --no-stream "$id" | tail -1 | awk '{print $NF}')
(( pids >= 1 && pids <= 20 )) || fail "fork bomb reached $pids pids"
b rm -f "$id" >/dev/null

# Nothing left: records, run dirs, mounts, cgroups, monitors.
cleanup
[ -z "$(b ps -aq)" ] || fail "records left"
[ -z "$(ls "$BRICK_ROOT/containers")" ] || fail "container dirs left: $(ls "$BRICK_ROOT/containers")"
[ -z "$(ls "$BRICK_RUN_ROOT/containers")" ] || fail "run dirs left"
! grep -q "$BRICK_ROOT/containers" /proc/self/mountinfo || fail "mounts left: $(grep "$BRICK_ROOT" /proc/self/mountinfo)"
# cgroupfs is the host's: other tests' containers are there too, so only the
# cgroups of this test's containers (every ID seen under its root) count.
kill "$watcher" 2>/dev/null || true
leaked_cgroups() {
  sort -u "$seen" | while read -r id; do
    find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null
  done
}
[ -z "$(leaked_cgroups)" ] || fail "cgroups left: $(leaked_cgroups | head)"
[ "$(monitors)" = 0 ] || fail "monitors left"
rm -f /tmp/err.$$ /tmp/want.$$ /tmp/got.$$
echo "container_run: ok"
