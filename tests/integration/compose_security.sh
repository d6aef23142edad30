#!/bin/bash
# A compose service's cap_add, privileged and security_opt end to end inside
# sandbox.sh, as the process sees them (issue 19: compose once kept the
# default seccomp filter whatever its capabilities and ignored security_opt):
# cap_add SYS_PTRACE lets it ptrace a process of another user and call kcmp
# (which docker's default filter allows only with that capability), and
# without it neither works; seccomp=unconfined runs without a filter;
# seccomp=FILE (relative to the project directory) applies that profile; a
# malformed profile fails `up`, naming the file, and creates nothing.
# `devices:` and `brick run --device` give the same node.
# Run as: sandbox.sh bash compose_security.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "compose_security: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
dir=$(mktemp -d /tmp/brick-compose-security.XXXXXX)
c() { b compose --project-directory "$dir" "$@"; }
cleanup() {
  for p in itsec itsec-bad; do c -p $p down -v -t 0 >/dev/null 2>&1 || true; done
  for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

command -v cc >/dev/null || fail "no C compiler (cc) to build the ptrace probe"
BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$here/../../samples/images/build-busybox" test/busybox >/dev/null

# The probe: PTRACE_ATTACH to a child that became uid 1000 (and so not
# dumpable): that needs CAP_SYS_PTRACE. kcmp(2) on itself: docker's default
# filter allows it only to a process holding CAP_SYS_PTRACE, so it works
# only where the filter was made for the container's capabilities.
mkdir -p "$dir/bin"
cat >"$dir/probe.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *name(int e) {
  if (e == 0) return "OK";
  if (e == EPERM) return "EPERM";
  if (e == ENOSYS) return "ENOSYS";
  return strerror(e);
}

int main(void) {
  int ready[2];
  char c;
  if (pipe(ready) != 0) return 1;
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    if (setuid(1000) != 0) _exit(2);
    if (write(ready[1], "x", 1) != 1) _exit(3);
    for (;;) pause();
  }
  if (read(ready[0], &c, 1) != 1) return 1;
  int attach = 0;
  if (ptrace(PTRACE_ATTACH, child, 0, 0) != 0) {
    attach = errno;
  } else {
    waitpid(child, NULL, __WALL);
    ptrace(PTRACE_DETACH, child, 0, 0);
  }
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  int cmp = 0;
  if (syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0) < 0) cmp = errno;
  printf("ptrace=%s kcmp=%s\n", name(attach), name(cmp));
  return 0;
}
C
cc -static -O1 -Wall -o "$dir/bin/probe" "$dir/probe.c" || fail "cannot build the probe"
# On the host (root, no filter): what a kernel without kcmp says instead.
host=$("$dir/bin/probe")
case "$host" in
  "ptrace=OK kcmp=OK") kcmp_ok=OK ;;
  "ptrace=OK kcmp=ENOSYS") kcmp_ok=ENOSYS ;;
  *) fail "the probe on the host: $host" ;;
esac
kcmp_refused=EPERM
[ "$kcmp_ok" = ENOSYS ] && kcmp_refused=ENOSYS

cat >"$dir/deny-mkdir.json" <<'JSON'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]
}
JSON
cat >"$dir/compose.yaml" <<YAML
name: itsec
services:
  traced:
    image: test/busybox
    cap_add: [SYS_PTRACE]
    volumes: ["$dir/bin:/probe:ro"]
    command: [/probe/probe]
  plain:
    image: test/busybox
    volumes: ["$dir/bin:/probe:ro"]
    command: [sh, -c, "/probe/probe; mkdir /tmp/made && echo mkdir=OK"]
  unconfined:
    image: test/busybox
    security_opt: [seccomp=unconfined]
    command: [sh, -c, "grep '^Seccomp:' /proc/self/status"]
  profiled:
    image: test/busybox
    security_opt: ["seccomp=deny-mkdir.json"]
    command: [sh, -c, "grep '^Seccomp:' /proc/self/status; mkdir /tmp/denied 2>&1; touch /tmp/file && echo touch=OK"]
  privileged:
    image: test/busybox
    privileged: true
    command: [sh, -c, "grep '^Seccomp:' /proc/self/status"]
  devices:
    image: test/busybox
    devices: ["/dev/null:/dev/mynull:rw"]
    command: [sh, -c, "echo x >/dev/mynull && echo wrote; stat -c '%t:%T' /dev/mynull"]
YAML

c up -d >"$dir/up.out" 2>&1 || fail "up: $(cat "$dir/up.out")"
out() {  # SERVICE: its output once it has exited
  b wait "itsec-$1-1" >/dev/null || fail "$1: wait"
  b logs "itsec-$1-1" 2>&1
}
[ "$(out traced)" = "ptrace=OK kcmp=$kcmp_ok" ] || fail "cap_add SYS_PTRACE: $(out traced)"
[ "$(out plain)" = "$(printf 'ptrace=EPERM kcmp=%s\nmkdir=OK' $kcmp_refused)" ] || fail "without SYS_PTRACE: $(out plain)"
[ "$(out unconfined)" = "Seccomp:	0" ] || fail "seccomp=unconfined: $(out unconfined)"
[ "$(out privileged)" = "Seccomp:	0" ] || fail "privileged: $(out privileged)"
profiled=$(out profiled)
grep -q '^Seccomp:	2$' <<<"$profiled" || fail "seccomp=FILE: no filter: $profiled"
grep -q "can't create directory '/tmp/denied': Operation not permitted" <<<"$profiled" ||
  fail "seccomp=FILE: mkdir was not refused: $profiled"
grep -q '^touch=OK$' <<<"$profiled" || fail "seccomp=FILE: what the profile allows failed: $profiled"
[ "$(out devices)" = "$(printf 'wrote\n1:3')" ] || fail "devices: $(out devices)"
# The same through `brick run --device`.
[ "$(b run --rm --device /dev/null:/dev/mynull:rw test/busybox sh -c "echo x >/dev/mynull && echo wrote; stat -c '%t:%T' /dev/mynull")" = "$(printf 'wrote\n1:3')" ] ||
  fail "run --device"
c down -t 0 >/dev/null 2>&1 || fail "down"

# A malformed profile: `up` fails naming the file, and nothing is made.
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [' >"$dir/broken.json"
cat >"$dir/bad.yaml" <<YAML
services:
  app:
    image: test/busybox
    security_opt: ["seccomp=broken.json"]
    command: [sleep, "300"]
YAML
rc=0
c -p itsec-bad -f "$dir/bad.yaml" up -d >"$dir/bad.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a malformed profile was accepted"
grep -qF "security_opt \`seccomp=broken.json\`: \`$dir/broken.json\`: seccomp profile:" "$dir/bad.out" || fail "the error does not name the file: $(cat "$dir/bad.out")"
[ -z "$(b ps -aq)" ] || fail "a failed up left containers: $(b ps -a)"
if b network ls 2>/dev/null | grep -q itsec-bad; then fail "a failed up left a network: $(b network ls)"; fi
echo "compose_security: ok"
