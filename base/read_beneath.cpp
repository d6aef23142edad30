#include "base/read_beneath.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>

#include "base/openat2.hpp"
#include "base/unique_fd.hpp"

namespace brick {
namespace {

const char* kind_of(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR: return "a directory";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFIFO: return "a FIFO";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symlink";
    default: return "not a regular file";
  }
}

std::string limit_text(size_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

Result<std::string> read_regular_beneath(int root_fd, std::string_view path, size_t max_bytes) {
  const std::string name(path);
  // O_PATH opens nothing: a device or FIFO found here is never opened.
  UniqueFd found = BRICK_TRY(open_beneath(root_fd, path, O_PATH));
  struct stat st {};
  if (::fstat(found.get(), &st) < 0) return fail_errno("`" + name + "`");
  if (!S_ISREG(st.st_mode))
    return fail(Error("`" + name + "` is " + kind_of(st.st_mode) + ", not a regular file; refusing to read it"));
  const auto too_big = [&] {
    return fail(Error("`" + name + "` is larger than " + limit_text(max_bytes) + "; refusing to read it"));
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_big();
  // The same inode, now for reading (through the descriptor, not the path,
  // so nothing can be swapped in between).
  const std::string self = "/proc/self/fd/" + std::to_string(found.get());
  UniqueFd fd(::open(self.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return fail_errno("opening `" + name + "`");
  // It may still grow while we read: never read past the cap.
  std::string text(max_bytes + 1 < 65536 ? max_bytes + 1 : 65536, '\0');
  size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      if (text.size() > max_bytes) return too_big();
      text.resize(std::min(text.size() * 2, max_bytes + 1));
    }
    ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading `" + name + "`");
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > max_bytes) return too_big();
  text.resize(used);
  return text;
}

}  // namespace brick
