#!/bin/bash
# CVE-2021-41091 class: a setuid-root file that an image ships in a layer, or
# that a container writes into a named volume or its own writable layer, lies
# somewhere under --root. Any host user who can walk the path to it can run
# it as root. brick keeps the stores that hold such files (images/, volumes/,
# containers/) at 0700, and tightens them when an older brick made them 0755.
# Here a host user (nobody) looks for every setuid probe under the root and
# tries to run it: each try must stop at EACCES on the path walk.
source "$(dirname "$0")/lib.sh"
attack_init setuid_reach

probe=$(build_attack suid_probe)
# The root itself is the administrator's; make it walkable as /var/lib is, so
# only brick's own store modes stand between a host user and the files.
chmod 0755 "$BRICK_ROOT"

# An image with a setuid-root probe in its layer.
rootfs="$attack_tmp/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in sh cp chmod sleep; do ln -s busybox "$rootfs/bin/$applet"; done
install -m 4755 -o root -g root "$probe" "$rootfs/bin/suid_probe"
b image import "$rootfs" attack/setuid --change 'ENV PATH=/bin' >/dev/null

# A container plants copies in a named volume and in its writable layer, and
# keeps running so that its merged root is mounted too.
b run -d --name planter -v loot:/loot attack/setuid \
  sh -c 'cp /bin/suid_probe /loot/suid_probe && chmod 4755 /loot/suid_probe &&
         cp /bin/suid_probe /planted && chmod 4755 /planted && sleep 300' >/dev/null
for _ in $(seq 50); do
  [ -n "$(find "$BRICK_ROOT/volumes" -name suid_probe -perm -4000 2>/dev/null)" ] && break
  sleep 0.1
done

mapfile -t planted < <(find "$BRICK_ROOT" \( -name suid_probe -o -name planted \) -type f -perm -4000 | sort)
printf 'setuid files under the root:\n'; printf '  %s\n' "${planted[@]#"$BRICK_ROOT"/}"
# Not a vacuous pass: the image layer, the volume and the writable layer each hold one.
for where in images/layers/ volumes/loot/_data/ containers/; do
  printf '%s\n' "${planted[@]}" | grep -q "^$BRICK_ROOT/$where" || fail "no setuid probe found under $where"
done

# setpriv looks its command up while it still has root's capabilities, so the
# probe is run by a shell that is nobody through and through.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- /bin/sh -c 'exec "$@"' sh "$@"; }
for path in "${planted[@]}"; do
  set +e
  out=$(as_nobody "$path" 2>&1)
  rc=$?
  set -e
  [ $rc -ne 0 ] || fail "a host user ran $path: $out"
  grep -q 'Permission denied' <<<"$out" || fail "running $path as a host user: expected EACCES, got: $out"
  # Not even its metadata: the walk stops before it.
  ! as_nobody stat "$path" >/dev/null 2>&1 || fail "a host user can reach $path"
done

# An upgrade: stores an older brick left at 0755 are tightened on next use.
chmod 0755 "$BRICK_ROOT/images" "$BRICK_ROOT/volumes" "$BRICK_ROOT/containers"
b ps -a >/dev/null
b volume ls >/dev/null
b image ls >/dev/null
for store in images volumes containers; do
  mode=$(stat -c %a "$BRICK_ROOT/$store")
  [ "$mode" = 700 ] || fail "$store/ left at mode $mode after an upgrade"
done
echo "setuid_reach: ok (${#planted[@]} setuid files, none reachable by a host user)"
