#!/bin/bash
# Bytes that are not UTF-8 (a Latin-1 `.env`, a label with byte 0xFF) are
# refused when the stack is loaded: `config` and `up` exit 1 with an error
# naming the file, the line and the key, and `up` creates nothing (it used to
# abort with std::terminate once the network existed).
set -u
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root run_root=$tmp/run
mkdir -p "$tmp/latin1" "$tmp/label" "$tmp/good" "$root" "$run_root"

# `up` as root runs in a namespace of its own: should brick ever get past
# loading again, its bridge and mounts die with the namespace, not on the host.
isolate=()
if [[ $(id -u) -eq 0 ]] && unshare --net --mount true 2>/dev/null; then isolate=(unshare --net --mount); fi
brick() { env -i PATH="$PATH" HOME=/root "${isolate[@]}" "$BRICK" --root "$root" --run-root "$run_root" "$@"; }

printf 'services:\n  web:\n    image: busybox\n    labels:\n      owner: "${OWNER}"\n' >"$tmp/latin1/compose.yaml"
printf 'OWNER=Jos\xe9\n' >"$tmp/latin1/.env"
printf 'services:\n  web:\n    image: busybox\n    labels:\n      tag: "a\xffb"\n' >"$tmp/label/compose.yaml"
printf 'services:\n  web:\n    image: busybox\n    labels:\n      owner: "Jos\xc3\xa9"\n' >"$tmp/good/compose.yaml"

# expect DIR CMD PATTERN: exit 1, nothing on stdout, the error on stderr.
expect() {
  local dir=$1 cmd=$2 pattern=$3
  (cd "$tmp/$dir" && brick compose $cmd) >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  [[ $rc -eq 1 ]] || fail "$dir: compose $cmd exited $rc, want 1: $(cat "$tmp/err")"
  [[ -s $tmp/out ]] && fail "$dir: compose $cmd printed on stdout: $(cat "$tmp/out")"
  grep -Eq "$pattern" "$tmp/err" || fail "$dir: compose $cmd error: $(cat "$tmp/err")"
  grep -qi 'terminate\|type_error' "$tmp/err" && fail "$dir: compose $cmd crashed: $(cat "$tmp/err")"
  return 0
}

env_error='^brick: .*latin1/\.env:1: variable `OWNER`: its value is not valid UTF-8 \(byte 0xE9 at offset 3\)'
label_error='^brick: compose\.yaml:5:12: services\.web\.labels\.tag: value is not valid UTF-8 \(byte 0xFF at offset 1\)'
for cmd in config "config -q" "up -d" up; do
  expect latin1 "$cmd" "$env_error"
  expect label "$cmd" "$label_error"
done

# Nothing was made: no network, no container record, no volume.
for d in networks containers volumes; do
  [[ -z $(ls -A "$root/$d" 2>/dev/null) ]] || fail "up left $root/$d: $(ls -A "$root/$d")"
done

# Valid UTF-8 passes, and comes out as written.
out=$(cd "$tmp/good" && brick compose config) || fail "valid UTF-8 refused"
grep -q 'owner: Jos' <<<"$out" || fail "config output: $out"
grep -q "$(printf 'Jos\xc3\xa9')" <<<"$out" || fail "é was not kept: $out"
exit 0
