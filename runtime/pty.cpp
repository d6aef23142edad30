#include "runtime/pty.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "runtime/exec_target.hpp"

namespace brick::runtime {

Result<ConsoleSocket> make_console_socket() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return fail_errno("creating the console socket");
  return ConsoleSocket{UniqueFd(sv[0]), UniqueFd(sv[1])};
}

Result<UniqueFd> receive_terminal(int console_socket) {
  FdMessage m;
  ssize_t n;
  while ((n = ::recvmsg(console_socket, &m.msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) < 0 && errno == EINTR) {
  }
  if (n < 0) return fail_errno("receiving the container's terminal");
  const cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  if (n != 1 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
    return fail("receiving the container's terminal: no descriptor came");
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return UniqueFd(fd);
}

std::string describe_terminal_step(int step) {
  static const char* const steps[] = {"opening the container's /dev/ptmx", "unlocking the terminal",
                                      "opening the terminal's slave side", "sending the terminal to the caller"};
  return step >= 0 && step < 4 ? steps[step] : "allocating the terminal";
}

}  // namespace brick::runtime
