// The last step of every process brick starts in a container (spawn's init
// and command, exec, healthcheck probes): an execve of a tiny shim held in a
// sealed memfd, which execs the container's program (exec_shim/shim.c says
// why). Until then the process runs the brick binary; from then on its
// /proc/self/exe is the sealed shim, so an image's `#!/proc/self/exe` or a
// process of the container that holds /proc/PID/exe can reach no host file
// (runc: CVE-2019-5736).
#pragma once

#include <string>
#include <vector>

#include "runtime/exec_target.hpp"

namespace brick::runtime {

// The shim as a sealed (no write, grow, shrink or further seals),
// close-on-exec memfd, made once per process; -1 where the kernel has no
// executable memfds (vm.memfd_noexec=2), in which case the target is exec'd
// directly. Thread-safe.
int exec_shim_fd();

// The shim's argv for `target`, planned (allocated) in the parent: `error_fd`
// is the child's error pipe, `stage` what a failure is reported as there.
struct ShimExec {
  int fd = -1;
  int error_fd = -1;
  std::vector<std::string> words;
  std::vector<char*> argv;
};
ShimExec plan_shim_exec(const ExecTarget& target, int error_fd, int stage);

// Child side, allocation-free: execs `target` through the shim (the error fd
// is kept open across the shim's own exec), or directly without one.
// Returns only when the exec of the shim itself failed, with errno set; a
// failure to exec the target is reported by the shim on the error fd.
void exec_through_shim(const ShimExec& shim, const ExecTarget& target) noexcept;

}  // namespace brick::runtime
