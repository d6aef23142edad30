#!/bin/sh
# The setup step (sandbox.sh's BRICK_SANDBOX_SETUP) of the tests that run
# samples/ml-dev: makes brick.local/python:3 into $BRICK_ROOT with
# samples/images/build-python, outside the sandbox's network namespace since
# debootstrap fetches from the Debian mirror apt uses (about 3-4 minutes).
# Without debootstrap or the mirror it skips (77), or fails under
# BRICK_TEST_MUST_RUN=1, where a skip would hide that nothing was tested.
# ROOTFS=DIR (build-python's) reuses a rootfs bootstrapped earlier.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${BRICK:?set BRICK to the brick binary}"
: "${BRICK_ROOT:?set BRICK_ROOT}"
skip() {
  if [ "${BRICK_TEST_MUST_RUN:-0}" = 1 ]; then
    echo "python_image: FAIL (BRICK_TEST_MUST_RUN=1): $*" >&2
    exit 1
  fi
  echo "python_image: skipped: $*" >&2
  exit 77
}
if [ -z "${ROOTFS:-}" ]; then
  command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/install-deps installs it)"
  mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  mirror=${MIRROR:-${mirror:-http://deb.debian.org/debian}}
  # One small request first, so an offline host says so instead of failing
  # deep inside debootstrap.
  curl -fsS -o /dev/null --max-time 30 "$mirror/dists/${SUITE:-bookworm}/Release" ||
    skip "the Debian mirror \`$mirror\` cannot be reached"
fi
start=$(date +%s)
log=$(mktemp /tmp/brick-python-image.XXXXXX)
trap 'rm -f "$log"' EXIT
BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../../samples/images/build-python" >/dev/null 2>"$log" || {
  tail -n 20 "$log" >&2
  echo "python_image: FAIL: samples/images/build-python exited non-zero" >&2
  exit 1
}
echo "python_image: brick.local/python:3 made in $(($(date +%s) - start)) s" >&2
