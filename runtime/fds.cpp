#include "runtime/fds.hpp"

#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace brick::runtime {

int close_fds_except(const int* keep, size_t count) noexcept {
  // A sorted copy of the fds to keep, on the stack: the callers keep a
  // handful (pipes, stdio, a pidfd).
  constexpr size_t kMax = 16;
  if (count > kMax) {
    errno = E2BIG;
    return -1;
  }
  int sorted[kMax];
  size_t n = 0;
  for (size_t i = 0; i < count; ++i) {
    if (keep[i] < 3) continue;
    size_t at = n++;
    while (at > 0 && sorted[at - 1] > keep[i]) {
      sorted[at] = sorted[at - 1];
      --at;
    }
    sorted[at] = keep[i];
  }
  unsigned first = 3;
  for (size_t i = 0; i < n; ++i) {
    const unsigned fd = static_cast<unsigned>(sorted[i]);
    if (fd > first && ::syscall(SYS_close_range, first, fd - 1, 0U) < 0) return -1;
    if (fd + 1 > first) first = fd + 1;
  }
  return ::syscall(SYS_close_range, first, static_cast<unsigned>(INT_MAX), 0U) < 0 ? -1 : 0;
}

int chdir_beneath_root(const char* path) noexcept {
  if (::chdir(path) < 0) return -1;
  char where[PATH_MAX];
  // The raw system call: glibc's getcwd turns "(unreachable)/..." into
  // ENOENT, the same errno as a removed directory.
  const long n = ::syscall(SYS_getcwd, where, sizeof where);
  if (n < 0 && errno == ENAMETOOLONG) return 0;  // deep, but reachable: it would start with '/'
  if (n < 0) return -1;
  if (where[0] != '/') {
    errno = EXDEV;
    return -1;
  }
  return 0;
}

}  // namespace brick::runtime
