// What spawn_container and exec_in_container both do last in their child:
// put the caller's fds on 0..2 and execve the process, searching the
// container's PATH. Planned (allocated) in the parent; the child side only
// makes syscalls.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

struct ExecTarget {
  // args[0] as given when it has a '/', else each directory of the
  // container's PATH (its env, not the caller's) joined with it.
  std::vector<std::string> candidates;
  // Point into the Process planned from, which must outlive the target.
  std::vector<char*> argv, envp;
};

// Fails on an empty process.args.
Result<ExecTarget> plan_exec(const Process& process);

// Child side, allocation-free. Puts each stdio[i] that is >= 0 on fd i
// (moving them all above 2 first, so one cannot overwrite another); with
// `terminal` (process.terminal, stdin a terminal's slave side), starts a new
// session with it as the controlling terminal. Returns -1, or the fd that
// failed with errno set.
int install_stdio(const int stdio[3], bool terminal) noexcept;

// execve of each candidate in turn; returns only when all fail, with errno
// as execvp reports it: the first error other than ENOENT/ENOTDIR (a file
// found and refused), else ENOENT.
void exec_target(const ExecTarget& target) noexcept;

}  // namespace brick::runtime
