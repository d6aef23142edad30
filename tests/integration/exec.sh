#!/bin/bash
# `brick exec` into a running container: same namespaces and cgroup as its
# PID 1, the command's exit code, docker's 126/127, -e/-w/-u/-i, and a clear
# error for a container that is not running. Run as: sandbox.sh bash exec.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "exec: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
trap 'for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done' EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/exec >/dev/null
b run -d --name box -h boxy -e FROM_RUN=1 test/exec sleep 300 >/dev/null

[ "$(b exec box hostname)" = boxy ] || fail "hostname: $(b exec box hostname)"
[ "$(b exec box cat /proc/1/cmdline | tr '\0' ' ')" = "sleep 300 " ] || fail "not in the container's pid namespace"
[ "$(b exec box cat /proc/self/cgroup)" = "$(b exec box cat /proc/1/cgroup)" ] || fail "not in the container's cgroup"
[ "$(b exec box sh -c 'echo $FROM_RUN')" = 1 ] || fail "the container's environment is not inherited"
[ "$(b exec -e FOO=bar box sh -c 'echo $FOO')" = bar ] || fail "-e"
[ "$(b exec -w /tmp box pwd)" = /tmp ] || fail "-w"
[ "$(b exec -u nobody box id -u)" = 65534 ] || fail "-u nobody"
[ "$(echo hi | b exec -i box cat)" = hi ] || fail "-i does not pass stdin"
[ -z "$(echo hi | b exec box cat)" ] || fail "stdin passed without -i"
grep -q '^CapEff:[[:space:]]*00000000a80425fb' <(b exec box cat /proc/self/status) || fail "exec has other capabilities than the container"

set +e
b exec box sh -c 'exit 3'; rc=$?
[ $rc = 3 ] || fail "exit 3 came back as $rc"
b exec box no-such-command 2>/dev/null; rc=$?
[ $rc = 127 ] || fail "a missing command exited $rc, not 127"
b exec box /etc/passwd 2>/dev/null; rc=$?
[ $rc = 126 ] || fail "a non-executable command exited $rc, not 126"
b exec -u nosuchuser box true 2>/tmp/exec-err.$$; rc=$?
[ $rc = 1 ] && grep -q nosuchuser /tmp/exec-err.$$ || fail "unknown user: $rc $(cat /tmp/exec-err.$$)"
b stop -t 1 box >/dev/null
b exec box true 2>/tmp/exec-err.$$; rc=$?
[ $rc = 1 ] && grep -q 'is not running' /tmp/exec-err.$$ || fail "exec into a stopped container: $rc $(cat /tmp/exec-err.$$)"
b exec no-such-container true 2>/dev/null; rc=$?
[ $rc = 1 ] || fail "exec into a missing container exited $rc"
set -e
rm -f /tmp/exec-err.$$
echo "exec: ok"
