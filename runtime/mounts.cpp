#include "runtime/mounts.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include "base/strings.hpp"

namespace brick::runtime {

namespace {

struct FlagWord {
  std::string_view word;
  bool clear;
  unsigned long flag;
};

constexpr FlagWord kFlags[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

struct PropagationWord {
  std::string_view word;
  unsigned long flags;
};

constexpr PropagationWord kPropagation[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// openat2 beneath the root, as base/openat2.hpp does, but without its
// std::string: this runs in the spawn child.
int openat2_in_root(int root_fd, const char* path, int flags) noexcept {
  open_how how{};
  how.flags = static_cast<__u64>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // EAGAIN: a rename somewhere raced with a `..` lookup; a retry is safe.
  for (int attempt = 0;; ++attempt) {
    int fd = static_cast<int>(::syscall(SYS_openat2, root_fd, path, &how, sizeof how));
    if (fd >= 0 || errno != EAGAIN || attempt == 16) return fd;
  }
}

// "/proc/self/fd/N" in a caller's buffer, without allocating.
struct FdPath {
  char text[32];
  explicit FdPath(int fd) noexcept {
    static constexpr char kPrefix[] = "/proc/self/fd/";
    std::memcpy(text, kPrefix, sizeof kPrefix - 1);
    char digits[12];
    int n = 0;
    unsigned v = static_cast<unsigned>(fd);
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    size_t at = sizeof kPrefix - 1;
    while (n > 0) text[at++] = digits[--n];
    text[at] = '\0';
  }
};

int fail_with(MountStep* step, MountStep what, int err = 0) noexcept {
  if (err != 0) errno = err;
  *step = what;
  return -1;
}

void close_keeping_errno(int fd) noexcept {
  int saved = errno;
  ::close(fd);
  errno = saved;
}

}  // namespace

Result<UniqueFd> open_mount_source(const std::string& source, bool nofollow) {
  if (source.empty() || source[0] != '/') return fail("bind source `" + source + "` is not an absolute path");
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = nofollow ? RESOLVE_NO_SYMLINKS : 0;
  int fd;
  for (int attempt = 0;; ++attempt) {
    fd = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, source.c_str(), &how, sizeof how));
    if (fd >= 0 || errno != EAGAIN || attempt == 16) break;
  }
  if (fd >= 0) return UniqueFd(fd);
  if (nofollow && errno == ELOOP)
    return fail(Error("bind source `" + source +
                          "`: a part of the path is a symlink now, which it was not when the container was made; "
                          "refusing to follow it (recreate the container if the change is yours)",
                      ELOOP));
  return fail_errno("bind source `" + source + "`");
}

unsigned long locked_mount_flags(unsigned long f_flag) noexcept {
  unsigned long flags = 0;
  if (f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (f_flag & ST_NODEV) flags |= MS_NODEV;
  if (f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const std::string& option : options) {
    bool known = false;
    for (const FlagWord& f : kFlags) {
      if (f.word != option) continue;
      if (f.clear)
        out.flags &= ~f.flag;
      else
        out.flags |= f.flag;
      known = true;
      break;
    }
    for (const PropagationWord& p : kPropagation) {
      if (known || p.word != option) continue;
      out.propagation = p.flags;
      known = true;
    }
    if (known) continue;
    if (!out.data.empty()) out.data += ',';
    out.data += option;
  }
  return out;
}

Result<MountPlan> plan_mount(const std::string& destination, const std::string& type, const std::string& source,
                             const std::vector<std::string>& options) {
  if (destination.empty() || destination[0] != '/')
    return fail("mount destination `" + destination + "` is not an absolute path");
  // `..` is refused outright rather than clamped: a spec that says it means
  // something it will not get.
  for (const std::string& part : split(destination, '/'))
    if (part == "..") return fail("mount destination `" + destination + "` contains `..`");
  MountPlan pm;
  pm.destination = destination;
  pm.source = source;
  pm.type = type;
  pm.options = parse_mount_options(options);
  if (type == "bind") pm.options.flags |= MS_BIND;
  if (pm.options.flags & MS_BIND) {
    struct stat st {};
    if (::stat(source.c_str(), &st) < 0) return fail_errno("bind source `" + source + "`");
    pm.file_target = !S_ISDIR(st.st_mode);
    // docker's default: what the host mounts below the source later does not
    // appear in the container, and nothing the container mounts leaks out.
    if (pm.options.propagation == 0) pm.options.propagation = MS_PRIVATE | MS_REC;
  }
  return pm;
}

int open_mount_target(int root_fd, const char* path, bool file_target, MountStep* step) noexcept {
  while (*path == '/') ++path;
  const size_t len = std::strlen(path);
  if (len >= PATH_MAX) return fail_with(step, MountStep::resolve, ENAMETOOLONG);
  const int last_flags = O_PATH | (file_target ? 0 : O_DIRECTORY);
  int fd = len == 0 ? -1 : openat2_in_root(root_fd, path, last_flags);
  if (len == 0) errno = EXDEV;
  if (fd < 0 && errno != ENOENT) return fail_with(step, errno == EXDEV ? MountStep::escape : MountStep::resolve);
  if (fd < 0) {
    // Something is missing: walk from the root, creating each missing
    // component in the directory its prefix resolved to. mkdirat and
    // openat(O_CREAT | O_EXCL) never follow a symlink in the last component,
    // so a dangling `x -> /host/path` is an EEXIST here, never a creation on
    // the host. Such a link is then read and the walk restarts on its target
    // within the root, as runc and docker do (an image's
    // `/etc/resolv.conf -> /run/systemd/resolve/stub-resolv.conf` gets the
    // file made where it points, inside the rootfs).
    char buf[PATH_MAX];
    char link[PATH_MAX];
    size_t len_now = len;
    std::memcpy(buf, path, len + 1);
    int dir = openat2_in_root(root_fd, ".", O_PATH | O_DIRECTORY);
    if (dir < 0) return fail_with(step, MountStep::resolve);
    size_t pos = 0;
    int hops = 0;
    while (true) {
      const size_t len = len_now;
      while (pos < len && buf[pos] == '/') ++pos;
      if (pos >= len) break;
      size_t end = pos;
      while (end < len && buf[end] != '/') ++end;
      size_t rest = end;
      while (rest < len && buf[rest] == '/') ++rest;
      const bool last = rest >= len;
      const int flags = last ? last_flags : O_PATH | O_DIRECTORY;
      const char saved = buf[end];
      buf[end] = '\0';
      int next = openat2_in_root(root_fd, buf, flags);
      if (next < 0 && errno == ENOENT) {
        const char* name = buf + pos;
        int rc;
        if (last && file_target) {
          rc = ::openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
          if (rc >= 0) ::close(rc);
        } else {
          rc = ::mkdirat(dir, name, 0755);
        }
        if (rc < 0 && errno != EEXIST) {
          close_keeping_errno(dir);
          return fail_with(step, MountStep::create);
        }
        next = openat2_in_root(root_fd, buf, flags);
        const int open_error = errno;
        ssize_t n = next < 0 && open_error == ENOENT ? ::readlinkat(dir, name, link, sizeof link) : -1;
        if (n > 0) {
          // Still missing after it was found to exist: a dangling symlink.
          // Splice its target in (absolute: from the root; relative: from
          // its directory) and walk again; `..` in it is clamped by openat2.
          buf[end] = saved;
          const size_t keep = link[0] == '/' ? 0 : pos;
          const size_t tail = len - end;
          if (++hops > 40 || keep + static_cast<size_t>(n) + tail + 1 > sizeof buf) {
            ::close(dir);
            return fail_with(step, MountStep::resolve, hops > 40 ? ELOOP : ENAMETOOLONG);
          }
          std::memmove(buf + keep + n, buf + end, tail + 1);
          std::memcpy(buf + keep, link, static_cast<size_t>(n));
          len_now = keep + static_cast<size_t>(n) + tail;
          ::close(dir);
          dir = openat2_in_root(root_fd, ".", O_PATH | O_DIRECTORY);
          if (dir < 0) return fail_with(step, MountStep::resolve);
          pos = 0;
          continue;
        }
        errno = open_error;
      }
      buf[end] = saved;
      if (next < 0) {
        close_keeping_errno(dir);
        return fail_with(step, MountStep::resolve);
      }
      ::close(dir);
      dir = next;
      pos = end;
    }
    fd = dir;
  }
  // `target -> /` or `-> ../../..` resolve, clamped, to the root itself.
  struct stat target {
  }, root{};
  if (::fstat(fd, &target) < 0 || ::fstat(root_fd, &root) < 0) {
    close_keeping_errno(fd);
    return fail_with(step, MountStep::resolve);
  }
  if (target.st_dev == root.st_dev && target.st_ino == root.st_ino) {
    ::close(fd);
    return fail_with(step, MountStep::escape, EXDEV);
  }
  return fd;
}

int mount_beneath(int root_fd, const MountPlan& m, MountStep* step) noexcept {
  int fd = open_mount_target(root_fd, m.destination.c_str(), m.file_target, step);
  if (fd < 0) return -1;
  const unsigned long flags = m.options.flags;
  const char* data = m.options.data.empty() ? nullptr : m.options.data.c_str();
  int rc;
  if (flags & MS_BIND) {
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = m.source_nofollow ? RESOLVE_NO_SYMLINKS : 0;
    int source;
    for (int attempt = 0;; ++attempt) {
      source = static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, m.source.c_str(), &how, sizeof how));
      if (source >= 0 || errno != EAGAIN || attempt == 16) break;
    }
    if (source < 0) {
      close_keeping_errno(fd);
      return fail_with(step, MountStep::source);
    }
    // MS_BIND ignores every other flag on the first call; ro, nosuid & co.
    // take effect only on a remount of the new bind.
    rc = ::mount(FdPath(source).text, FdPath(fd).text, nullptr, flags & (MS_BIND | MS_REC), nullptr);
    close_keeping_errno(source);
  } else
    rc = ::mount(m.source.c_str(), FdPath(fd).text, m.type.c_str(), flags, data);
  close_keeping_errno(fd);
  if (rc < 0) return fail_with(step, MountStep::mount);

