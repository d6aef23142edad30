#!/bin/bash
# CVE-2024-21626 class: a working directory of /proc/self/fd/N (from `-w`, an
# image's WORKDIR, or `exec -w`) would land in a host directory that the
# process starting the container still had open (the cgroup directory it was
# cloned into, a monitor's fds), and `..` from there walks the host's
# filesystem. Every fd is closed before the chdir, and a cwd outside the
# container's root is refused.
source "$(dirname "$0")/lib.sh"
attack_init cwd_fd
busybox_image test/cwd
marker="$attack_tmp/host-marker"
echo host-only >"$marker"
up=../../../../../../../../../..

probe='cat '"$up$marker"' 2>/dev/null; true'
for n in $(seq 3 30); do
  out=$(b run --rm -w "/proc/self/fd/$n" test/cwd sh -c "$probe" 2>&1 || true)
  if grep -q host-only <<<"$out"; then fail "run -w /proc/self/fd/$n reached the host"; fi
done
b run -d --name target test/cwd sleep 300 >/dev/null
for n in $(seq 3 30); do
  out=$(b exec -w "/proc/self/fd/$n" target sh -c "$probe" 2>&1 || true)
  if grep -q host-only <<<"$out"; then fail "exec -w /proc/self/fd/$n reached the host"; fi
done
# brick's caller hands it a host directory on fd 7 (a shell's redirection,
# a supervisor's socket dir): it must not become the container's cwd.
for n in 7 8; do
  out=$(b run --rm -w "/proc/self/fd/$n" test/cwd sh -c "$probe" 2>&1 7<"$attack_tmp" 8<"$attack_tmp" || true)
  if grep -q host-only <<<"$out"; then fail "run -w /proc/self/fd/$n reached the caller's directory"; fi
  out=$(b exec -w "/proc/self/fd/$n" target sh -c "$probe" 2>&1 7<"$attack_tmp" 8<"$attack_tmp" || true)
  if grep -q host-only <<<"$out"; then fail "exec -w /proc/self/fd/$n reached the caller's directory"; fi
done
# A cwd inside the container still works.
b run --rm -w /tmp test/cwd true >/dev/null || fail "a plain -w no longer works"
echo "cwd_fd: ok"
