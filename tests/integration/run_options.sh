#!/bin/bash
# `brick run`'s security, init, user and volume options end to end inside
# sandbox.sh: what the process inside sees (/proc/self/status, id, mounts,
# files), and that a volume in use cannot be removed.
# Run as: sandbox.sh bash run_options.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "run_options: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
tmp=$(mktemp -d /tmp/run_options.XXXXXX)
cleanup() {
  for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null
IMG=test/busybox
status_field() { b run --rm "$@" sh -c "grep '^$field:' /proc/self/status" | awk '{print $2}'; }

# Security: capabilities and the seccomp filter, as the process sees them.
field=CapEff
default_caps=$(status_field "$IMG")
[ "$default_caps" != 0000000000000000 ] || fail "the default container has no capabilities"
[ "$(status_field --cap-drop ALL "$IMG")" = 0000000000000000 ] || fail "--cap-drop ALL left capabilities"
[ "$(status_field --cap-drop ALL --cap-add NET_RAW "$IMG")" = 0000000000002000 ] || fail "--cap-add NET_RAW"
[ "$(status_field --privileged "$IMG")" != "$default_caps" ] || fail "--privileged has the default capabilities"
field=Seccomp
[ "$(status_field "$IMG")" = 2 ] || fail "the default container has no seccomp filter"
[ "$(status_field --security-opt seccomp=unconfined "$IMG")" = 0 ] || fail "seccomp=unconfined still filters"
[ "$(status_field --privileged "$IMG")" = 0 ] || fail "--privileged still filters"
field=NoNewPrivs
[ "$(status_field "$IMG")" = 1 ] || fail "the default container may gain privileges"
[ "$(status_field --security-opt no-new-privileges=false "$IMG")" = 0 ] || fail "no-new-privileges=false"
ls "$BRICK_RUN_ROOT"/seccomp/*.bpf >/dev/null 2>&1 || fail "no compiled filter cached under the run root"
set +e
b run --rm --cap-add NO_SUCH_CAP "$IMG" true 2>"$tmp/err"; rc=$?
set -e
[ $rc = 125 ] || fail "an unknown capability exited $rc, not 125"
grep -qi 'NO_SUCH_CAP' "$tmp/err" || fail "the unknown capability is not named: $(cat "$tmp/err")"

# --init: PID 1 is brick's reaper; the command gets SIGTERM and dies of it (143).
[ "$(b run --rm "$IMG" sh -c 'echo $$')" = 1 ] || fail "without --init the command is not PID 1"
[ "$(b run --rm --init "$IMG" sh -c 'echo $$')" != 1 ] || fail "with --init the command is still PID 1"
set +e
b run --rm --init "$IMG" sh -c 'exit 42'; rc=$?
set -e
[ $rc = 42 ] || fail "--init: exit 42 came back as $rc"
id=$(b run -d --init "$IMG" sleep 100)
start=$(date +%s%N)
b stop -t 5 "$id" >/dev/null
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(b inspect -f '{{.State.ExitCode}}' "$id")" = 143 ] || fail "--init: stop gave $(b inspect -f '{{.State.ExitCode}}' "$id"), not 143"
(( elapsed < 4000 )) || fail "--init: stop took ${elapsed} ms (SIGTERM not delivered)"
b rm "$id" >/dev/null

# -u and --group-add resolved against the image's /etc/passwd and /etc/group.
[ "$(b run --rm -u nobody "$IMG" sh -c 'echo $(id -u):$(id -g) $HOME')" = "65534:65534 /nonexistent" ] ||
  fail "-u nobody: $(b run --rm -u nobody "$IMG" sh -c 'echo $(id -u):$(id -g) $HOME')"
[ "$(b run --rm -u root:nogroup "$IMG" id -g)" = 65534 ] || fail "-u root:nogroup"
b run --rm -u nobody --group-add root "$IMG" id -G | grep -qw 0 || fail "--group-add root"
set +e
b run --rm -u nosuch "$IMG" true 2>"$tmp/err"; rc=$?
set -e
[ $rc = 125 ] || fail "-u nosuch exited $rc, not 125"
grep -q 'nosuch' "$tmp/err" || fail "-u nosuch: the error does not name it: $(cat "$tmp/err")"

# Volumes: a named one keeps its data between runs and starts with the
# image's content; a bind (read-only refuses writes); tmpfs; --mount.
b run --rm -v data1:/data "$IMG" sh -c 'echo kept >/data/f'
[ "$(b run --rm -v data1:/data "$IMG" cat /data/f)" = kept ] || fail "named volume lost its data"
[ "$(b run --rm -v etcvol:/etc "$IMG" sh -c 'head -1 /etc/passwd')" = root:x:0:0:root:/root:/bin/sh ] ||
  fail "a new named volume was not filled from the image"
[ "$(b volume ls -q | grep -c '^etcvol$')" = 1 ] || fail "etcvol not in volume ls"
echo host >"$tmp/file"
[ "$(b run --rm -v "$tmp:/mnt:ro" "$IMG" cat /mnt/file)" = host ] || fail ":ro bind not readable"
if b run --rm -v "$tmp:/mnt:ro" "$IMG" sh -c 'echo x >/mnt/new' 2>/dev/null; then fail ":ro bind was writable"; fi
[ ! -e "$tmp/new" ] || fail ":ro bind write reached the host"
b run --rm -v "$tmp:/mnt" "$IMG" sh -c 'echo back >/mnt/new'
[ "$(cat "$tmp/new")" = back ] || fail "rw bind write did not reach the host"
[ "$(b run --rm --mount type=volume,src=data1,dst=/d,readonly "$IMG" cat /d/f)" = kept ] || fail "--mount volume"
if b run --rm --mount type=volume,src=data1,dst=/d,readonly "$IMG" sh -c 'echo x >/d/g' 2>/dev/null; then
  fail "--mount readonly was writable"
fi
b run --rm --tmpfs /scratch:size=1m "$IMG" grep -q ' /scratch tmpfs ' /proc/mounts || fail "--tmpfs not mounted"
set +e
b run --rm -v "data1:relative" "$IMG" true 2>/dev/null; rc=$?
set -e
[ $rc = 125 ] || fail "a bad -v exited $rc, not 125"

# In use: a container record (even stopped) holds its volumes, named and anonymous.
id=$(b create -v data1:/data -v /anon "$IMG" true)
set +e
b volume rm data1 2>"$tmp/err"; rc=$?
set -e
[ $rc != 0 ] || fail "volume rm of a volume in use succeeded"
grep -q 'data1' "$tmp/err" || fail "volume rm refusal does not name it: $(cat "$tmp/err")"
anon=$(b volume ls -q | grep -E '^[0-9a-f]{64}$' | head -1)
[ -n "$anon" ] || fail "-v /anon made no anonymous volume"
b start "$id" >/dev/null
b wait "$id" >/dev/null
b volume prune -f >/dev/null
b volume ls -q | grep -q "^$anon\$" || fail "prune removed an anonymous volume in use"
b rm -v "$id" >/dev/null
! b volume ls -q | grep -q "^$anon\$" || fail "rm -v left the anonymous volume"
b volume rm data1 >/dev/null || fail "volume rm after the container is gone"
# run --rm takes its anonymous volumes along, and keeps the named ones.
before=$(b volume ls -q | sort)
b run --rm -v /anon2 --mount type=volume,dst=/anon3 -v keepme:/k "$IMG" true
[ "$(b volume ls -q | sort)" = "$(printf '%s\n' $before keepme | sort)" ] ||
  fail "run --rm volumes: $(b volume ls -q | tr '\n' ' ')"
# An image's VOLUME is an anonymous volume (filled from the image) unless a
# mount covers it; rm -v takes it along.
mkdir -p "$tmp/volimg/bin" "$tmp/volimg/data"
cp /bin/busybox "$tmp/volimg/bin/sh"
echo from-image >"$tmp/volimg/data/seed"
b image import "$tmp/volimg" test/volimg --change 'VOLUME ["/data"]' --change 'CMD ["/bin/sh"]' >/dev/null
before_img=$(b volume ls -q | sort)
id=$(b create test/volimg /bin/sh -c 'cat /data/seed')
vol=$(comm -13 <(echo "$before_img") <(b volume ls -q | sort))
[ -n "$vol" ] || fail "the image's VOLUME made no anonymous volume"
b start "$id" >/dev/null
[ "$(b wait "$id")" = 0 ] && [ "$(b logs "$id")" = from-image ] || fail "the image VOLUME was not filled from the image: $(b logs "$id")"
b rm -v "$id" >/dev/null
! b volume ls -q | grep -q "^$vol\$" || fail "rm -v left the image VOLUME's anonymous volume"
[ "$(b run --rm -v "$tmp:/data" test/volimg /bin/sh -c 'echo ok')" = ok ] || fail "-v over an image VOLUME"
[ "$(b volume ls -q | sort)" = "$before_img" ] || fail "a -v over the image VOLUME still made an anonymous volume"
# A create that fails leaves no anonymous volume behind.
b create --name taken "$IMG" true >/dev/null
if b create --name taken -v /anon4 "$IMG" true 2>/dev/null; then fail "a duplicate name was accepted"; fi
[ "$(b volume ls -q | sort)" = "$(printf '%s\n' $before keepme | sort)" ] || fail "a failed create left a volume"
b rm taken >/dev/null
# --read-only: the root refuses writes; a --tmpfs on it takes them.
out=$(b run --rm --read-only --tmpfs /scratch "$IMG" sh -c 'touch /x 2>/dev/null && echo wrote; touch /scratch/y && echo tmpfs')
[ "$out" = tmpfs ] || fail "--read-only: $out"

# The default nofile limit (1024) never exceeds brick's own hard limit: a
# caller limited to 512 still starts containers, with 512 inside.
out=$(prlimit --nofile=512:512 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" run --rm "$IMG" sh -c 'ulimit -n') ||
  fail "a caller with a hard nofile limit of 512 could not start a container"
[ "$out" = 512 ] || fail "nofile inside under a 512 hard limit: $out"
[ "$(b run --rm "$IMG" sh -c 'ulimit -n')" = 1024 ] || fail "the default nofile limit is not 1024"

echo "run_options: ok"
