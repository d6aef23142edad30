#include "images/unpack_fs.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452  // Linux 6.6; Debian 12's headers predate it
#endif

namespace brick::images::detail {

Result<std::vector<std::string>> clean_entry_path(std::string_view name) {
  // tar and docker would put `/etc/x` at <root>/etc/x; no tool that writes
  // layers makes such a name, so it is a sign of a crafted archive.
  if (name.starts_with('/')) return fail("path `" + std::string(name) + "` is absolute");
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return fail("path `" + std::string(name) + "` climbs out of the root");
      parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return parts;
}

std::string join_path(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out;
}

namespace {

Status remove_tree_contents(int dir_fd, const std::string& display) {
  int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return fail_errno("duplicating fd for `" + display + "`");
  DIR* dir = ::fdopendir(dup_fd);
  if (!dir) {
    int saved = errno;
    ::close(dup_fd);
    return fail(Error::from_errno("listing `" + display + "`", saved));
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* ent = ::readdir(dir)) {
    std::string name = ent->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int saved = errno;
  ::closedir(dir);
  if (saved) return fail(Error::from_errno("listing `" + display + "`", saved));
  for (const auto& name : names) BRICK_TRY(remove_at(dir_fd, name, display + "/" + name));
  return {};
}

}  // namespace

Status remove_at(int dir_fd, const std::string& name, const std::string& display) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return fail_errno("inspecting `" + display + "`");
  }
  if (S_ISDIR(st.st_mode)) {
    // O_NOFOLLOW: between the fstatat and here the name could have turned
    // into a symlink; never empty a directory it points to.
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fail_errno("opening `" + display + "` to remove it");
    UniqueFd owned(fd);
    BRICK_TRY(remove_tree_contents(owned.get(), display));
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) return fail_errno("removing `" + display + "`");
    return {};
  }
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) return fail_errno("removing `" + display + "`");
  return {};
}

Status chmod_nofollow(int dir_fd, const std::string& name, mode_t mode) {
  // fchmodat2 (6.6) honours AT_SYMLINK_NOFOLLOW in the kernel; before it,
  // glibc emulates the flag through an O_PATH fd and /proc/self/fd.
  if (::syscall(SYS_fchmodat2, dir_fd, name.c_str(), mode, AT_SYMLINK_NOFOLLOW) == 0) return {};
  if (errno == ENOSYS && ::fchmodat(dir_fd, name.c_str(), mode, AT_SYMLINK_NOFOLLOW) == 0) return {};
  return fail_errno("changing the mode of `" + name + "`");
}

}  // namespace brick::images::detail
