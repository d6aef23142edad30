// Overlay mounts of many layers.
//
// mount(2) takes its options in one page (4096 bytes with the NUL): about 40
// layers at /var/lib/brick/layers/sha256/<64 hex>/fs. Deep images pass that,
// so brick prefers the new mount API, where each layer is its own fsconfig()
// call ("lowerdir+", Linux 6.8) and no string holds them all. Since 6.13
// overlayfs also takes each layer as an O_PATH fd (FSCONFIG_SET_FD), which
// has no length limit at all (fsconfig strings stop at 256 bytes) and cannot
// be redirected by a symlink swapped in between open and mount. Older kernels
// get mount(2) with /proc/self/fd/N names for the layers when the real paths
// do not fit: overlayfs resolves each name once, at mount time, and the fds
// are still open then.
#include "images/overlay.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <utility>

#include "base/unique_fd.hpp"

namespace brick::images {

MountGuard::MountGuard(MountGuard&& other) noexcept : target_(std::exchange(other.target_, std::string())) {}

MountGuard& MountGuard::operator=(MountGuard&& other) noexcept {
  if (this != &other) {
    (void)unmount();
    target_ = std::exchange(other.target_, std::string());
  }
  return *this;
}

MountGuard::~MountGuard() { (void)unmount(); }

Status MountGuard::unmount() {
  if (target_.empty()) return {};
  std::string target = std::exchange(target_, std::string());
  if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) return fail_errno("unmounting `" + target + "`");
  return {};
}

namespace {

struct Dirs {
  std::vector<UniqueFd> lowers;
  UniqueFd upper, work, target;
};

Result<UniqueFd> open_dir(const std::string& path, const char* role) {
  int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno(std::string("opening ") + role + " `" + path + "`");
  return UniqueFd(fd);
}

std::string fd_name(const UniqueFd& fd) { return "/proc/self/fd/" + std::to_string(fd.get()); }

// What the kernel queued on an fs context about the failure ("e overlay:
// failed to ..."): far more telling than a bare EINVAL.
Error context_error(int fsfd, const std::string& what) {
  int err = errno;
  std::string log;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fsfd, buf, sizeof buf);
    if (n <= 0) break;
    std::string line(buf, static_cast<size_t>(n));
    while (!line.empty() && line.back() == '\n') line.pop_back();
    log += (log.empty() ? "" : "; ") + line;
  }
  return Error::from_errno(log.empty() ? what : what + " (kernel: " + log + ")", err);
}

struct Built {
  UniqueFd mount;
  bool unsupported = false;  // the kernel lacks this API; try an older one
  std::string why;
};

// fsopen/fsconfig/fsmount; `by_fd` passes layers as fds, else as strings.
Result<Built> build_with_fsconfig(const std::vector<std::string>& lowerdirs, const std::string& upper,
                                  const std::string& work, const Dirs& dirs, bool by_fd, UpperSync sync) {
  int raw = ::fsopen("overlay", FSOPEN_CLOEXEC);
  if (raw < 0) {
    if (errno == ENOSYS) return Built{UniqueFd(), true, "no fsopen()"};
    return fail_errno("fsopen(overlay)");
  }
  UniqueFd fsfd(raw);
  auto set = [&](const char* key, const std::string& path, const UniqueFd& fd) -> Status {
    int r = 0;
    if (by_fd) {
      r = ::fsconfig(fsfd.get(), FSCONFIG_SET_FD, key, nullptr, fd.get());
    } else {
      // fsconfig strings stop at 256 bytes; past that, name the open fd.
      std::string name = path.size() < 256 ? path : fd_name(fd);
      r = ::fsconfig(fsfd.get(), FSCONFIG_SET_STRING, key, name.c_str(), 0);
    }
    if (r != 0) return fail(context_error(fsfd.get(), std::string("setting ") + key + " `" + path + "`"));
    return {};
  };
  for (size_t i = 0; i < lowerdirs.size(); ++i) {
    auto r = set("lowerdir+", lowerdirs[i], dirs.lowers[i]);
    // EINVAL on the very first layer: this kernel's overlayfs does not know
    // "lowerdir+" (before 6.8) or fd values for it (before 6.13).
    if (!r && i == 0 && r.error().errno_value() == EINVAL) return Built{UniqueFd(), true, r.error().message()};
    if (!r) return fail(std::move(r.error()));
  }
  if (!upper.empty()) {
    BRICK_TRY(set("upperdir", upper, dirs.upper));
    BRICK_TRY(set("workdir", work, dirs.work));
    // Best effort: a kernel before 5.10 refuses the flag and mounts durably.
    if (sync == UpperSync::volatile_upper) (void)::fsconfig(fsfd.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0);
  }
  if (::fsconfig(fsfd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return fail(context_error(fsfd.get(), "creating the overlay"));
  int mfd = ::fsmount(fsfd.get(), FSMOUNT_CLOEXEC, upper.empty() ? MOUNT_ATTR_RDONLY : 0);
  if (mfd < 0) return fail(context_error(fsfd.get(), "fsmount(overlay)"));
  return Built{UniqueFd(mfd), false, {}};
}

std::string escape_option(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '\\' || c == ':' || c == ',') out += '\\';
    out += c;
  }
  return out;
}

