#!/bin/bash
# CVE-2019-5736 (issue 18 item 3): an image whose program is a script with
# `#!/proc/self/exe` makes the process that execs it run its own executable
# again, inside the container. Were that the host's brick binary, the
# container's root would hold /proc/PID/exe of it and could overwrite it.
# brick's last exec is a sealed shim in a memfd (runtime/exec_shim.hpp),
# which does nothing when run that way: brick must never run in there.
source "$(dirname "$0")/lib.sh"
attack_init self_exe
busybox_image test/selfexe
b volume create evil >/dev/null
vol=$(b volume inspect evil | jq -r '.[0].Mountpoint')
printf '#!/proc/self/exe --version\n' >"$vol/evil"
chmod 755 "$vol/evil"

expect_no_brick() {  # WHAT OUTPUT_FILE RC
  if grep -qi brick "$2"; then fail "$1: the brick binary ran inside the container: $(cat "$2")"; fi
  [ "$3" = 127 ] || fail "$1: exited $3, not 127 (the shim refuses to run as an interpreter)"
}

# The container's own program (spawn).
set +e
b run --rm -v evil:/v:ro test/selfexe /v/evil >"$attack_tmp/run.out" 2>&1
rc=$?
set -e
expect_no_brick "run" "$attack_tmp/run.out" $rc

# A process joining it (exec; healthcheck probes take the same path).
b run -d --name target -v evil:/v:ro test/selfexe sleep 300 >/dev/null
set +e
b exec target /v/evil >"$attack_tmp/exec.out" 2>&1
rc=$?
set -e
expect_no_brick "exec" "$attack_tmp/exec.out" $rc

# The shim leaves no trace: past it, the program is the container's own.
[ "$(b exec target sh -c 'readlink /proc/self/exe')" = /bin/busybox ] || fail "exec's program is not the container's"
echo "self_exe: ok"
