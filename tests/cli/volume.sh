#!/bin/bash
# brick volume: create (named, anonymous, options, labels), ls (table, -q,
# json, label filter), inspect, rm and prune against a temporary --root.
set -u
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
b() { "$BRICK" --root "$tmp/root" --run-root "$tmp/run" "$@"; }
die() { echo "FAIL: $*"; exit 1; }

[[ $(b volume create data --label com.docker.compose.project=demo) == data ]] || die "create"
[[ $(b volume create data --label com.docker.compose.project=demo) == data ]] || die "create again, identical"
out=$(b volume create data -o type=tmpfs 2>&1) && die "create with other options succeeded"
grep -q "already exists" <<<"$out" || die "conflict message: $out"
b volume create cache -o type=tmpfs -o o=size=10m >/dev/null || die "create tmpfs"
out=$(b volume create bindy -o type=none -o o=bind -o device=relative 2>&1) && die "relative bind device accepted"
grep -q "absolute path" <<<"$out" || die "bind message: $out"
mkdir "$tmp/src" && b volume create bindy -o type=none -o o=bind -o device="$tmp/src" >/dev/null || die "bind volume"
b volume create x 2>&1 | grep -q "invalid volume name" || die "short name accepted"
anon=$(b volume create) || die "anonymous create"
[[ $anon =~ ^[0-9a-f]{64}$ ]] || die "anonymous name '$anon'"

out=$(b volume ls) || die "ls"
[[ $(head -1 <<<"$out") =~ ^DRIVER\ +VOLUME\ NAME$ ]] || die "ls header: $out"
grep -Eq "^local +data$" <<<"$out" || die "ls row: $out"
[[ $(b volume ls -q --filter label=com.docker.compose.project=demo) == data ]] || die "ls filter"
b volume ls --format json | grep -q '"Name":"cache"' || die "ls json"
b volume ls --filter bogus=1 >/dev/null 2>&1 && die "unknown filter accepted"

out=$(b volume inspect data cache) || die "inspect"
grep -q '"Scope": "local"' <<<"$out" || die "inspect scope: $out"
grep -q "\"Mountpoint\": \".*/volumes/data/_data\"" <<<"$out" || die "inspect mountpoint: $out"
grep -q '"type": "tmpfs"' <<<"$out" || die "inspect options: $out"
b volume inspect nope 2>&1 | grep -q "no such volume \`nope\`" || die "inspect missing"

[[ $(b volume prune -f | head -2 | tail -1) == "$anon" ]] || die "prune removes the anonymous volume"
[[ $(b volume ls -q | wc -l) == 3 ]] || die "prune kept named volumes"
[[ $(b volume rm cache) == cache ]] || die "rm"
b volume rm cache >/dev/null 2>&1 && die "rm of a missing volume succeeded"
b volume rm -f cache >/dev/null || die "rm -f of a missing volume failed"
b volume prune -a -f | grep -q "Total reclaimed space" || die "prune -a"
[[ -z $(b volume ls -q) ]] || die "prune -a left volumes"
[[ -d $tmp/src ]] || die "prune removed a bind device"
exit 0
