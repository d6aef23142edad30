#include "runtime/exec_shim.hpp"

#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <mutex>

namespace brick::runtime {

extern const unsigned char kExecShim[];
extern const std::size_t kExecShim_size;

namespace {

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

int make_shim_fd() {
  // MFD_EXEC (Linux 6.3): asked for explicitly, so a host with
  // vm.memfd_noexec=1 still gives an executable one; older kernels refuse
  // the flag and make them executable anyway.
  int fd = ::memfd_create("brick-exec-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = ::memfd_create("brick-exec-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  size_t done = 0;
  while (done < kExecShim_size) {
    ssize_t n = ::write(fd, kExecShim + done, kExecShim_size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  if (::fcntl(fd, F_ADD_SEALS, seals | F_SEAL_EXEC) < 0 && ::fcntl(fd, F_ADD_SEALS, seals) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int exec_shim_fd() {
  static std::once_flag once;
  static int fd = -1;
  std::call_once(once, [] { fd = make_shim_fd(); });
  return fd;
}

ShimExec plan_shim_exec(const ExecTarget& target, int error_fd, int stage) {
  ShimExec shim;
  shim.fd = exec_shim_fd();
  shim.error_fd = error_fd;
  if (shim.fd < 0) return shim;
  shim.words = {"brick-exec", std::to_string(error_fd), std::to_string(stage),
                std::to_string(target.candidates.size())};
  for (const std::string& c : target.candidates) shim.words.push_back(c);
  for (std::string& w : shim.words) shim.argv.push_back(w.data());
  for (char* a : target.argv) shim.argv.push_back(a);  // ends with its nullptr
  return shim;
}

void exec_through_shim(const ShimExec& shim, const ExecTarget& target) noexcept {
  if (shim.fd < 0) {
    exec_target(target);
    return;
  }
  // Kept open across the shim's exec: the shim reports a failed exec of
  // the target on it, and marks it close-on-exec again first.
  if (::fcntl(shim.error_fd, F_SETFD, 0) < 0) return;
  ::syscall(SYS_execveat, shim.fd, "", shim.argv.data(), target.envp.data(), AT_EMPTY_PATH);
  const int saved = errno;
  ::fcntl(shim.error_fd, F_SETFD, FD_CLOEXEC);
  errno = saved;
}

}  // namespace brick::runtime
