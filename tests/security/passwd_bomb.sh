#!/bin/bash
# /etc/passwd and /etc/group are the container's files, read by brick on the
# host to resolve `exec -u` and `run -u` names. A container that turns them
# into /dev/zero or a FIFO fed forever made brick read without end (1 GB in
# 1.6 s); an image could ship one too large to hold. brick reads only a
# regular file, beneath the container's root, up to 8 MiB, and otherwise
# fails fast with an error naming the file.
source "$(dirname "$0")/lib.sh"
attack_init passwd_bomb
busybox_image attack/busybox

b run -d --name zero attack/busybox sh -c 'ln -sf /dev/zero /etc/passwd && touch /ready && exec sleep 300' >/dev/null
b run -d --name fifo attack/busybox \
  sh -c 'rm /etc/group && mkfifo /etc/group && touch /ready && while :; do yes root:x:0:root >/etc/group; done' >/dev/null
for c in zero fifo; do
  for _ in $(seq 100); do b exec "$c" test -e /ready 2>/dev/null && break; sleep 0.1; done
  b exec "$c" test -e /ready || fail "container $c did not get ready"
done

# expect_refused CONTAINER FILE KIND ARGS...: `exec ARGS` fails within 10 s
# (timeout 20 so the old code's endless read ends the test, not hangs it).
expect_refused() {
  local c=$1 file=$2 kind=$3 rc start elapsed
  shift 3
  start=$(date +%s)
  set +e
  timeout 20 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" exec "$@" "$c" true 2>"$attack_tmp/err"
  rc=$?
  set -e
  elapsed=$(($(date +%s) - start))
  [ $rc -ne 124 ] || fail "exec $* into $c still reading $file after 20 s"
  [ $rc -eq 1 ] || fail "exec $* into $c exited $rc: $(cat "$attack_tmp/err")"
  [ $elapsed -le 10 ] || fail "exec $* into $c took ${elapsed}s to fail"
  grep -q "$file\` is $kind, not a regular file" "$attack_tmp/err" ||
    fail "exec $* into $c: the error does not say what is wrong with $file: $(cat "$attack_tmp/err")"
  # The container is unharmed and still answers.
  [ "$(b exec "$c" echo alive)" = alive ] || fail "container $c no longer runs exec"
}
expect_refused zero /etc/passwd "a character device" -u someuser
expect_refused fifo /etc/group "a FIFO" -u root:somegroup
expect_refused fifo /etc/group "a FIFO" -u nobody  # the user's extra groups come from /etc/group too

# An image whose /etc/passwd is larger than any real one: `run -u` says so.
rootfs="$attack_tmp/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/etc"
cp /bin/busybox "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/true"
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$rootfs/etc/passwd"
b image import "$rootfs" attack/bigpasswd --change 'ENV PATH=/bin' >/dev/null
# And one whose /etc/group is a FIFO.
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
mkfifo "$rootfs/etc/group"
b image import "$rootfs" attack/fifogroup --change 'ENV PATH=/bin' >/dev/null
set +e
timeout 20 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" run --rm -u someuser attack/bigpasswd true \
  2>"$attack_tmp/err"
rc=$?
set -e
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "run -u with a 9 MiB /etc/passwd exited $rc"
grep -q '/etc/passwd` is larger than 8 MiB' "$attack_tmp/err" ||
  fail "run -u: the error does not name the oversized /etc/passwd: $(cat "$attack_tmp/err")"
set +e
timeout 20 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" run --rm -u 0:somegroup attack/fifogroup true \
  2>"$attack_tmp/err"
rc=$?
set -e
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "run -u with a FIFO /etc/group exited $rc"
grep -q '/etc/group` is a FIFO, not a regular file' "$attack_tmp/err" ||
  fail "run -u: the error does not name the FIFO /etc/group: $(cat "$attack_tmp/err")"
echo "passwd_bomb: ok"
