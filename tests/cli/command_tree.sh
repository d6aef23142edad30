#!/bin/bash
# brick builds only the part of its command tree a command line names
# (cli/main.cpp): every command `brick --help` lists must still parse,
# whatever global options come first, and a word that is no command must
# still be refused with the usage.
set -u
commands=$("$BRICK" --help | awk '/^Commands:/ {on = 1; next} on && NF {print $1} on && !NF {on = 0}')
[ "$(wc -w <<<"$commands")" -ge 20 ] || { echo "brick --help lists too few commands: $commands"; exit 1; }
for cmd in $commands; do
  for prefix in "" "--root /nonexistent --run-root /nonexistent" "--log-level=warn"; do
    # shellcheck disable=SC2086
    out=$("$BRICK" $prefix "$cmd" --help 2>&1) || { echo "brick $prefix $cmd --help failed: $out"; exit 1; }
    grep -q "brick $cmd" <<<"$out" || { echo "brick $prefix $cmd --help does not show its usage: $out"; exit 1; }
  done
done
out=$("$BRICK" --root /nonexistent no-such-command 2>&1)
rc=$?
[[ $rc -eq 1 ]] || { echo "unknown command exited $rc, want 1"; exit 1; }
grep -q "no-such-command" <<<"$out" || { echo "the error does not name the word: $out"; exit 1; }
exit 0
