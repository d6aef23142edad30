#include "images/unpack_extract.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "base/openat2.hpp"
#include "images/unpack_fs.hpp"

namespace brick::images::detail {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMeta = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

std::string fd_path(int fd, const std::string& base) { return "/proc/self/fd/" + std::to_string(fd) + "/" + base; }

}  // namespace

void entry_times(archive_entry* entry, timespec times[2]) {
  times[0].tv_nsec = times[1].tv_nsec = UTIME_OMIT;
  times[0].tv_sec = times[1].tv_sec = 0;
  if (archive_entry_mtime_is_set(entry)) {
    times[1].tv_sec = archive_entry_mtime(entry);
    times[1].tv_nsec = archive_entry_mtime_nsec(entry);
    times[0] = times[1];
  }
  if (archive_entry_atime_is_set(entry)) {
    times[0].tv_sec = archive_entry_atime(entry);
    times[0].tv_nsec = archive_entry_atime_nsec(entry);
  }
}

Status Extractor::apply(archive* a, archive_entry* entry, const std::string& name) {
  auto parts = BRICK_TRY(clean_entry_path(name));
  const char* link = archive_entry_hardlink(entry);
  mode_t type = archive_entry_filetype(entry);
  if (parts.empty()) {
    // "./" or "/": the layer's own metadata for the root directory.
    if (link || type != AE_IFDIR) return fail("names the root directory but is not a directory");
    return directory(entry, root_, "", "");
  }
  std::string rel = join_path(parts, parts.size());
  std::string parent_rel = join_path(parts, parts.size() - 1);
  const std::string& base = parts.back();
  if (options_.overlay_whiteouts && base.starts_with(kWhiteoutPrefix)) return whiteout(parent_rel, base, rel);
  int parent = BRICK_TRY(parent_fd(parent_rel));
  if (link) return hardlink(entry, parent, base, rel);
  switch (type) {
    case AE_IFREG: return regular(a, entry, parent, base, rel);
    case AE_IFDIR: return directory(entry, parent, base, rel);
    case AE_IFLNK: return symlink(entry, parent, base, rel);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: return node(entry, parent, base, rel);
    default: {
      char octal[16];
      snprintf(octal, sizeof octal, "0%o", static_cast<unsigned>(type));
      return fail(std::string("unsupported entry type ") + octal);
    }
  }
}

Result<int> Extractor::parent_fd(const std::string& rel) {
  if (cached_fd_ && !cache_stale_ && cached_rel_ == rel) return cached_fd_.get();
  cache_stale_ = false;
  cached_fd_ = BRICK_TRY(mkdir_beneath(root_, rel));
  cached_rel_ = rel;
  return cached_fd_.get();
}