Status mount_with_data(const std::vector<std::string>& lowerdirs, const std::string& upper, const std::string& work,
                       const Dirs& dirs, UpperSync sync) {
  auto options = [&](bool fd_names) {
    std::string data = "lowerdir=";
    for (size_t i = 0; i < lowerdirs.size(); ++i) {
      if (i) data += ':';
      data += fd_names ? fd_name(dirs.lowers[i]) : escape_option(lowerdirs[i]);
    }
    if (!upper.empty()) {
      data += ",upperdir=" + (fd_names ? fd_name(dirs.upper) : escape_option(upper));
      data += ",workdir=" + (fd_names ? fd_name(dirs.work) : escape_option(work));
    }
    return data;
  };
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::string data = options(false);
  if (data.size() >= page) data = options(true);
  if (data.size() >= page)
    return fail(Error(std::to_string(lowerdirs.size()) + " layers do not fit in one page of mount options", E2BIG));
  // The target by its pinned fd, as bubblewrap does: a symlink swapped in
  // after the open cannot redirect the mount.
  const unsigned long flags = upper.empty() ? MS_RDONLY : 0;
  // A kernel before 5.10 refuses `volatile` (EINVAL): then durably.
  if (sync == UpperSync::volatile_upper && !upper.empty() && data.size() + 9 < page &&
      ::mount("overlay", fd_name(dirs.target).c_str(), "overlay", flags, (data + ",volatile").c_str()) == 0)
    return {};
  if (::mount("overlay", fd_name(dirs.target).c_str(), "overlay", flags, data.c_str()) != 0)
    return fail_errno("mount(overlay, " + std::to_string(data.size()) + " bytes of options)");
  return {};
}

Status bind_read_only(const std::string& lower, const Dirs& dirs) {
  // A detached clone of the layer, made read-only before anyone can see it,
  // then moved onto the target fd. (The mount(2) way, MS_BIND then a
  // MS_REMOUNT|MS_RDONLY, cannot name the new mount through the target's fd:
  // that fd still points below it.)
  int raw = ::open_tree(dirs.lowers[0].get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (raw < 0) return fail_errno("cloning `" + lower + "` for a bind mount");
  UniqueFd tree(raw);
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
    return fail_errno("making the bind of `" + lower + "` read-only");
  if (::move_mount(tree.get(), "", dirs.target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    return fail_errno("bind-mounting `" + lower + "`");
  return {};
}

Status mount_into(const std::vector<std::string>& lowerdirs, const std::string& upper, const std::string& work,
                  const Dirs& dirs, OverlayApi api, UpperSync sync) {
  if (api == OverlayApi::mount_data) return mount_with_data(lowerdirs, upper, work, dirs, sync);
  bool by_fd = api != OverlayApi::layer_paths;
  Built built = BRICK_TRY(build_with_fsconfig(lowerdirs, upper, work, dirs, by_fd, sync));
  if (built.unsupported && api == OverlayApi::automatic && by_fd)
    built = BRICK_TRY(build_with_fsconfig(lowerdirs, upper, work, dirs, false, sync));
  if (built.unsupported) {
    if (api == OverlayApi::automatic) return mount_with_data(lowerdirs, upper, work, dirs, sync);
    return fail(Error("this kernel lacks the requested overlay API: " + built.why, ENOTSUP));
  }
  if (::move_mount(built.mount.get(), "", dirs.target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
      0)
    return fail_errno("move_mount(overlay)");
  return {};
}

}  // namespace

Result<MountGuard> mount_overlay(const std::vector<std::string>& lowerdirs, const std::string& upper,
                                 const std::string& work, const std::string& target, OverlayApi api, UpperSync sync) {
  std::string ctx = "mounting an overlay of " + std::to_string(lowerdirs.size()) + " layers at `" + target + "`";
  if (lowerdirs.empty()) return fail(Error("no lower layers").context(ctx));
  if (upper.empty() != work.empty()) return fail(Error("upperdir and workdir come together").context(ctx));
  Dirs dirs;
  for (const auto& lower : lowerdirs) dirs.lowers.push_back(BRICK_TRY_CTX(open_dir(lower, "lowerdir"), ctx));
  if (!upper.empty()) {
    dirs.upper = BRICK_TRY_CTX(open_dir(upper, "upperdir"), ctx);
    dirs.work = BRICK_TRY_CTX(open_dir(work, "workdir"), ctx);
  }
  dirs.target = BRICK_TRY_CTX(open_dir(target, "target"), ctx);

  auto mounted = mount_into(lowerdirs, upper, work, dirs, api, sync);
  // overlayfs wants two layers when there is no upper to write to (older
  // kernels say so; newer ones may accept one): a read-only bind is the same
  // view of a single layer.
  if (!mounted && mounted.error().errno_value() == EINVAL && lowerdirs.size() == 1 && upper.empty())
    mounted = bind_read_only(lowerdirs[0], dirs);
  if (!mounted) return fail(std::move(mounted.error()).context(ctx));
  return MountGuard(target);
}

}  // namespace brick::images
