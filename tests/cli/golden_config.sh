#!/bin/bash
# Golden tests for `brick compose config`: every directory under
# tests/fixtures/stacks/ is a realistic stack whose resolved output must match
# its expected.yaml byte for byte, as `docker compose config` (v2) prints it.
#
# A stack directory holds:
#   compose.yaml ...   the stack files (plus .env, env files, included files)
#   args               optional: extra `brick compose` arguments, one per line
#   env                optional: KEY=VALUE lines, the whole environment of the
#                      run besides PATH and HOME (nothing leaks from outside)
#   expected.yaml      the golden output; the literal token ${STACK_DIR} stands
#                      for the stack's absolute directory
#
# Each stack runs as:
#   cd DIR && env -i PATH=... HOME=/root [env] brick compose --project-directory DIR [args] config
# and once more with `config --format json`, whose output must parse as JSON.
#
# Usage: golden_config.sh [STACK...]   (default: every stack)
# BRICK_UPDATE_GOLDEN=1 rewrites expected.yaml from brick's output; review the
# diff against what docker compose prints before committing it.
set -u

src=${BRICK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
brick=${BRICK:-$src/build/cli/brick}
stacks_root=$src/tests/fixtures/stacks
token='${STACK_DIR}'

# `brick compose` always exists now: if it cannot even show its help, that is
# a failure, not a reason to skip.
if ! "$brick" compose --help >/dev/null 2>&1; then
  echo "golden: \`$brick compose --help\` failed"
  exit 1
fi

have_python=1
command -v python3 >/dev/null 2>&1 || have_python=0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Reads a file of lines into the named array, skipping blank and # lines.
read_lines() {
  local file=$1 line
  local -n into=$2
  into=()
  [[ -f $file ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -z $line || $line == \#* ]] && continue
    into+=("$line")
  done <"$file"
}

# Runs brick for one stack; stdout to $1, stderr to $2; returns brick's status.
run_stack() {
  local dir=$1 out=$2 err=$3
  shift 3
  local -a args envs
  read_lines "$dir/args" args
  read_lines "$dir/env" envs
  (cd "$dir" && env -i PATH="$PATH" HOME=/root "${envs[@]}" \
    timeout 20 "$brick" compose --project-directory "$dir" "${args[@]}" config "$@") >"$out" 2>"$err"
}

# Replaces every occurrence of the stack directory with the token (exact bytes,
# trailing newlines kept).
tokenize() {
  local dir=$1 file=$2 text
  text=$(cat "$file"; printf x)
  text=${text%x}
  printf '%s' "${text//"$dir"/$token}"
}

if [[ $# -gt 0 ]]; then
  names=("$@")
else
  names=()
  for d in "$stacks_root"/*/; do
    names+=("$(basename "$d")")
  done
fi

passed=0
failed=0
failures=()
for name in "${names[@]}"; do
  dir=$stacks_root/$name
  if [[ ! -d $dir ]]; then
    echo "FAIL $name: no such stack in $stacks_root"
    failed=$((failed + 1)); failures+=("$name"); continue
  fi
  ok=1
  if ! run_stack "$dir" "$tmp/out" "$tmp/err"; then
    echo "FAIL $name: brick exited with an error:"
    sed 's/^/    /' "$tmp/err"
    ok=0
  else
    tokenize "$dir" "$tmp/out" >"$tmp/actual"
    if [[ ${BRICK_UPDATE_GOLDEN:-} == 1 ]]; then
      if ! cmp -s "$tmp/actual" "$dir/expected.yaml"; then
        cp "$tmp/actual" "$dir/expected.yaml"
        echo "updated $name/expected.yaml"
      fi
    elif [[ ! -f $dir/expected.yaml ]]; then
      echo "FAIL $name: no expected.yaml (run with BRICK_UPDATE_GOLDEN=1, then review it)"
      ok=0
    elif ! cmp -s "$dir/expected.yaml" "$tmp/actual"; then
      echo "FAIL $name: output differs from expected.yaml"
      diff -u --label "$name/expected.yaml" --label "brick compose config" "$dir/expected.yaml" "$tmp/actual" | sed 's/^/    /'
      ok=0
    fi
    # The same project as JSON must be well-formed.
    if ! run_stack "$dir" "$tmp/json" "$tmp/err" --format json; then
      echo "FAIL $name: \`config --format json\` exited with an error:"
      sed 's/^/    /' "$tmp/err"
      ok=0
    elif [[ $have_python == 1 ]] && ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/json" 2>"$tmp/jerr"; then
      echo "FAIL $name: \`config --format json\` is not valid JSON: $(tail -n 1 "$tmp/jerr")"
      ok=0
    fi
  fi
  if [[ $ok == 1 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); failures+=("$name")
  fi
done

[[ $have_python == 1 ]] || echo "note: python3 not found; JSON output was not parsed"
echo "golden: $passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then
  echo "failed: ${failures[*]}"
  exit 1
fi
exit 0