Status Extractor::remove_existing(int parent, const std::string& base, const std::string& rel) {
  struct stat st {};
  if (::fstatat(parent, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return fail_errno("inspecting existing `" + rel + "`");
  }
  // Whatever goes (a directory, or a symlink a cached path went through)
  // may be what the cached parent fd stands for; look it up afresh next
  // entry. `parent` may be that fd, so it stays open until then.
  cache_stale_ = true;
  return remove_at(parent, base, rel);
}

Status Extractor::whiteout(const std::string& parent_rel, const std::string& base, const std::string& rel) {
  if (base == kOpaqueMarker) {
    // Opaque directory: overlayfs hides every lower entry below it.
    UniqueFd dir = BRICK_TRY(mkdir_beneath(root_, parent_rel));
    UniqueFd real = BRICK_TRY(open_beneath(root_, parent_rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    if (::fsetxattr(real.get(), "trusted.overlay.opaque", "y", 1, 0) != 0)
      return fail_errno("marking `" + (parent_rel.empty() ? std::string(".") : parent_rel) +
                        "` opaque (trusted.overlay.opaque needs CAP_SYS_ADMIN)");
    return {};
  }
  // Other `.wh..wh.` names are aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs);
  // Docker and containerd drop them too.
  if (base.starts_with(kWhiteoutMeta)) return {};
  std::string victim = base.substr(kWhiteoutPrefix.size());
  if (victim.empty() || victim == "." || victim == "..") return fail("whiteout names no file");
  int parent = BRICK_TRY(parent_fd(parent_rel));
  std::string victim_rel = parent_rel.empty() ? victim : parent_rel + "/" + victim;
  BRICK_TRY(remove_existing(parent, victim, victim_rel));
  // An overlayfs whiteout is a 0:0 character device. Since Linux 5.8
  // (a3c751a50fe6) creating one needs no CAP_MKNOD, so this works unprivileged.
  if (::mknodat(parent, victim.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
    return fail_errno("creating whiteout `" + victim_rel + "`");
  (void)rel;
  return {};
}

Status Extractor::hardlink(archive_entry* entry, int parent, const std::string& base, const std::string& rel) {
  std::string target_name = archive_entry_hardlink(entry);
  auto parts = BRICK_TRY_CTX(clean_entry_path(target_name), "hardlink target");
  if (parts.empty()) return fail("hardlink to the root directory");
  std::string target_rel = join_path(parts, parts.size());
  if (target_rel == rel) return {};  // a link to itself: already there
  // The target's parent resolves inside the root like any other path (a
  // symlinked parent cannot lead to the host's files). linkat without
  // AT_SYMLINK_FOLLOW links a symlink itself, not what it points to.
  UniqueFd target_dir = BRICK_TRY_CTX(open_beneath(root_, join_path(parts, parts.size() - 1), O_PATH | O_DIRECTORY),
                                      "hardlink target `" + target_name + "`");
  BRICK_TRY(remove_existing(parent, base, rel));
  if (::linkat(target_dir.get(), parts.back().c_str(), parent, base.c_str(), 0) != 0)
    return fail_errno("linking to `" + target_name + "`");
  return {};
}

Status Extractor::regular(archive* a, archive_entry* entry, int parent, const std::string& base,
                          const std::string& rel) {
  BRICK_TRY(remove_existing(parent, base, rel));
  // O_EXCL | O_NOFOLLOW: the name was just cleared; if anything reappeared
  // there (a symlink especially), fail rather than write through it.
  int raw = ::openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (raw < 0) return fail_errno("creating `" + rel + "`");
  UniqueFd fd(raw);
  la_int64_t data_end = 0;
  for (;;) {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      const char* msg = archive_error_string(a);
      std::string why = std::string("reading data: ") + (msg ? msg : "unknown error");
      // All the data arrived and only the padding after it is missing: see
      // truncated_tail(). The caller checks the stream really ended here.
      if (archive_entry_size_is_set(entry) && data_end == archive_entry_size(entry)) {
        truncated_tail_ = why;
        break;
      }
      return fail(why);
    }
    data_end = std::max<la_int64_t>(data_end, offset + static_cast<la_int64_t>(size));
    // Sparse entries arrive as blocks at offsets, holes left out.
    const char* p = static_cast<const char*>(buf);
    while (size > 0) {
      ssize_t n = ::pwrite(fd.get(), p, size, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("writing `" + rel + "`");
      p += n;
      size -= static_cast<size_t>(n);
      offset += n;
    }
  }
  // A trailing hole has no block; the size says where the file ends.
  if (archive_entry_size_is_set(entry) && ::ftruncate(fd.get(), archive_entry_size(entry)) != 0)
    return fail_errno("sizing `" + rel + "`");
  BRICK_TRY(own_and_xattrs(fd.get(), entry, rel));
  // After chown, which clears setuid and setgid.
  if (::fchmod(fd.get(), archive_entry_perm(entry) & 07777) != 0) return fail_errno("chmod `" + rel + "`");
  timespec times[2];
  entry_times(entry, times);
  if (::futimens(fd.get(), times) != 0) return fail_errno("setting times of `" + rel + "`");
  return {};
}

Status Extractor::directory(archive_entry* entry, int parent, const std::string& base, const std::string& rel) {
  if (!base.empty()) {
    struct stat st {};
    bool is_dir = ::fstatat(parent, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    if (!is_dir) {
      BRICK_TRY(remove_existing(parent, base, rel));
      // Owner-only until finish() sets the real mode: a 0555 directory must
      // still take the entries that follow.
      if (::mkdirat(parent, base.c_str(), 0700) != 0) return fail_errno("creating directory `" + rel + "`");
    }
  }
  UniqueFd fd = BRICK_TRY(open_beneath(root_, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  BRICK_TRY(own_and_xattrs(fd.get(), entry, rel.empty() ? "." : rel));
  DeferredDir dir{rel, static_cast<mode_t>(archive_entry_perm(entry) & 07777), {}};
  entry_times(entry, dir.times);
  dirs_.push_back(std::move(dir));
  return {};
}

Status Extractor::symlink(archive_entry* entry, int parent, const std::string& base, const std::string& rel) {
  const char* target = archive_entry_symlink(entry);
  if (!target) return fail("symlink without a target");
  BRICK_TRY(remove_existing(parent, base, rel));
  // The target is stored as written: it is only ever resolved later, inside
  // the root (by open_beneath here, by the container's root at run time).
  if (::symlinkat(target, parent, base.c_str()) != 0) return fail_errno("creating symlink `" + rel + "`");
  BRICK_TRY(own_and_xattrs_at(parent, base, entry, rel));
  timespec times[2];
  entry_times(entry, times);
  if (::utimensat(parent, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return fail_errno("setting times of `" + rel + "`");
  return {};
}

Status Extractor::node(archive_entry* entry, int parent, const std::string& base, const std::string& rel) {
  mode_t type = archive_entry_filetype(entry);
  mode_t perm = archive_entry_perm(entry) & 07777;
  dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
  BRICK_TRY(remove_existing(parent, base, rel));
  if (::mknodat(parent, base.c_str(), type | perm, dev) != 0) {
    if (errno == EPERM && !options_.preserve_ownership && type != AE_IFIFO) {
      skip(rel, "device node needs CAP_MKNOD");
      return {};
    }
    return fail_errno("creating node `" + rel + "`");
  }
  BRICK_TRY(own_and_xattrs_at(parent, base, entry, rel));
  BRICK_TRY_CTX(chmod_nofollow(parent, base, perm), "entry `" + rel + "`");  // the umask trimmed it
  timespec times[2];
  entry_times(entry, times);
  if (::utimensat(parent, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return fail_errno("setting times of `" + rel + "`");
  return {};
}

Status Extractor::own_and_xattrs(int fd, archive_entry* entry, const std::string& rel) {
  if (options_.preserve_ownership &&
      ::fchown(fd, static_cast<uid_t>(archive_entry_uid(entry)), static_cast<gid_t>(archive_entry_gid(entry))) != 0)
    return fail_errno("chown `" + rel + "`");
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  archive_entry_xattr_reset(entry);
  while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK)
    BRICK_TRY(set_xattr(fd, nullptr, key, value, size, rel));
  return {};
}

Status Extractor::own_and_xattrs_at(int parent, const std::string& base, archive_entry* entry, const std::string& rel) {
  if (options_.preserve_ownership && ::fchownat(parent, base.c_str(), static_cast<uid_t>(archive_entry_uid(entry)),
                                                static_cast<gid_t>(archive_entry_gid(entry)), AT_SYMLINK_NOFOLLOW) != 0)
    return fail_errno("chown `" + rel + "`");
  if (archive_entry_xattr_count(entry) == 0) return {};
  // No fd can be opened for writing on a symlink or device node; lsetxattr
  // through the parent's fd: the parent is pinned, the last name not followed.
  std::string path = fd_path(parent, base);
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  archive_entry_xattr_reset(entry);
  while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK)
    BRICK_TRY(set_xattr(-1, path.c_str(), key, value, size, rel));
  return {};
}

Status Extractor::set_xattr(int fd, const char* path, const char* key, const void* value, size_t size,
                            const std::string& rel) {
  std::string name = key;
  // A layer must not forge overlayfs metadata (redirect, metacopy, origin):
  // overlay state comes only from whiteout entries.
  if (name.starts_with("trusted.overlay.")) return {};
  int r = fd >= 0 ? ::fsetxattr(fd, key, value, size, 0) : ::lsetxattr(path, key, value, size, 0);
  if (r == 0) return {};
  int err = errno;
  bool privileged_ns = name.starts_with("security.") || name.starts_with("trusted.");
  if (!options_.preserve_ownership && privileged_ns && (err == EPERM || err == EOPNOTSUPP)) {
    skip(rel, "xattr `" + name + "` needs privilege");
    return {};
  }
  return fail(Error::from_errno("setting xattr `" + name + "` on `" + rel + "`", err));
}

void Extractor::skip(const std::string& rel, const std::string& why) {
  result_.skipped.push_back("`" + rel + "`: " + why);
}

Status Extractor::finish() {
  // The last entry for a directory wins; deepest first, so a parent's
  // restrictive mode cannot block reaching its children.
  std::map<std::string, size_t> last;
  for (size_t i = 0; i < dirs_.size(); ++i) last[dirs_[i].rel] = i;
  std::vector<const DeferredDir*> order;
  for (const auto& [rel, index] : last) order.push_back(&dirs_[index]);
  auto depth = [](const std::string& rel) { return rel.empty() ? 0 : 1 + std::count(rel.begin(), rel.end(), '/'); };
  std::stable_sort(order.begin(), order.end(),
                   [&](const DeferredDir* a, const DeferredDir* b) { return depth(a->rel) > depth(b->rel); });
  cached_fd_.reset();
  for (const DeferredDir* dir : order) {
    std::string shown = dir->rel.empty() ? "." : dir->rel;
    auto fd = open_beneath(root_, dir->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd) {
      int err = fd.error().errno_value();
      // A later entry replaced the directory with something else.
      if (err == ENOENT || err == ENOTDIR || err == ELOOP) continue;
      return fail(std::move(fd.error()).context("directory `" + shown + "`"));
    }
    if (::fchmod(fd->get(), dir->mode) != 0) return fail_errno("chmod directory `" + shown + "`");
    if (::futimens(fd->get(), dir->times) != 0) return fail_errno("setting times of directory `" + shown + "`");
  }
  dirs_.clear();
  return {};
}

}  // namespace brick::images::detail
