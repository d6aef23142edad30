// spawn_container: one process in fresh namespaces, inside its rootfs, as the
// spec says, until execve. The parent can act on the child (cgroup, network
// namespace) after it exists but before it runs a single step of its own.
#pragma once

#include <sys/ioctl.h>
#include <sys/types.h>

#include <functional>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/process.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

struct SpawnOptions {
  // Become the container's 0, 1 and 2; -1 inherits the caller's.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // The container's cgroup: the child is born in it (cgroup v2, clone3's
  // CLONE_INTO_CGROUP) or joins it by itself first thing (v1), before
  // before_start and the hooks (CgroupJoin).
  Cgroup* cgroup = nullptr;
  // Runs in the parent once the child exists, before it touches anything:
  // move a veth into /proc/<pid>/ns/net. A failure kills the child and is
  // returned.
  std::function<Status(pid_t)> before_start;
  // `init: true`: PID 1 is brick's reaper (runtime/init.hpp), the command its
  // child. The returned ChildProcess is the init; its exit status is the
  // command's.
  bool init = false;
  // With process.terminal: a unix socket (runc's console socket). The
  // container allocates its terminal from its own /dev/ptmx (so ttyname()
  // inside names a /dev/pts/N that exists there), makes the slave its 0, 1
  // and 2 and its controlling terminal, and sends the master here
  // (SCM_RIGHTS) before the exec: runtime/pty.hpp's receive_terminal takes
  // it. The std*_fd
  // above are then unused. `console_size`, when not all zero, is its first
  // window size.
  int console_socket = -1;
  struct winsize console_size {};
  // What the spec's hooks read as the container's state (runtime/hooks.hpp):
  // its id and its bundle, the directory holding its config.json.
  std::string id;
  std::string bundle;
};

// Clones into the spec's namespaces (pid, network, ipc, uts, mount; cgroup is
// unshared after before_start, so its root is the container's cgroup), builds
// the mounts, pivots into root.path, masks and protects paths, sets hostname
// and rlimits, makes ld_library_dirs known (ld.so.conf.d and the image's
// ldconfig, as the container's root), sets ids, capabilities, no_new_privs
// and the seccomp filter (the last step) and execs process.args. Runs the
// spec's prestart, createRuntime, createContainer and startContainer hooks
// on the way (runtime/hooks.hpp); a failing one fails the start. Returns once the exec succeeded;
// a failing step comes back as ``starting container: <step>: <strerror>``.
// Not yet: user namespaces, joining namespace paths.
Result<ChildProcess> spawn_container(const ContainerSpec& spec, const SpawnOptions& options = {});

}  // namespace brick::runtime
