#include "runtime/pty.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include <string>

namespace brick::runtime {

Result<Pty> open_pty(int size_from) {
  Pty pty;
  pty.master = UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master || ::grantpt(pty.master.get()) < 0 || ::unlockpt(pty.master.get()) < 0)
    return fail_errno("allocating a pseudo-terminal");
  char name[64];
  if (::ptsname_r(pty.master.get(), name, sizeof name) != 0) return fail_errno("allocating a pseudo-terminal");
  pty.slave = UniqueFd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.slave) return fail_errno(std::string("opening `") + name + "`");
  if (size_from >= 0) copy_window_size(size_from, pty.master.get());
  return pty;
}

bool copy_window_size(int from, int to) {
  struct winsize ws {};
  return ::ioctl(from, TIOCGWINSZ, &ws) == 0 && ::ioctl(to, TIOCSWINSZ, &ws) == 0;
}

}  // namespace brick::runtime
