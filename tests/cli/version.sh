#!/bin/bash
# `brick version` prints the version and exits 0; an unknown command exits 1.
set -u
out=$("$BRICK" version) || { echo "brick version failed"; exit 1; }
[[ "$out" == "brick version "* ]] || { echo "unexpected: $out"; exit 1; }
"$BRICK" no-such-command >/dev/null 2>&1
rc=$?
[[ $rc -eq 1 ]] || { echo "unknown command exited $rc, want 1"; exit 1; }
exit 0
