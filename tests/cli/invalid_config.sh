#!/bin/bash
# Error cases for `brick compose config`: every tests/fixtures/invalid/NAME.yaml
# is a broken stack file. Run from that directory as
#   env -i PATH=... HOME=/root brick compose -f NAME.yaml config
# it must exit 1 within 5 seconds (alias bombs and deep nesting fail fast),
# print nothing on stdout, and print exactly NAME.expect on stderr.
#
# Usage: invalid_config.sh [NAME...]   (default: every fixture)
# BRICK_UPDATE_GOLDEN=1 rewrites the .expect files from brick's stderr; read
# each one before committing it: it is what a user will see.
set -u

src=${BRICK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
brick=${BRICK:-$src/build/cli/brick}
fixtures=$src/tests/fixtures/invalid
limit_s=5

# `brick compose` always exists now: if it cannot even show its help, that is
# a failure, not a reason to skip.
if ! "$brick" compose --help >/dev/null 2>&1; then
  echo "invalid: \`$brick compose --help\` failed"
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ $# -gt 0 ]]; then
  names=("$@")
else
  names=()
  for f in "$fixtures"/*.yaml; do
    names+=("$(basename "$f" .yaml)")
  done
fi

passed=0
failed=0
failures=()
for name in "${names[@]}"; do
  ok=1
  if [[ ! -f $fixtures/$name.yaml ]]; then
    echo "FAIL $name: no $name.yaml in $fixtures"
    failed=$((failed + 1)); failures+=("$name"); continue
  fi
  start=$(date +%s%N)
  (cd "$fixtures" && env -i PATH="$PATH" HOME=/root \
    timeout -s KILL $((limit_s * 2)) "$brick" compose -f "$name.yaml" config) >"$tmp/out" 2>"$tmp/err"
  rc=$?
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))

  if [[ $rc -ne 1 ]]; then
    echo "FAIL $name: exit status $rc, want 1"
    ok=0
  fi
  if [[ $elapsed_ms -gt $((limit_s * 1000)) ]]; then
    echo "FAIL $name: took ${elapsed_ms} ms, limit ${limit_s}000 ms"
    ok=0
  fi
  if [[ -s $tmp/out ]]; then
    echo "FAIL $name: printed on stdout although the file is invalid:"
    head -n 5 "$tmp/out" | sed 's/^/    /'
    ok=0
  fi
  expect=$fixtures/$name.expect
  if [[ ${BRICK_UPDATE_GOLDEN:-} == 1 ]]; then
    if [[ $rc -eq 1 ]] && ! cmp -s "$tmp/err" "$expect"; then
      cp "$tmp/err" "$expect"
      echo "updated $name.expect"
    fi
  elif [[ ! -f $expect ]]; then
    echo "FAIL $name: no $name.expect (run with BRICK_UPDATE_GOLDEN=1, then review it)"
    sed 's/^/    /' "$tmp/err"
    ok=0
  elif ! cmp -s "$expect" "$tmp/err"; then
    echo "FAIL $name: stderr differs from $name.expect"
    diff -u --label "$name.expect" --label "brick stderr" "$expect" "$tmp/err" | sed 's/^/    /'
    ok=0
  fi

  if [[ $ok == 1 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); failures+=("$name")
  fi
done

echo "invalid: $passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then
  echo "failed: ${failures[*]}"
  exit 1
fi
exit 0
