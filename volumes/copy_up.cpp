// Copying the image's content at a mount target into a new, empty volume, as
// docker does on a volume's first mount. The source tree is the container's
// rootfs, which the image author controls: every lookup there is by fd with
// O_NOFOLLOW (the start resolved with RESOLVE_IN_ROOT), so a symlink is
// copied as a symlink and never followed out to the host.
#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/openat2.hpp"
#include "base/unique_fd.hpp"
#include "volumes/mounts.hpp"

namespace brick::volumes {
namespace {

using InodeKey = std::pair<dev_t, ino_t>;

struct Copier {
  int dest_root = -1;
  std::map<InodeKey, std::string> linked;  // hard-linked source inodes: dest path (from dest_root) of the first copy

  Status copy_xattrs(int from, int to, const std::string& path) {
    ssize_t size = ::flistxattr(from, nullptr, 0);
    if (size < 0) {
      if (errno == ENOTSUP) return {};
      return fail_errno("listing xattrs of `" + path + "`");
    }
    std::string names(static_cast<size_t>(size), '\0');
    size = ::flistxattr(from, names.data(), names.size());
    if (size < 0) return fail_errno("listing xattrs of `" + path + "`");
    names.resize(static_cast<size_t>(size));
    for (size_t at = 0; at < names.size();) {
      std::string name = names.c_str() + at;
      at += name.size() + 1;
      ssize_t n = ::fgetxattr(from, name.c_str(), nullptr, 0);
      if (n < 0) return fail_errno("reading xattr `" + name + "` of `" + path + "`");
      std::string value(static_cast<size_t>(n), '\0');
      n = ::fgetxattr(from, name.c_str(), value.data(), value.size());
      if (n < 0) return fail_errno("reading xattr `" + name + "` of `" + path + "`");
      if (::fsetxattr(to, name.c_str(), value.data(), static_cast<size_t>(n), 0) < 0 && errno != ENOTSUP)
        return fail_errno("setting xattr `" + name + "` on the copy of `" + path + "`");
    }
    return {};
  }

  // Owner before mode: chown clears set-id bits.
  Status copy_meta(int from, int to, const struct stat& st, const std::string& path) {
    if (::fchown(to, st.st_uid, st.st_gid) < 0) return fail_errno("setting the owner of the copy of `" + path + "`");
    if (::fchmod(to, st.st_mode & 07777) < 0) return fail_errno("setting the mode of the copy of `" + path + "`");
    BRICK_TRY(copy_xattrs(from, to, path));
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(to, times) < 0) return fail_errno("setting the times of the copy of `" + path + "`");
    return {};
  }

  Status copy_file(int src_dir, int dst_dir, const char* name, const struct stat& st, const std::string& path) {
    UniqueFd in(::openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (!in) return fail_errno("opening `" + path + "` in the image");
    UniqueFd out(::openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) return fail_errno("creating the copy of `" + path + "`");
    for (off_t left = st.st_size; left > 0;) {
      ssize_t n = ::sendfile(out.get(), in.get(), nullptr, static_cast<size_t>(std::min<off_t>(left, 1 << 30)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("copying `" + path + "`");
      if (n == 0) break;  // the file shrank under us
      left -= n;
    }
    return copy_meta(in.get(), out.get(), st, path);
  }

  Status copy_dir(int src_dir, int dst_dir, const std::string& path, const std::string& rel) {
    // fdopendir takes the fd over; the caller's stays open for the metadata.
    int dup = ::openat(src_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup < 0) return fail_errno("opening `" + path + "` in the image");
    DIR* dir = ::fdopendir(dup);
    if (dir == nullptr) {
      ::close(dup);
      return fail_errno("reading `" + path + "` in the image");
    }
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(dir)) {
      std::string_view n = e->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return fail(Error::from_errno("reading `" + path + "` in the image", err));

    for (const std::string& name : names) {
      const std::string child = path + "/" + name;
      const std::string child_rel = rel.empty() ? name : rel + "/" + name;
      struct stat st {};
      if (::fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_errno("reading `" + child + "` in the image");
      if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
        auto [it, first] = linked.try_emplace(InodeKey{st.st_dev, st.st_ino}, child_rel);
        if (!first) {
          if (::linkat(dest_root, it->second.c_str(), dst_dir, name.c_str(), 0) < 0)
            return fail_errno("linking the copy of `" + child + "`");
          continue;
        }
      }
      if (S_ISDIR(st.st_mode)) {
        if (::mkdirat(dst_dir, name.c_str(), 0700) < 0) return fail_errno("creating the copy of `" + child + "`");
        UniqueFd sub_src(::openat(src_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub_src) return fail_errno("opening `" + child + "` in the image");
        UniqueFd sub_dst(::openat(dst_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub_dst) return fail_errno("opening the copy of `" + child + "`");
        BRICK_TRY(copy_dir(sub_src.get(), sub_dst.get(), child, child_rel));
        BRICK_TRY(copy_meta(sub_src.get(), sub_dst.get(), st, child));
      } else if (S_ISREG(st.st_mode)) {
        BRICK_TRY(copy_file(src_dir, dst_dir, name.c_str(), st, child));
      } else if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlinkat(src_dir, name.c_str(), target.data(), target.size());
        if (n < 0) return fail_errno("reading symlink `" + child + "` in the image");
        target.resize(static_cast<size_t>(n));
        if (::symlinkat(target.c_str(), dst_dir, name.c_str()) < 0)
          return fail_errno("creating the copy of symlink `" + child + "`");
        if (::fchownat(dst_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
          return fail_errno("setting the owner of the copy of `" + child + "`");
        const struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (::utimensat(dst_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
          return fail_errno("setting the times of the copy of `" + child + "`");
      } else {
        // Devices, fifos, sockets: made again, not read.
        if (::mknodat(dst_dir, name.c_str(), st.st_mode, st.st_rdev) < 0)
          return fail_errno("creating the copy of `" + child + "`");
        if (::fchownat(dst_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            ::fchmodat(dst_dir, name.c_str(), st.st_mode & 07777, 0) < 0)
          return fail_errno("setting the owner and mode of the copy of `" + child + "`");
      }
    }
    return {};
  }
};

}  // namespace

Status copy_up(const std::string& rootfs, const std::string& path, const std::string& dest_dir) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("opening rootfs `" + rootfs + "`");
  auto src = open_beneath(root.get(), path, O_RDONLY | O_DIRECTORY);
  if (!src) {
    int err = src.error().errno_value();
    if (err == ENOENT || err == ENOTDIR) return {};  // nothing in the image there
    return fail(std::move(src).error().context("copying the image's `" + path + "` into a volume"));
  }
  UniqueFd dest(::open(dest_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dest) return fail_errno("opening volume directory `" + dest_dir + "`");
  struct stat st {
  }, root_st{};
  if (::fstat(src->get(), &st) < 0 || ::fstat(root.get(), &root_st) < 0)
    return fail_errno("reading `" + path + "` in the image");
  // `path` led (through `x -> /`) to the root itself: not a mount point the
  // runtime will accept, and not something to copy whole into a volume.
  if (st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino) return {};
  Copier copier;
  copier.dest_root = dest.get();
  BRICK_TRY_CTX(copier.copy_dir(src->get(), dest.get(), path, ""), "copying the image's `" + path + "` into a volume");
  BRICK_TRY_CTX(copier.copy_meta(src->get(), dest.get(), st, path), "copying the image's `" + path + "` into a volume");
  return {};
}

}  // namespace brick::volumes
