#include "runtime/exec_target.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "base/strings.hpp"

namespace brick::runtime {

Result<ExecTarget> plan_exec(const Process& process) {
  if (process.args.empty() || process.args[0].empty()) return fail("process.args is empty");
  ExecTarget target;
  const std::string& program = process.args[0];
  if (program.find('/') != std::string::npos) {
    target.candidates.push_back(program);
  } else {
    // execvpe would search the parent's PATH; the container's own env decides.
    std::string_view path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const std::string& e : process.env)
      if (e.starts_with("PATH=")) path_env = std::string_view(e).substr(5);
    for (const std::string& dir : split(path_env, ':'))
      target.candidates.push_back((dir.empty() ? "." : dir) + "/" + program);
  }
  for (const std::string& a : process.args) target.argv.push_back(const_cast<char*>(a.c_str()));
  target.argv.push_back(nullptr);
  for (const std::string& e : process.env) target.envp.push_back(const_cast<char*>(e.c_str()));
  target.envp.push_back(nullptr);
  return target;
}

int install_stdio(const int stdio[3], bool terminal) noexcept {
  int high[3] = {-1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    if (stdio[i] < 0) continue;
    high[i] = ::fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
    if (high[i] < 0) return i;
  }
  for (int i = 0; i < 3; ++i)
    if (high[i] >= 0 && ::dup2(high[i], i) < 0) return i;  // dup2 clears CLOEXEC
  if (terminal && (::setsid() < 0 || ::ioctl(0, TIOCSCTTY, 0) < 0)) return 0;
  return -1;
}

int open_container_terminal(int console_socket, const struct winsize& size, int* step) noexcept {
  const int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return *step = 0, -1;
  int unlock = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) < 0) return *step = 1, -1;
  if (size.ws_row != 0 || size.ws_col != 0) (void)::ioctl(master, TIOCSWINSZ, &size);
  const int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return *step = 2, -1;
  FdMessage m;
  cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &master, sizeof master);
  ssize_t sent;
  while ((sent = ::sendmsg(console_socket, &m.msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (sent != 1) return *step = 3, -1;
  ::close(master);
  ::close(console_socket);
  return slave;
}

bool use_container_terminal(int stdio[3], int console_socket, const struct winsize& size, int* step) noexcept {
  if (console_socket < 0) return true;
  const int slave = open_container_terminal(console_socket, size, step);
  if (slave < 0) return false;
  stdio[0] = stdio[1] = stdio[2] = slave;
  return true;
}

void exec_target(const ExecTarget& target) noexcept {
  int first_error = ENOENT;
  for (const std::string& candidate : target.candidates) {
    ::execve(candidate.c_str(), target.argv.data(), target.envp.data());
    if (errno != ENOENT && errno != ENOTDIR && first_error == ENOENT) first_error = errno;
  }
  errno = first_error;
}

}  // namespace brick::runtime
