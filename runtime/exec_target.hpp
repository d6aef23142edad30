// What spawn_container and exec_in_container both do last in their child:
// put the caller's fds on 0..2 and execve the process, searching the
// container's PATH. Planned (allocated) in the parent; the child side only
// makes syscalls.
#pragma once

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

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

// The message a console socket carries: one byte, and room for one fd
// (SCM_RIGHTS). Both ends build it the same way; it points into itself, so
// it stays where it was made.
struct FdMessage {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  FdMessage() noexcept {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

// With a console socket (>= 0): the container's own terminal
// (open_container_terminal) takes the place of all three of `stdio`. Returns
// false, errno and `*step` set, when it cannot be made.
bool use_container_terminal(int stdio[3], int console_socket, const struct winsize& size, int* step) noexcept;

// Child side, allocation-free, once in the container's mount namespace: a
// terminal from the container's own /dev/ptmx (its devpts instance, so the
// name ttyname() gives exists inside), its window size set from `size` when
// that is not all zero, the master sent over `console_socket` (SCM_RIGHTS;
// runtime/pty.hpp's receive_terminal takes it). Returns the slave side
// (O_CLOEXEC, for install_stdio), or -1 with errno set and `*step` naming
// what failed: 0 opening /dev/ptmx, 1 unlocking, 2 the slave, 3 sending.
int open_container_terminal(int console_socket, const struct winsize& size, int* step) noexcept;

// execve of each candidate in turn; returns only when all fail, with errno
// as execvp reports it: the first error other than ENOENT/ENOTDIR (a file
// found and refused), else ENOENT.
void exec_target(const ExecTarget& target) noexcept;

}  // namespace brick::runtime
