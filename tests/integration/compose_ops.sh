#!/bin/bash
# `brick compose exec/ls/port/top/pause/unpause/images/wait` end to end inside
# sandbox.sh: a long-running service with a published port (scaled to two)
# and a one-shot one. exec's exit codes, -e, -w, -u, --index, -T from a pipe,
# a stopped service's error; run (--rm, -d, -e, -w, -u, --entrypoint, --name,
# dependencies started unless --no-deps, no published ports unless -p or
# --service-ports, -v with a relative bind); ls as a table
# and json; port; top; pause shows in ps; images; wait prints the exit codes;
# `down -v` leaves no container or monitor; `down --rmi`.
# Run as: sandbox.sh bash compose_ops.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "compose_ops: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
monitors() { grep -l "[c]ontainer-monitor" /proc/[0-9]*/cmdline 2>/dev/null | xargs -r grep -l "$BRICK_ROOT" 2>/dev/null | wc -l; }
dir=$(mktemp -d /tmp/brick-compose-ops.XXXXXX)
c() { b compose --project-directory "$dir" "$@"; }
cleanup() {
  b compose --project-directory "$dir" down -v -t 1 >/dev/null 2>&1 || true
  b compose -f "$dir/dep.yaml" down -v -t 1 >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null

cat >"$dir/compose.yaml" <<'YAML'
name: ops
services:
  web:
    image: test/busybox
    command: [sleep, "1000"]
    init: true
    ports: ["127.0.0.1::80"]
  job:
    image: test/busybox
    command: [sh, -c, "sleep 2; exit 4"]
YAML

c up -d --scale web=2 >"$dir/out" 2>&1 || fail "up -d: $(cat "$dir/out")"

# exec: the command's exit code, -e, -w, -u, --index; -T (and a pipe) no TTY.
set +e
c exec -T web sh -c 'exit 3' </dev/null; rc=$?
set -e
[ $rc = 3 ] || fail "exec exit code $rc, not 3"
[ "$(c exec -T -e FOO=bar web sh -c 'echo $FOO' </dev/null)" = bar ] || fail "exec -e"
[ "$(c exec -T -w /tmp web pwd </dev/null)" = /tmp ] || fail "exec -w"
[ "$(c exec -T -u 65534 web id -u </dev/null)" = 65534 ] || fail "exec -u"
# docker's default device allow-list holds in compose containers: a node
# made for a host disk (loop0) cannot be opened.
out=$(c exec -T web sh -c 'mknod /tmp/disk b 7 0 && cat /tmp/disk' </dev/null 2>&1) || true
echo "$out" | grep -q "Operation not permitted" || fail "a compose container opened a host disk node: $out"
h1=$(c exec -T web hostname </dev/null)
h2=$(c exec -T --index 2 web hostname </dev/null)
[ -n "$h1" ] && [ "$h1" != "$h2" ] || fail "exec --index 2 ran in the same container ($h1, $h2)"
[ "$(echo piped | c exec -T web cat)" = piped ] || fail "exec -T does not pass stdin"
[ "$(echo piped | c exec web sh -c 'cat; [ -t 0 ] || echo notty')" = "$(printf 'piped\nnotty')" ] ||
  fail "exec from a pipe: $(echo piped | c exec web sh -c 'cat; [ -t 0 ] || echo notty')"
set +e
c exec --index 3 web true >"$dir/out" 2>&1; rc=$?
set -e
[ $rc = 1 ] || fail "exec --index 3 exited $rc"

# port: the host address of a private port.
port=$(c port web 80) || fail "port web 80"
echo "$port" | grep -Eq '^127\.0\.0\.1:[0-9]+$' || fail "port web 80: $port"
c port --index 2 web 80 | grep -Eq '^127\.0\.0\.1:[0-9]+$' || fail "port --index 2"
c port web 81 >/dev/null 2>&1 && fail "port web 81 succeeded"

# top: both web containers, their sleep.
c top web >"$dir/out" || fail "top"
grep -q '^ops-web-1$' "$dir/out" && grep -q '^ops-web-2$' "$dir/out" || fail "top: $(cat "$dir/out")"
grep -q 'sleep 1000' "$dir/out" || fail "top shows no sleep: $(cat "$dir/out")"

# pause/unpause: ps says Paused; exec still works after unpause.
c pause web 2>"$dir/out" || fail "pause: $(cat "$dir/out")"
grep -q 'ops-web-1  Paused' "$dir/out" || fail "pause progress: $(cat "$dir/out")"
c ps | grep -E '^ops-web-1 ' | grep -q Paused || fail "ps after pause: $(c ps)"
c unpause web 2>/dev/null || fail "unpause"
c ps | grep -E '^ops-web-1 ' | grep -q Paused && fail "ps after unpause: $(c ps)"
[ "$(c exec -T web echo back </dev/null)" = back ] || fail "exec after unpause"

# images: one row per container.
c images >"$dir/out" || fail "images"
head -1 "$dir/out" | grep -Eq '^CONTAINER +REPOSITORY +TAG +IMAGE ID +SIZE' || fail "images header: $(cat "$dir/out")"
grep -Eq '^ops-web-1 +test/busybox +latest +[0-9a-f]{12} ' "$dir/out" || fail "images: $(cat "$dir/out")"

# run: a one-off's output and exit code; --rm leaves nothing; -d prints the
# name; the flags change what the service would run.
set +e
out=$(c run --rm -T -e MSG=hi web sh -c 'echo $MSG; exit 5' 2>"$dir/err"); rc=$?
set -e
[ $rc = 5 ] && [ "$out" = hi ] || fail "run --rm: rc=$rc out=$out $(cat "$dir/err")"
b ps -a | grep -q 'ops-web-run-' && fail "run --rm left its container: $(b ps -a)"
[ "$(c run --rm --entrypoint echo web hello 2>/dev/null)" = hello ] || fail "run --entrypoint"
[ "$(c run --rm -w /tmp -u 65534 web sh -c 'pwd; id -u' 2>/dev/null | tr '\n' ' ')" = "/tmp 65534 " ] ||
  fail "run -w -u: $(c run --rm -w /tmp -u 65534 web sh -c 'pwd; id -u' 2>&1)"
name=$(c run -d web sleep 1000 2>/dev/null) || fail "run -d"
echo "$name" | grep -Eq '^ops-web-run-[0-9a-f]{12}$' || fail "run -d printed \`$name\`"
b ps | grep -q "$name" || fail "run -d: $name is not running: $(b ps)"
b port "$name" | grep -q . && fail "run published the service's port: $(b port "$name")"
c run -d --name ops-named web sleep 1000 >/dev/null 2>&1 || fail "run --name"
b ps | grep -q ops-named || fail "run --name: $(b ps)"

# run in the foreground: stdin attached; a terminal when the caller has
# one (script(1) gives it one), none with -T.
[ "$(echo piped | c run --rm web sh -c 'cat; [ -t 0 ] || echo notty' 2>&1)" = "$(printf 'piped\nnotty')" ] ||
  fail "run from a pipe: $(echo piped | c run --rm web sh -c 'cat; [ -t 0 ] || echo notty' 2>&1)"
crun="$BRICK --root $BRICK_ROOT --run-root $BRICK_RUN_ROOT compose --project-directory $dir run --rm"
out=$(script -qec "$crun web sh -c '[ -t 0 ] && [ -t 1 ] && echo has-tty; exit 3'" /dev/null </dev/null; echo "rc=$?")
echo "$out" | grep -q has-tty || fail "run from a terminal got none: $out"
out=$(script -qec "$crun -T web sh -c '[ -t 1 ] || echo no-tty'" /dev/null </dev/null)
echo "$out" | grep -q no-tty || fail "run -T from a terminal got one: $out"

# run -v: a bind relative to the caller's directory; -p publishes (and
# answers on the sandbox's loopback); --service-ports takes the service's.
echo from-host >"$dir/host.txt"
[ "$(cd "$dir" && c run --rm -v ./host.txt:/mnt/host.txt:ro web cat /mnt/host.txt 2>&1)" = from-host ] ||
  fail "run -v ./host.txt: $(cd "$dir" && c run --rm -v ./host.txt:/mnt/host.txt:ro web cat /mnt/host.txt 2>&1)"
pub=$(c run -d -p 127.0.0.1:18082:7000 web sh -c 'while true; do echo hello-p | nc -l -p 7000; done' 2>&1) ||
  fail "run -d -p: $pub"
b port "$pub" | grep -qx '7000/tcp -> 127.0.0.1:18082' || fail "run -p: port says $(b port "$pub")"
got=
for _ in $(seq 50); do
  got=$(busybox nc 127.0.0.1 18082 </dev/null 2>/dev/null || true)
  [ "$got" = hello-p ] && break
  sleep 0.1
done
[ "$got" = hello-p ] || fail "run -p: 127.0.0.1:18082 answered \`$got\`"
sp=$(c run -d --service-ports web sleep 1000 2>&1) || fail "run --service-ports: $sp"
b port "$sp" | grep -q '^80/tcp -> 127.0.0.1:' || fail "run --service-ports: port says $(b port "$sp")"
b rm -f "$pub" "$sp" >/dev/null || fail "rm -f the -p one-offs"

# wait: the one-shot job's exit code, printed and returned.
set +e
out=$(c wait job); rc=$?
set -e
[ "$rc" = 4 ] && [ "$out" = 4 ] || fail "wait job: rc=$rc out=$out"

# ls: the project with its config file; running containers only unless -a
# (two of web, two one-offs).
c ls | grep -E "^ops +running\(4\) " | grep -qF "$dir/compose.yaml" || fail "ls: $(c ls)"
c ls -a | grep -qE "^ops +exited\(1\), running\(4\) " || fail "ls -a: $(c ls -a)"
c ls --format json | grep -qF '[{"Name":"ops","Status":"running(4)","ConfigFiles":"'"$dir"'/compose.yaml"}]' ||
  fail "ls --format json: $(c ls --format json)"
[ "$(c ls -q)" = ops ] || fail "ls -q: $(c ls -q)"

# A service with no running container.
set +e
c exec -T job true >"$dir/out" 2>&1; rc=$?
set -e
[ $rc = 1 ] && grep -q 'service "job" is not running' "$dir/out" || fail "exec job: rc=$rc $(cat "$dir/out")"

# down honours COMPOSE_PARALLEL_LIMIT as up does: a bad one is an error
# before anything stops; one at a time still removes everything.
set +e
COMPOSE_PARALLEL_LIMIT=lots c down -v -t 1 >"$dir/out" 2>&1; rc=$?
set -e
[ $rc = 1 ] && grep -qF 'COMPOSE_PARALLEL_LIMIT `lots` is not a number' "$dir/out" ||
  fail "down with a bad COMPOSE_PARALLEL_LIMIT: rc=$rc $(cat "$dir/out")"
c ls | grep -qE "^ops +running\(4\) " || fail "a refused down stopped something: $(c ls -a)"
COMPOSE_PARALLEL_LIMIT=1 c down -v -t 1 >/dev/null 2>&1 || fail "down -v"

# run starts the service's dependencies first, unless --no-deps.
cat >"$dir/dep.yaml" <<'YAML'
name: ops-dep
services:
  db:
    image: test/busybox
    command: [sleep, "1000"]
    init: true
  app:
    image: test/busybox
    command: [echo, app-ran]
    depends_on: [db]
YAML
d() { b compose -f "$dir/dep.yaml" "$@"; }
[ "$(d run --rm --no-deps app 2>/dev/null)" = app-ran ] || fail "run --no-deps app"
[ -z "$(d ps -q)" ] || fail "run --no-deps started db: $(d ps)"
[ "$(d run --rm app 2>/dev/null)" = app-ran ] || fail "run app"
d ps | grep -q '^ops-dep-db-1 ' || fail "run did not start db: $(d ps)"
d down -v -t 1 >/dev/null 2>&1 || fail "down -v ops-dep"
[ -z "$(b ps -aq)" ] || fail "records left: $(b ps -a)"
[ "$(monitors)" = 0 ] || fail "monitors left"
[ -z "$(c ls -aq)" ] || fail "ls after down: $(c ls -a)"

# down --rmi all removes the services' images, except one another container
# still uses: down then fails naming it. `local` removes none (brick builds
# no images), and any other value is an error.
b image tag test/busybox test/rmi-a >/dev/null
# An image of its own (a second name would only be untagged, as docker does).
mkdir -p "$dir/rootfs-b/bin" "$dir/rootfs-b/proc" "$dir/rootfs-b/dev" "$dir/rootfs-b/sys" "$dir/rootfs-b/etc"
cp /bin/busybox "$dir/rootfs-b/bin/"
ln -s busybox "$dir/rootfs-b/bin/sleep"
echo b >"$dir/rootfs-b/marker"
b image import "$dir/rootfs-b" test/rmi-b --change 'ENV PATH=/bin' >/dev/null
cat >"$dir/rmi.yaml" <<'YAML'
name: ops-rmi
services:
  a:
    image: test/rmi-a
    command: [sleep, "1000"]
    init: true
  b:
    image: test/rmi-b
    command: [sleep, "1000"]
    init: true
YAML
r() { b compose -f "$dir/rmi.yaml" "$@"; }
set +e
r down --rmi bogus >"$dir/out" 2>&1; rc=$?
set -e
[ $rc = 1 ] && grep -q 'bogus' "$dir/out" || fail "--rmi bogus: rc=$rc $(cat "$dir/out")"
r up -d >/dev/null 2>&1 || fail "up ops-rmi"
r down --rmi local -t 1 >/dev/null 2>&1 || fail "down --rmi local"
b image ls | grep -q 'test/rmi-a' || fail "--rmi local removed an image"
r up -d >/dev/null 2>&1 || fail "up ops-rmi again"
b run -d --name keeper test/rmi-b sleep 1000 >/dev/null
set +e
r down --rmi all -t 1 >"$dir/out" 2>&1; rc=$?
set -e
[ $rc = 1 ] && grep -q 'test/rmi-b' "$dir/out" || fail "--rmi all with an image in use: rc=$rc $(cat "$dir/out")"
grep -q 'Image test/rmi-a  Removed' "$dir/out" && ! grep -q 'Image test/rmi-b  Removed' "$dir/out" ||
  fail "--rmi all output: $(cat "$dir/out")"
b image ls | grep -q 'test/rmi-a' && fail "--rmi all kept test/rmi-a"
b image ls | grep -q 'test/rmi-b' || fail "--rmi all removed test/rmi-b, which keeper uses"
[ -z "$(r ps -aq)" ] || fail "down --rmi all left containers: $(r ps -a)"
b rm -f keeper >/dev/null
b image ls | grep -q 'test/busybox' || fail "--rmi all removed the other name of the image"
echo "compose_ops: ok"
