#include "cli/terminal.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace brick::cli {

namespace {

// false when `fd` is gone (EOF or an error other than EINTR/EAGAIN).
bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

RawTerminal::RawTerminal() {
  if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
  struct termios raw = saved_;
  ::cfmakeraw(&raw);
  active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

RawTerminal::~RawTerminal() {
  if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
}

void relay_terminal(int master, bool forward_stdin) {
  char buf[16384];
  bool in_open = forward_stdin;
  for (;;) {
    struct pollfd fds[2] = {{master, POLLIN, 0}, {in_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // EIO: every holder of the process side is gone
      if (!write_all(STDOUT_FILENO, buf, static_cast<size_t>(n))) return;
    }
    if (fds[1].revents) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || !write_all(master, buf, static_cast<size_t>(n))) in_open = false;
    }
  }
}

}  // namespace brick::cli
