#!/bin/bash
# An image a container was made from, running or not, is not removed by
# `brick image rm` without -f nor by `image prune` (docker's rules); once the
# container is gone, both work. Run as: sandbox.sh bash image_in_use.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "image_in_use: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
trap 'for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done' EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/inuse >/dev/null
b create --name keeper test/inuse true >/dev/null

set +e
out=$(b image rm test/inuse 2>&1); rc=$?
set -e
[ $rc = 1 ] || fail "rm of an image in use exited $rc: $out"
[[ $out == *"is used by a container"* ]] || fail "rm error: $out"
b image prune >/dev/null
b image ls --format json | grep -q '"test/inuse"' || fail "prune removed an image in use, or rm untagged it"

# -f untags it; the container's image stays until the container goes.
b image rm -f test/inuse | grep -q '^Untagged: test/inuse:latest' || fail "rm -f"
b image prune >/dev/null
[ "$(b image ls -q | wc -l)" = 1 ] || fail "the untagged image of a container was pruned"
b start -a keeper >/dev/null 2>&1 || b start keeper >/dev/null || fail "the container lost its image"
b wait keeper >/dev/null
b rm keeper >/dev/null
b image prune >/dev/null
[ -z "$(b image ls -q)" ] || fail "prune kept an image nothing uses: $(b image ls)"
echo "image_in_use: ok"
