#!/bin/bash
# Runs one privileged test inside a private network and mount namespace with
# its own --root and --run-root, so nothing it creates (bridges, veths,
# mounts) can touch the host, and everything dies with the namespace.
#
# Usage: sandbox.sh COMMAND [ARGS...]
# Exits 77 (skip) without root, unless BRICK_TEST_MUST_RUN=1 (CI), where a
# skip would hide a failure.
#
# BRICK_SANDBOX_SETUP=CMD runs CMD first, outside the namespaces but with the
# same BRICK_ROOT: for the one step a test needs the host's network for (an
# image made by debootstrap from the package mirror). Its exit status, 77
# (skip) included, ends the test when it is not 0.
set -u
if [ "$(id -u)" -ne 0 ]; then
  if [ "${BRICK_TEST_MUST_RUN:-0}" = 1 ]; then
    echo "sandbox: privileged test must run (BRICK_TEST_MUST_RUN=1) but we are not root" >&2
    exit 1
  fi
  echo "sandbox: skipped: needs root" >&2
  exit 77
fi
BRICK_ROOT=$(mktemp -d /tmp/brick-itest-root.XXXXXX)
BRICK_RUN_ROOT=$(mktemp -d /tmp/brick-itest-run.XXXXXX)
export BRICK_ROOT BRICK_RUN_ROOT
cleanup() {
  # Mounts made inside the namespace are gone with it; only files remain.
  rm -rf "$BRICK_ROOT" "$BRICK_RUN_ROOT"
}
trap cleanup EXIT
if [ -n "${BRICK_SANDBOX_SETUP:-}" ]; then
  bash -c "$BRICK_SANDBOX_SETUP"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "sandbox: setup \`$BRICK_SANDBOX_SETUP\` exited $rc" >&2
    exit $rc
  fi
fi
unshare --net --mount --propagation private -- /bin/bash -c 'ip link set lo up && exec "$@"' sandbox "$@"
