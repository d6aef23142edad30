#include "base/openat2.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/strings.hpp"

namespace brick {
namespace {

int sys_openat2(int dirfd, const std::string& path, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<__u64>(flags | O_CLOEXEC);
  // O_TMPFILE includes O_DIRECTORY's bit, so test it whole; openat2 rejects a
  // mode given without O_CREAT or O_TMPFILE.
  how.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // RESOLVE_IN_ROOT answers EAGAIN when a rename anywhere on the system raced
  // with a `..` lookup, to keep the lookup from escaping; a retry is safe.
  for (int attempt = 0;; ++attempt) {
    int fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
    if (fd >= 0 || errno != EAGAIN || attempt == 16) return fd;
  }
}

}  // namespace

Result<UniqueFd> open_beneath(int root_fd, std::string_view path, int flags, mode_t mode) {
  std::string p(path.empty() ? "." : path);
  int fd = sys_openat2(root_fd, p, flags, mode);
  if (fd < 0) {
    if (errno == ENOSYS)
      return fail(Error("opening `" + p + "` beneath a root: openat2 needs Linux 5.6 or later", ENOSYS));
    return fail_errno("opening `" + p + "` beneath its root");
  }
  return UniqueFd(fd);
}

Result<UniqueFd> mkdir_beneath(int root_fd, std::string_view path, mode_t mode) {
  // Usually the directory is there already (an unpacked layer lists a
  // directory before its entries): one lookup then.
  auto whole = open_beneath(root_fd, path, O_PATH | O_DIRECTORY);
  if (whole || whole.error().errno_value() != ENOENT) return whole;
  UniqueFd dir = BRICK_TRY(open_beneath(root_fd, ".", O_PATH | O_DIRECTORY));
  std::string prefix;
  for (const auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    prefix += (prefix.empty() ? "" : "/") + part;
    // Each prefix is resolved from the root again, so a symlink met on the
    // way is read the way RESOLVE_IN_ROOT reads it: clamped to the root.
    auto next = open_beneath(root_fd, prefix, O_PATH | O_DIRECTORY);
    if (!next && next.error().errno_value() == ENOENT) {
      // mkdirat never follows a symlink in its last component: a dangling
      // symlink there fails with EEXIST instead of creating its target.
      if (::mkdirat(dir.get(), part.c_str(), mode) < 0 && errno != EEXIST)
        return fail_errno("creating `" + prefix + "` beneath its root");
      next = open_beneath(root_fd, prefix, O_PATH | O_DIRECTORY);
      if (!next && next.error().errno_value() == ENOENT)
        return fail(Error("creating `" + prefix + "` beneath its root: it is a dangling symlink; remove it", ENOENT));
    }
    if (!next) return fail(std::move(next).error());
    dir = std::move(*next);
  }
  return dir;
}

}  // namespace brick
