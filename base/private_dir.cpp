#include "base/private_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "base/unique_fd.hpp"

namespace brick {

Status make_private_dir(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return fail(Error("creating `" + path + "`: " + ec.message(), ec.value()));
  // Checked and changed through one descriptor, so the mode lands on the
  // directory that was checked. A symlink the administrator put there (a
  // store moved to another disk) is followed: --root is theirs, not a
  // container's.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("opening `" + path + "`");
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return fail_errno("reading the mode of `" + path + "`");
  if ((st.st_mode & 07777) != 0700 && ::fchmod(fd.get(), 0700) < 0)
    return fail_errno("making `" + path + "` private (mode 0700)");
  return {};
}

}  // namespace brick
