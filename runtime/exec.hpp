// exec_in_container: one more process inside a running container (`brick
// exec`, healthchecks): every namespace of its PID 1, its cgroup, and the
// same capability, seccomp, no_new_privs, user, env and cwd rules as
// spawn_container.
#pragma once

#include <sys/ioctl.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/process.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

struct ExecOptions {
  // The container's PID 1 as the host sees it, and a pidfd for it if the
  // caller holds one (else one is opened from the pid; it must be the
  // caller's child or otherwise known not to have been recycled).
  pid_t container_pid = -1;
  int container_pidfd = -1;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // The container's cgroup directories (Cgroup::directories(), the record's
  // cgroup_dirs): the new process is in them before before_start runs.
  std::vector<std::string> cgroup_dirs;
  // Runs in the parent once the new process exists in the container's
  // namespaces, before it runs a step of its own. A failure kills it and is
  // returned.
  std::function<Status(pid_t)> before_start;
  // With process.terminal, as spawn's: the process takes a terminal from the
  // container's own /dev/ptmx and sends its master here (receive_terminal);
  // `console_size`, when not all zero, is its first window size.
  int console_socket = -1;
  struct winsize console_size {};
};

// Enters the pid, mount, network, ipc, uts and cgroup namespaces of the
// container (one setns on its pidfd), then, as spawn does: rlimits, stdio,
// ids and capabilities, cwd, no_new_privs and the seccomp filter last, and
// execs process.args with process.env (PATH searched as in spawn). The new
// process is a child of the caller. Returns once the exec succeeded; a
// failing step comes back as ``exec in container: <step>: <strerror>`` with
// its errno (ENOENT: not found, 127; EACCES & co.: not executable, 126).
Result<ChildProcess> exec_in_container(const Process& process, const Linux& linux, const ExecOptions& options);

}  // namespace brick::runtime
