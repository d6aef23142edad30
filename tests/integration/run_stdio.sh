#!/bin/bash
# `brick run -i`/`-t` and `brick exec -t`/`-it` end to end inside sandbox.sh: stdin reaches the
# container only with -i; -t gives it a terminal (with TERM=xterm) whose
# input is the CLI's; -dit and -di keep a shell or `cat` waiting for input;
# exit codes come through. Run as: sandbox.sh bash run_stdio.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "run_stdio: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
cleanup() { for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null
IMG=test/busybox

# -i: the CLI's stdin is the container's.
out=$(printf 'hello\nworld\n' | b run --rm -i "$IMG" cat)
[ "$out" = "$(printf 'hello\nworld')" ] || fail "-i did not pass stdin through: \`$out\`"
# Without -i the container reads /dev/null, as docker's does.
out=$(echo hello | b run --rm "$IMG" cat)
[ -z "$out" ] || fail "stdin reached a container run without -i: \`$out\`"

# -t: stdin, stdout and stderr are a terminal, TERM is set; without, none is.
out=$(b run --rm -t "$IMG" sh -c 'test -t 0 && test -t 1 && test -t 2 && echo "tty $TERM"' </dev/null | tr -d '\r')
[ "$out" = "tty xterm" ] || fail "-t gave no terminal: \`$out\`"
# The terminal comes from the container's own devpts, as docker's does: its
# name exists inside (a host /dev/pts/N would not), and it is the only one.
out=$(b run --rm -t "$IMG" sh -c 'tty; ls -1 /dev/pts' </dev/null | tr -d '\r' | tr '\n' ' ')
[ "$out" = "/dev/pts/0 0 ptmx " ] || fail "-t: the terminal is not the container's own: \`$out\`"
# -t without -i, from a 33x77 terminal: the container's terminal starts at
# that size (docker's CLI sends it even without -i).
out=$(python3 - "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" run --rm -t "$IMG" stty size <<'PY'
import fcntl, os, pty, struct, sys, termios
pid, master = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 77, 0, 0))
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
PY
)
[ "$(echo "$out" | tr -d '\r')" = "33 77" ] || fail "run -t without -i: the terminal's size is \`$out\`, not 33 77"
out=$(b run --rm "$IMG" sh -c 'test -t 1 || echo notty')
[ "$out" = notty ] || fail "a terminal without -t: \`$out\`"

# -it from a pipe: the input goes through the terminal to a shell, whose exit
# code is run's.
set +e
out=$(printf 'echo from-$((6*7))\nexit 7\n' | b run --rm -it "$IMG" sh 2>&1)
rc=$?
set -e
[ $rc = 7 ] || fail "-it shell exit code $rc, not 7 (output: $out)"
echo "$out" | tr -d '\r' | grep -qx 'from-42' || fail "-it output lacks the shell's answer: \`$out\`"

# -dit: a shell waits on its terminal; -di: cat waits on a pipe nobody writes.
id=$(b run -dit "$IMG" sh)
sleep 1
[ "$(b inspect -f '{{.State.Status}}' "$id")" = running ] || fail "-dit shell did not stay up: $(b logs "$id")"
id2=$(b run -di "$IMG" cat)
sleep 1
[ "$(b inspect -f '{{.State.Status}}' "$id2")" = running ] || fail "-di cat did not stay up"
b exec "$id" sh -c 'exit 0' || fail "exec into the -dit container"
# exec -t: a terminal of its own; -it takes our input through it.
out=$(b exec -t "$id" sh -c 'test -t 0 && test -t 1 && echo "tty $TERM"' </dev/null | tr -d '\r')
[ "$out" = "tty xterm" ] || fail "exec -t gave no terminal: \`$out\`"
out=$(b exec -t "$id" sh -c 't=$(tty) && test -c "$t" && echo "own $t"' </dev/null | tr -d '\r')
[[ "$out" == "own /dev/pts/"[0-9]* ]] || fail "exec -t: the terminal is not the container's own: \`$out\`"
set +e
out=$(printf 'echo exec-$((6*7))\nexit 5\n' | b exec -it "$id" sh 2>&1)
rc=$?
set -e
[ $rc = 5 ] || fail "exec -it exit code $rc, not 5 (output: $out)"
echo "$out" | tr -d '\r' | grep -qx 'exec-42' || fail "exec -it output lacks the answer: \`$out\`"
out=$(b exec "$id" sh -c 'test -t 1 || echo notty')
[ "$out" = notty ] || fail "exec without -t has a terminal"
b rm -f "$id" "$id2" >/dev/null

[ -z "$(b ps -aq)" ] || fail "containers left"
[ "$(python3 "$here/monitors.py" "$BRICK_ROOT")" = 0 ] || fail "monitors left"
echo "run_stdio: ok"
