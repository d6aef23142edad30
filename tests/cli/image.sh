#!/bin/bash
# brick image: import, load (file and stdin), tag, ls, inspect, save (read by
# skopeo when installed), rm and prune, against a temporary --root.
set -u
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
b() { "$BRICK" --root "$tmp/root" "$@"; }
die() { echo "FAIL: $*"; exit 1; }

mkdir -p "$tmp/rootfs/etc" && echo hi > "$tmp/rootfs/etc/motd"
id=$(b image import "$tmp/rootfs" local/base:1 --change 'CMD ["sh"]' -c 'ENV A=b') || die "import"
[[ $id == sha256:* ]] || die "import printed '$id'"
b image tag local/base:1 busybox || die "tag"
out=$(b image ls) || die "ls"
[[ $(head -1 <<<"$out") =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]] || die "ls header: $out"
grep -Eq "^busybox +latest +${id:7:12} " <<<"$out" || die "ls row: $out"
b image ls --format json | grep -q '"Repository":"local/base"' || die "ls json"
b image inspect busybox | grep -q '"sh"' || die "inspect"

b image save -o "$tmp/out.tar" busybox local/base:1 || die "save"
if command -v skopeo >/dev/null; then
  skopeo inspect "oci-archive:$tmp/out.tar:docker.io/library/busybox:latest" >/dev/null || die "skopeo inspect"
fi
out=$(b image rm busybox) || die "rm"
[[ $out == "Untagged: busybox:latest" ]] || die "rm printed '$out'"
b image rm local/base:1 | grep -q "^Deleted: $id" || die "rm last name"
b image rm local/base:1 >/dev/null 2>&1 && die "rm of a missing image succeeded"
out=$(b image load < "$tmp/out.tar") || die "load from stdin"
grep -q "Loaded image: busybox:latest" <<<"$out" || die "load printed '$out'"
b image load -i "$tmp/out.tar" >/dev/null || die "load -i"
b image prune | grep -q "Total reclaimed space" || die "prune"
b image tag busybox 'Bad' 2>&1 | grep -q "must be lowercase" || die "bad tag message"
exit 0
