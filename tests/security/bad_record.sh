#!/bin/bash
# One container record whose state.json cannot be parsed must not break
# `ps -a`, `run` or `rm -f` for every other container: it is a warning that
# names it, it stays listed, and `rm -f` removes it (issue 18, item 12).
source "$(dirname "$0")/lib.sh"
attack_init bad_record

busybox_image bad/img
b create --name good bad/img true >/dev/null
b create --name typo bad/img true >/dev/null
b create --name garbage bad/img true >/dev/null
typo=$(b inspect -f '{{.Id}}' typo)
garbage=$(b inspect -f '{{.Id}}' garbage)

# A field of the wrong type (the name survives), and a file that is no JSON.
sed -i 's/"status": "[a-z]*"/"status": 42/' "$BRICK_ROOT/containers/$typo/state.json"
grep -q '"status": 42' "$BRICK_ROOT/containers/$typo/state.json" || fail "could not corrupt the record"
printf '{"id": "%s", "na' "$garbage" >"$BRICK_ROOT/containers/$garbage/state.json"

out=$(b ps -a 2>"$attack_tmp/err") || fail "ps -a failed: $(cat "$attack_tmp/err")"
grep -qw good <<<"$out" || fail "ps -a does not list the good container: $out"
grep -q "${typo:0:12}" <<<"$out" || fail "ps -a hides the unreadable record $typo: $out"
grep -q "${garbage:0:12}" <<<"$out" || fail "ps -a hides the unreadable record $garbage: $out"
grep -q "warning: container \`$typo\`" "$attack_tmp/err" || fail "no warning names $typo: $(cat "$attack_tmp/err")"
grep -q "warning: container \`$garbage\`" "$attack_tmp/err" || fail "no warning names $garbage: $(cat "$attack_tmp/err")"

[ "$(b run --rm bad/img echo still-works 2>&1)" = still-works ] || fail "run fails beside an unreadable record"
[ "$(b run --name other bad/img echo named 2>&1)" = named ] || fail "run --name fails beside an unreadable record"
b rm other >/dev/null || fail "rm of a good container failed beside an unreadable record"

b start typo >/dev/null 2>&1 && fail "start of an unreadable record succeeded"
b rm -f typo >/dev/null || fail "rm -f of the unreadable record by name failed"
b rm -f "${garbage:0:12}" >/dev/null || fail "rm -f of the unreadable record by id prefix failed"
[ ! -e "$BRICK_ROOT/containers/$typo" ] || fail "rm -f left the record directory of $typo"
[ ! -e "$BRICK_ROOT/containers/$garbage" ] || fail "rm -f left the record directory of $garbage"
out=$(b ps -a 2>&1) || fail "ps -a failed after the removal: $out"
grep -q warning <<<"$out" && fail "a warning is left after the removal: $out"
grep -qw good <<<"$out" || fail "the good container went too: $out"

# A CLI killed inside create leaves a record directory without state.json
# (and perhaps a run directory): invisible to ps, so the next create sweeps it.
half=$(printf 'f%.0s' $(seq 64))
mkdir -p "$BRICK_ROOT/containers/$half/rootfs" "$BRICK_RUN_ROOT/containers/$half"
echo partial >"$BRICK_ROOT/containers/$half/config.json"
b create --name after-crash bad/img true >/dev/null || fail "create beside a half-made record failed"
[ ! -e "$BRICK_ROOT/containers/$half" ] || fail "create left the half-made record directory"
b rm after-crash >/dev/null
echo "bad_record: ok"
