#!/bin/bash
# CVE-2021-30465 class (issue 18 item 1): a container that can write where a
# mount's source lies (the volume behind a `subpath`, a host directory bound
# beside a nested bind) replaces that source with a symlink to `/` and exits.
# Its restart must not mount the host's root: the source is opened again
# without following symlinks, and the restart fails with a clear error.
source "$(dirname "$0")/lib.sh"
attack_init mount_source_swap
busybox_image test/swap
secret="$attack_tmp/host-secret"
echo host-only >"$secret"

# In the container: the first run swaps the source for `-> /` and fails; a
# restart that mounted the host copies the secret out through $WRITABLE.
attack='if [ -e "$W/swapped" ]; then cat "/data$SECRET" >"$W/leak" 2>/dev/null; ls /data >"$W/listing"; sleep 300; fi
rm -rf "$W/sub" && ln -s / "$W/sub" && touch "$W/swapped"; exit 1'

wait_done() {  # NAME WRITABLE_HOST_DIR: until the restart failed or leaked, 30 s at most
  for _ in $(seq 1 60); do
    [ -e "$2/leak" ] && break
    b inspect "$1" 2>/dev/null | grep -q 'symlink now' && break
    sleep 0.5
  done
}

check() {  # NAME WRITABLE_HOST_DIR
  if [ -e "$2/leak" ] && grep -q host-only "$2/leak"; then fail "$1: the restart mounted the host's root"; fi
  [ ! -s "$2/listing" ] || fail "$1: the restart mounted something at the swapped source: $(cat "$2/listing")"
  b inspect "$1" | grep -q 'symlink now' || fail "$1: the failed restart does not say why: $(b inspect "$1")"
}

# 1. A volume subpath; the whole volume is mounted too, so the container can
# write beside the subpath.
b volume create vol >/dev/null
vol=$(b volume inspect vol | jq -r '.[0].Mountpoint')
mkdir "$vol/sub"
b run -d --name subpath --restart on-failure:3 -e W=/vol -e SECRET="$secret" -v vol:/vol \
  --mount type=volume,src=vol,dst=/data,volume-subpath=sub test/swap sh -c "$attack" >/dev/null
wait_done subpath "$vol"
[ -e "$vol/swapped" ] || fail "subpath: the attack did not run: $(b logs subpath 2>&1)"
check subpath "$vol"

# 2. A bind nested in another bind of the same host directory.
app="$attack_tmp/app"
mkdir -p "$app/sub"
b run -d --name nested --restart on-failure:3 -e W=/app -e SECRET="$secret" -v "$app:/app" -v "$app/sub:/data" \
  test/swap sh -c "$attack" >/dev/null
wait_done nested "$app"
[ -e "$app/swapped" ] || fail "nested: the attack did not run: $(b logs nested 2>&1)"
check nested "$app"

# A source that stays a directory still mounts at every restart.
b run -d --name steady --restart on-failure:2 -v vol:/vol test/swap sh -c 'echo x >>/vol/runs; exit 1' >/dev/null
for _ in $(seq 1 40); do [ "$(wc -l <"$vol/runs" 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.5; done
[ "$(wc -l <"$vol/runs")" -ge 3 ] || fail "a plain volume did not come back at each restart"
echo "mount_source_swap: ok"
