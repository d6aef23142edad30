#!/bin/bash
# CVE-2022-0811 class (sysctl injection, CRI-O/pinns): a sysctl value was
# split on `+` and each part written as KEY=VALUE, so a namespaced key could
# carry a host-wide one (kernel.core_pattern, a root shell on the next
# crash). brick writes each value as it is to the one file its key names,
# refuses keys that are not namespaced, and refuses a key that is not a name
# (a `/` or `..` in it). The sandbox's kernel.core_pattern and kernel.shmmni
# stand in for the host's: neither may change. The control: a namespaced
# sysctl is set inside only.
source "$(dirname "$0")/lib.sh"
attack_init sysctl_injection
busybox_image test/busybox
dir=$attack_tmp/stack
mkdir -p "$dir"

injection_cleanup() {
  for p in plus dotdot host overproc control; do b compose -p $p -f "$dir/$p.yaml" down -t 0 >/dev/null 2>&1 || true; done
  attack_cleanup
}
trap injection_cleanup EXIT

core_before=$(cat /proc/sys/kernel/core_pattern)
shmmni_before=$(cat /proc/sys/kernel/shmmni)
unchanged() {
  [ "$(cat /proc/sys/kernel/core_pattern)" = "$core_before" ] || fail "$1: the host's core_pattern became $(cat /proc/sys/kernel/core_pattern)"
  [ "$(cat /proc/sys/kernel/shmmni)" = "$shmmni_before" ] || fail "$1: the host's shmmni became $(cat /proc/sys/kernel/shmmni)"
}

# stack NAME KEY VALUE: one service that prints both files and sleeps.
stack() {
  cat >"$dir/$1.yaml" <<YAML
services:
  s:
    image: test/busybox
    command: [sh, -c, "cat /proc/sys/kernel/shmmni /proc/sys/kernel/core_pattern; sleep 300"]
    sysctls:
      "$2": "$3"
YAML
}

# refused NAME PATTERN: `up` fails naming the sysctl, and nothing changed.
refused() {
  local rc=0
  b compose -p "$1" -f "$dir/$1.yaml" up -d >"$attack_tmp/out" 2>"$attack_tmp/err" || rc=$?
  unchanged "$1"
  [ $rc -ne 0 ] || fail "$1: up succeeded: $(b compose -p "$1" -f "$dir/$1.yaml" logs 2>&1)"
  grep -q -- "$2" "$attack_tmp/err" || fail "$1: error: $(cat "$attack_tmp/err")"
  b compose -p "$1" -f "$dir/$1.yaml" down -t 0 >/dev/null 2>&1 || true
}

# The pinns payload: a namespaced key whose value carries a host-wide one.
stack plus kernel.shmmni "4096+kernel.core_pattern=|$attack_tmp/evil"
refused plus "kernel.shmmni"
# A key that climbs out of its subtree, and a host-wide key.
stack dotdot "net.ipv4/../../kernel/core_pattern" "|$attack_tmp/evil"
refused dotdot "is not a sysctl name"
stack host kernel.core_pattern "|$attack_tmp/evil"
refused host 'sysctl `kernel.core_pattern` is not namespaced: setting it would change the host'

# A sysctl written through a bind over /proc/sys (runc: CVE-2019-16884,
# CVE-2023-27561, where a fake /proc took what was meant for procfs): the
# value must not land in the host directory bound there.
mkdir -p "$attack_tmp/fakesys"
echo 1 >"$attack_tmp/fakesys/shmmni"
cat >"$dir/overproc.yaml" <<YAML
services:
  s:
    image: test/busybox
    command: [sleep, "300"]
    volumes: ["$attack_tmp/fakesys:/proc/sys/kernel"]
    sysctls: {kernel.shmmni: "4321"}
YAML
refused overproc 'its file is not in procfs'
[ "$(cat "$attack_tmp/fakesys/shmmni")" = 1 ] || fail "overproc: the sysctl was written into the host directory"

# Control: a namespaced key is set in the container's namespace only.
want=$((shmmni_before == 4000 ? 4001 : 4000))
stack control kernel.shmmni "$want"
b compose -p control -f "$dir/control.yaml" up -d >/dev/null 2>"$attack_tmp/err" || fail "control: $(cat "$attack_tmp/err")"
for _ in $(seq 50); do
  out=$(b compose -p control -f "$dir/control.yaml" logs --no-log-prefix 2>/dev/null || true)
  [ -n "$out" ] && break
  sleep 0.1
done
[ "$(head -1 <<<"$out")" = "$want" ] || fail "control: shmmni inside is not $want: $out"
unchanged control
echo "sysctl_injection: ok"