  const bool remount = (flags & MS_BIND) && (flags & ~(MS_BIND | MS_REC));
  if (!remount && m.options.propagation == 0) return 0;
  // The fd names the directory under the new mount, not the mount: through
  // it a remount would change the rootfs. A fresh lookup lands on the top.
  int top = openat2_in_root(root_fd, m.destination.c_str(), O_PATH);
  if (top < 0) return fail_with(step, remount ? MountStep::remount : MountStep::propagation);
  if (remount) {
    struct statvfs top_st {};
    const unsigned long locked = ::fstatvfs(top, &top_st) == 0 ? locked_mount_flags(top_st.f_flag) : 0;
    unsigned long again = MS_BIND | MS_REMOUNT | (flags & ~(MS_BIND | MS_REC)) | locked;
    if (::mount(nullptr, FdPath(top).text, nullptr, again, nullptr) < 0) {
      close_keeping_errno(top);
      return fail_with(step, MountStep::remount);
    }
    // The remount made only the top mount read-only: what an rbind brought
    // along (a dataset disk mounted below the source) would stay writable.
    if ((flags & MS_RDONLY) && (flags & MS_REC)) {
      struct mount_attr attr {};
      attr.attr_set = MOUNT_ATTR_RDONLY;
      if (::syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0 &&
          errno != ENOSYS) {  // before Linux 5.12 submounts stay as they are, as with runc
        close_keeping_errno(top);
        return fail_with(step, MountStep::remount);
      }
    }
  }
  // The kernel takes a propagation change only in a mount call of its own.
  if (m.options.propagation && ::mount(nullptr, FdPath(top).text, nullptr, m.options.propagation, nullptr) < 0) {
    close_keeping_errno(top);
    return fail_with(step, MountStep::propagation);
  }
  ::close(top);
  return 0;
}

}  // namespace brick::runtime
