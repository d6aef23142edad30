#!/bin/bash
# Exit codes and error format: -q validates silently, an invalid file exits 1
# with `brick: FILE:LINE:COL: path: message` on stderr and nothing on stdout,
# usage errors exit 1, --help exits 0.
set -u
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
run() { env -i PATH="$PATH" HOME=/root "$BRICK" compose "$@"; }

printf 'services:\n  web:\n    image: nginx\n' >good.yaml
printf 'services:\n  web:\n    image: nginx\n    ports:\n      - "80:abc"\n' >bad.yaml

out=$(run -f good.yaml config -q) || fail "-q on a valid file exited $?"
[[ -z $out ]] || fail "-q printed: $out"

run -f bad.yaml config -q >out.txt 2>err.txt
rc=$?
[[ $rc -eq 1 ]] || fail "-q on an invalid file exited $rc, want 1"
[[ -s out.txt ]] && fail "invalid file printed on stdout"
grep -Eq '^brick: bad\.yaml:5:[0-9]+: services\.web\.ports\[0\]: ' err.txt || fail "error format: $(cat err.txt)"

run -f missing.yaml config >/dev/null 2>err.txt
[[ $? -eq 1 ]] || fail "missing file did not exit 1"
grep -q '^brick: ' err.txt || fail "missing file message: $(cat err.txt)"

# Oversized input is refused by its size, before any parser runs (a 50 MB
# file used to take 32 s and 3.9 GB): a file, stdin, and a .env file.
{ printf 'services:\n  web:\n    image: nginx\n'; head -c 9000000 /dev/zero | tr '\0' '#'; echo; } >big.yaml
run -f big.yaml config -q >/dev/null 2>err.txt
[[ $? -eq 1 ]] || fail "an oversized compose file did not exit 1"
grep -q '^brick: big\.yaml: the compose file is larger than 8 MiB (9000035 bytes); refusing to parse it$' err.txt ||
  fail "oversized file message: $(cat err.txt)"
run -f - config -q <big.yaml >/dev/null 2>err.txt
[[ $? -eq 1 ]] || fail "an oversized compose file on stdin did not exit 1"
grep -q 'larger than 8 MiB' err.txt || fail "oversized stdin message: $(cat err.txt)"
mkdir envdir && cp good.yaml envdir/compose.yaml && head -c 9000000 /dev/zero | tr '\0' '#' >envdir/.env
run --project-directory envdir config -q >/dev/null 2>err.txt
[[ $? -eq 1 ]] || fail "an oversized .env did not exit 1"
grep -q 'the env file is larger than 8 MiB' err.txt || fail "oversized .env message: $(cat err.txt)"

run config --format xml >/dev/null 2>err.txt
[[ $? -eq 1 ]] || fail "bad --format did not exit 1"
[[ -s err.txt ]] || fail "bad --format printed nothing on stderr"

run --no-such-flag >/dev/null 2>&1
[[ $? -eq 1 ]] || fail "unknown flag did not exit 1"

out=$("$BRICK" compose --help) || fail "compose --help exited $?"
grep -q '^Usage:  brick compose \[OPTIONS\] COMMAND$' <<<"$out" || fail "compose help: $out"
grep -q 'Define and run multi-container applications with brick' <<<"$out" || fail "compose help description"
"$BRICK" compose config --help >/dev/null || fail "config --help exited $?"
"$BRICK" --help >/dev/null || fail "--help exited $?"
[[ $("$BRICK" --version) == "brick version "* ]] || fail "--version"
exit 0
