#include "runtime/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.hpp"
#include "base/unique_fd.hpp"
#include "runtime/exec_shim.hpp"
#include "runtime/exec_target.hpp"
#include "runtime/fds.hpp"
#include "runtime/hooks.hpp"
#include "runtime/init.hpp"
#include "runtime/mounts.hpp"
#include "runtime/privileges.hpp"
#include "runtime/pty.hpp"
#include "runtime/rlimits.hpp"
#include "runtime/security.hpp"

namespace brick::runtime {

namespace {

// What the child was doing when it failed; sent with errno and an index into
// the plan's lists so the parent can name the path.
enum class Stage : int {
  sync,
  hooks,          // not a failure: at a hook point (index 0 createContainer, 1 startContainer), waiting for the parent
  cgroup_joined,  // not a failure: in the container's cgroup (v1), told before the parent goes on
  cgroup,         // index: into CgroupJoin::tasks
  join_ns,        // index: into Plan::joins
  cgroup_ns,
  root_propagation,
  bind_rootfs,
  mount_target,
  mount_escape,
  mkdir,
  mount,
  mount_source,
  remount,
  propagation,
  device_mknod,
  device_owner,
  symlink,
  pivot_root,
  detach_old_root,
  sysctl,
  readonly_path,
  masked_path,
  root_readonly,
  hostname,
  rlimit,
  terminal,  // index: 0 opening /dev/ptmx, 1 unlocking, 2 the slave, 3 sending the master
  stdio,
  ld_conf,
  ldconfig,
  privileges,  // index: the PrivilegeStep
  chdir,
  close_fds,
  init,
  exec,
};

struct ChildError {
  Stage stage;
  int err;
  int index;
};

struct PlannedLink {
  const char* target;
  const char* name;  // in the container's /dev
};

// A linux.devices entry: made with mknod, or bound from the host's node of
// the same path where mknod is refused (a user namespace), as runc does.
struct PlannedDevice {
  std::string path;    // inside the container
  std::string parent;  // its directory, inside the container
  std::string name;    // its last component
  mode_t mode;         // file type and permission bits
  dev_t dev;
  uid_t uid;
  gid_t gid;
  MountPlan bind;  // the host's node bound instead, where mknod is refused
};

struct PlannedSysctl {
  std::string path;
  std::string value;
};

// A namespace the spec gives a path for: joined, not created (OCI). Opened in
// the parent, so a bad path fails there with its name, and so the child needs
// no path lookup.
struct PlannedJoin {
  std::string type, path;
  int flag;
  UniqueFd fd;
};

struct PlannedRlimit {
  int resource;
  struct rlimit limit;
};

// Everything the child needs, computed (and allocated) in the parent: after
// clone the child only reads it, so it never calls malloc, whose locks another
// parent thread may have held at the moment of the clone.
struct Plan {
  unsigned long clone_flags = 0;
  CgroupJoin cgroup;
  std::vector<PlannedJoin> joins;
  bool cgroup_ns = false;
  bool uts_ns = false;
  std::string rootfs;
  bool root_readonly = false;
  std::vector<MountPlan> mounts;
  std::vector<PlannedDevice> devices;
  std::vector<PlannedLink> links;
  std::vector<PlannedSysctl> sysctls;
  std::vector<std::string> readonly_paths, masked_paths;
  std::string hostname;
  std::vector<PlannedRlimit> rlimits;
  PrivilegePlan privileges;
  bool init = false;
  std::string cwd;
  ExecTarget target;
  ShimExec shim;
  int stdio[3] = {-1, -1, -1};
  bool terminal = false;
  int console_socket = -1;
  struct winsize console_size {};
  // ld_library_dirs: the ld.so.conf.d file's text ("" = no ldconfig) and
  // what the image's ldconfig may do: what the container's root user may.
  std::string ld_conf;
  PrivilegePlan ldconfig_privileges;
  // Whether the child stops for the parent to run the spec's
  // createContainer (before pivot_root) and startContainer (before the
  // exec) hooks.
  bool create_container_hooks = false;
  bool start_container_hooks = false;
};

constexpr const char* kLdConfDir = "/etc/ld.so.conf.d";
constexpr const char* kLdConfFile = "/etc/ld.so.conf.d/000-brick-devices.conf";
constexpr unsigned kLdconfigTimeoutSeconds = 60;

Result<std::string> checked_destination(const std::string& path) {
  if (path.empty() || path[0] != '/') return fail("`" + path + "` is not an absolute path");
  // These paths are used after pivot_root, where `..` stops at `/`; refused
  // anyway, as a spec that says it means something it will not get.
  // (Spec mounts, made before pivot_root, go through runtime/mounts.hpp.)
  for (const std::string& part : split(path, '/'))
    if (part == "..") return fail("`" + path + "` contains `..`");
  return path;
}

// The host device nodes every container gets (docker's defaults), probed
// once: which of them exist does not change while brick runs, and spawn is
// the hot path.
struct HostDevice {
  std::string path;
  mode_t type;
  dev_t dev;
};
const std::vector<HostDevice>& host_devices() {
  static const std::vector<HostDevice> devices = [] {
    std::vector<HostDevice> out;
    for (const char* name : {"null", "zero", "full", "random", "urandom", "tty"}) {
      std::string source = std::string("/dev/") + name;
      struct stat st {};
      if (::stat(source.c_str(), &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
        out.push_back({std::move(source), st.st_mode & S_IFMT, st.st_rdev});
    }
    return out;
  }();
  return devices;
}

// setns after clone works for these: the child is single-threaded and not
// yet in a new user namespace. Joining a pid namespace would need the
// parent to setns before clone, and a mount or cgroup namespace would undo
// the rootfs setup, so those stay unsupported.
Result<PlannedJoin> plan_join(const Namespace& ns, int flag) {
  if (flag != CLONE_NEWNET && flag != CLONE_NEWIPC && flag != CLONE_NEWUTS)
    return fail("joining the " + ns.type + " namespace at `" + ns.path + "` is not supported yet");
  UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening the " + ns.type + " namespace at `" + ns.path + "`");
  return PlannedJoin{ns.type, ns.path, flag, std::move(fd)};
}

Result<Plan> make_plan(const ContainerSpec& spec, const SpawnOptions& options) {
  Plan plan;
  for (const Namespace& ns : spec.linux.namespaces) {
    const int flag = BRICK_TRY(namespace_flag(ns.type));
    if (!ns.path.empty()) {
      plan.joins.push_back(BRICK_TRY(plan_join(ns, flag)));
      if (flag == CLONE_NEWUTS) plan.uts_ns = true;
      continue;
    }
    // The cgroup namespace is unshared after before_start, so that its root
    // is the container's cgroup; the others come with the clone.
    if (flag == CLONE_NEWCGROUP)
      plan.cgroup_ns = true;
    else
      plan.clone_flags |= flag;
    if (flag == CLONE_NEWUTS) plan.uts_ns = true;
  }
  // Everything below mounts, pivots and remounts: outside a private mount
  // namespace it would rearrange the host.
  if (!(plan.clone_flags & CLONE_NEWNS)) return fail("a container needs a mount namespace");
  if (!spec.hostname.empty() && !plan.uts_ns) return fail("setting the hostname needs a uts namespace");

  char* real = ::realpath(spec.root.path.c_str(), nullptr);
  if (real == nullptr) return fail_errno("resolving rootfs `" + spec.root.path + "`");
  plan.rootfs = real;
  ::free(real);
  if (plan.rootfs == "/") return fail("the rootfs cannot be the host's `/`");
  plan.root_readonly = spec.root.readonly;

  for (const Mount& m : spec.mounts) {
    MountPlan pm = BRICK_TRY(plan_mount(m.destination, m.type, m.source, m.options));
    if (pm.options.flags & MS_BIND) {
      // Checked here for a clear error; the child opens it again in its own
      // mount namespace (a bind from another namespace's mount is refused)
      // the same way, and mounts from that fd.
      pm.source_nofollow = m.source_nofollow;
      BRICK_TRY_CTX(open_mount_source(m.source, m.source_nofollow), "mount on `" + m.destination + "`");
    }
    plan.mounts.push_back(std::move(pm));
  }

  // docker's default nodes are made like linux.devices entries, as runc
  // and crun make them: mknod, one system call, where a bind is a mount;
  // the host's node is bound only where mknod is refused (a user namespace).
  for (const HostDevice& h : host_devices()) {
    PlannedDevice pd;
    pd.path = h.path;
    pd.parent = "/dev";
    pd.name = h.path.substr(5);
    pd.mode = h.type | 0666;
    pd.dev = h.dev;
    pd.uid = 0;
    pd.gid = 0;
    pd.bind.destination = pd.bind.source = h.path;
    pd.bind.type = "bind";
    pd.bind.options.flags = MS_BIND;
    pd.bind.file_target = true;
    plan.devices.push_back(std::move(pd));
  }
  const size_t host_device_count = plan.devices.size();
  for (const LinuxDevice& d : spec.linux.devices) {
    PlannedDevice pd;
    std::string path = BRICK_TRY_CTX(checked_destination(d.path), "device");
    // One of the defaults above.
    if (std::any_of(plan.devices.begin(), plan.devices.begin() + static_cast<std::ptrdiff_t>(host_device_count),
                    [&](const PlannedDevice& h) { return h.path == path; }))
      continue;
    if (d.type != 'b' && d.type != 'p' && d.type != 'c' && d.type != 'u')
      return fail("device `" + d.path + "`: unknown type `" + std::string(1, d.type) + "`");
    mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
    size_t slash = path.rfind('/');
    pd.parent = slash == 0 ? "/" : path.substr(0, slash);
    pd.name = path.substr(slash + 1);
    pd.mode = type | (d.file_mode.value_or(0666) & 07777);
    pd.dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    pd.uid = d.uid.value_or(0);
    pd.gid = d.gid.value_or(0);
    // Where mknod is refused (a user namespace), the host's node is bound.
    pd.bind.destination = pd.bind.source = path;
    pd.bind.type = "bind";
    pd.bind.options.flags = MS_BIND;
    pd.bind.file_target = true;
    pd.path = std::move(path);
    plan.devices.push_back(std::move(pd));
  }
  // With a private devpts instance, /dev/ptmx must lead to that instance's
  // ptmx, or openpty would allocate from the host's.
  plan.links = {{"pts/ptmx", "ptmx"},
                {"/proc/self/fd", "fd"},
                {"/proc/self/fd/0", "stdin"},
                {"/proc/self/fd/1", "stdout"},
                {"/proc/self/fd/2", "stderr"}};

  for (const auto& [key, value] : spec.linux.sysctl) {
    // check_sysctl admits only names (no `/`, no empty part), so the path
    // below names the key's own file.
    BRICK_TRY(check_sysctl(spec, key));
    std::string path = "/proc/sys/" + key;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    plan.sysctls.push_back({path, value});
  }
  for (const std::string& p : spec.linux.readonly_paths)
    plan.readonly_paths.push_back(BRICK_TRY_CTX(checked_destination(p), "read-only path"));
  for (const std::string& p : spec.linux.masked_paths)
    plan.masked_paths.push_back(BRICK_TRY_CTX(checked_destination(p), "masked path"));
  plan.hostname = spec.hostname;

  for (const Rlimit& r : spec.process.rlimits) {
    const RlimitName* known = rlimit_by_spec_name(r.type);
    if (!known) return fail("unknown rlimit `" + r.type + "`");
    plan.rlimits.push_back({known->resource, {r.soft, r.hard}});
  }
  plan.privileges = BRICK_TRY(plan_privileges(spec.process, spec.linux));
  plan.init = options.init;
  plan.cwd = spec.process.cwd.empty() ? "/" : spec.process.cwd;

  if (!spec.ld_library_dirs.empty()) {
    plan.ld_conf = "# Libraries brick bound in for this container's devices (GPU drivers).\n";
    for (const std::string& dir : spec.ld_library_dirs) {
      BRICK_TRY_CTX(checked_destination(dir), "library directory");
      if (dir.find('\n') != std::string::npos) return fail("library directory `" + dir + "` contains a newline");
      plan.ld_conf += dir + "\n";
    }
    // The image's ldconfig is the image's code: it runs with the container's
    // capabilities, no_new_privs and seccomp filter, as uid 0 so it can
    // write /etc/ld.so.cache, never with the privileges spawn itself holds.
    Process as_root = spec.process;
    as_root.user = User{};
    plan.ldconfig_privileges = BRICK_TRY_CTX(plan_privileges(as_root, spec.linux), "running ldconfig");
  }

  plan.create_container_hooks = !spec.hooks.create_container.empty();
  plan.start_container_hooks = !spec.hooks.start_container.empty();
  plan.target = BRICK_TRY(plan_exec(spec.process));
  plan.stdio[0] = options.stdin_fd;
  plan.terminal = spec.process.terminal;
  plan.stdio[1] = options.stdout_fd;
  plan.stdio[2] = options.stderr_fd;
  if (plan.terminal && options.console_socket >= 0) {
    plan.console_socket = options.console_socket;
    plan.console_size = options.console_size;
  }
  return plan;
}

// ---- the child: from clone to execve. No exceptions, no allocation, no logging.

[[noreturn]] void die(int error_fd, Stage stage, int index = -1) {
  ChildError e{stage, errno, index};
  // Shorter than PIPE_BUF, so the write is atomic; nothing to do if it fails.
  [[maybe_unused]] ssize_t n = ::write(error_fd, &e, sizeof e);
  ::_exit(127);
}

// Tells the parent the child is at hook point `index` and waits for its go;
// without one (a hook failed) the parent is about to kill us.
void wait_for_hooks(int sync_fd, int error_fd, int index) {
  ChildError e{Stage::hooks, 0, index};
  if (::write(error_fd, &e, sizeof e) != static_cast<ssize_t>(sizeof e)) ::_exit(127);
  char go = 0;
  ssize_t n;
  while ((n = ::read(sync_fd, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) ::_exit(127);
}

unsigned long mount_flags_of(const char* path) {
  struct statvfs st {};
  return ::statvfs(path, &st) == 0 ? locked_mount_flags(st.f_flag) : 0;
}

void setup_mounts(const Plan& plan, int sync_fd, int error_fd) {
  // Slave, not private: unmounts on the host (a USB stick, a volume being
  // removed) still reach the container, while nothing the container mounts
  // leaks back out.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) < 0) die(error_fd, Stage::root_propagation);
  // pivot_root needs the new root to be a mount point of its own.
  if (::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    die(error_fd, Stage::bind_rootfs);
  // Every mount target is resolved beneath this fd (runtime/mounts.hpp), so
  // a symlink in the image cannot carry a mount out to the host.
  const int root_fd = ::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) die(error_fd, Stage::bind_rootfs);
  for (size_t i = 0; i < plan.mounts.size(); ++i) {
    MountStep step = MountStep::mount;
    if (mount_beneath(root_fd, plan.mounts[i], &step) == 0) continue;
    static constexpr Stage kStages[] = {Stage::mount_target, Stage::mount_escape, Stage::mkdir,       Stage::mount,
                                        Stage::remount,      Stage::propagation,  Stage::mount_source};
    die(error_fd, kStages[static_cast<int>(step)], static_cast<int>(i));
  }
  // Device nodes and /dev links are made beneath the root like every mount
  // target: the image cannot redirect them with a symlinked /dev (without a
  // /dev mount in the spec, /dev is whatever the image has there).
  for (size_t i = 0; i < plan.devices.size(); ++i) {
    const PlannedDevice& d = plan.devices[i];
    const int index = static_cast<int>(i);
    MountStep step = MountStep::resolve;
    const int dir_fd = open_mount_target(root_fd, d.parent.c_str(), false, &step);
    if (dir_fd < 0) die(error_fd, Stage::device_mknod, index);
    if (::mknodat(dir_fd, d.name.c_str(), d.mode, d.dev) < 0) {
      const int err = errno;
      ::close(dir_fd);
      // EEXIST: the image's own /dev (no tmpfs there) has a file in the way.
      if (err != EPERM && err != EEXIST) {
        errno = err;
        die(error_fd, Stage::device_mknod, index);
      }
      if (mount_beneath(root_fd, d.bind, &step) < 0) die(error_fd, Stage::device_mknod, index);
      continue;
    }
    // mknod's mode went through the umask.
    if (::fchmodat(dir_fd, d.name.c_str(), d.mode & 07777, 0) < 0 ||
        ::fchownat(dir_fd, d.name.c_str(), d.uid, d.gid, AT_SYMLINK_NOFOLLOW) < 0)
      die(error_fd, Stage::device_owner, index);
    ::close(dir_fd);
  }
  MountStep dev_step = MountStep::resolve;
  const int dev_fd = open_mount_target(root_fd, "/dev", false, &dev_step);
  if (dev_fd < 0) die(error_fd, Stage::symlink, 0);
  for (size_t i = 0; i < plan.links.size(); ++i)
    if (::symlinkat(plan.links[i].target, dev_fd, plan.links[i].name) < 0 && errno != EEXIST)
      die(error_fd, Stage::symlink, static_cast<int>(i));
  ::close(dev_fd);
  ::close(root_fd);
  // OCI: createContainer hooks see the container's mounts with the host's
  // paths still resolving (nvidia-ctk's add symlinks and run ldconfig so).
  if (plan.create_container_hooks) wait_for_hooks(sync_fd, error_fd, 0);

  // pivot_root(".", ".") stacks the old root on top of the new one at the
  // same place, with the cwd inside the old root; detaching "." then drops
  // the old root without needing a put_old directory in the rootfs (which
  // may be read-only).
  if (::chdir(plan.rootfs.c_str()) < 0) die(error_fd, Stage::pivot_root);
  if (::syscall(SYS_pivot_root, ".", ".") < 0) die(error_fd, Stage::pivot_root);
  if (::umount2(".", MNT_DETACH) < 0) die(error_fd, Stage::detach_old_root);
  if (::chdir("/") < 0) die(error_fd, Stage::detach_old_root);
}

void protect_paths(const Plan& plan, int error_fd) {
  // sysctls first: /proc/sys is about to become read-only.
  for (size_t i = 0; i < plan.sysctls.size(); ++i) {
    const int index = static_cast<int>(i);
    int fd = ::open(plan.sysctls[i].path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) die(error_fd, Stage::sysctl, index);
    // Only into procfs: a bind (or an image's symlink) over /proc/sys would
    // take the value somewhere else (runc: CVE-2019-16884, CVE-2023-27561).
    struct statfs fs {};
    if (::fstatfs(fd, &fs) < 0) die(error_fd, Stage::sysctl, index);
    if (fs.f_type != PROC_SUPER_MAGIC) {
      errno = EXDEV;
      die(error_fd, Stage::sysctl, index);
    }
    const std::string& v = plan.sysctls[i].value;
    if (::write(fd, v.data(), v.size()) != static_cast<ssize_t>(v.size())) die(error_fd, Stage::sysctl, index);
    ::close(fd);
  }
  for (size_t i = 0; i < plan.readonly_paths.size(); ++i) {
    const char* path = plan.readonly_paths[i].c_str();
    const int index = static_cast<int>(i);
    if (::mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) < 0) {
      if (errno == ENOENT) continue;  // runc's rule: a path the kernel does not have needs no protection
      die(error_fd, Stage::readonly_path, index);
    }
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | mount_flags_of(path);
    if (::mount(nullptr, path, nullptr, flags, nullptr) < 0) die(error_fd, Stage::readonly_path, index);
  }
  for (size_t i = 0; i < plan.masked_paths.size(); ++i) {
    const char* path = plan.masked_paths[i].c_str();
    const int index = static_cast<int>(i);
    struct stat st {};
    if (::stat(path, &st) < 0) {
      if (errno == ENOENT) continue;
      die(error_fd, Stage::masked_path, index);
    }
    // Files get /dev/null (reads as empty); directories an empty read-only
    // tmpfs, since /dev/null cannot be bound over a directory.
    int rc = S_ISDIR(st.st_mode) ? ::mount("tmpfs", path, "tmpfs", MS_RDONLY, nullptr)
                                 : ::mount("/dev/null", path, nullptr, MS_BIND, nullptr);
    if (rc < 0) die(error_fd, Stage::masked_path, index);
  }
}

// Makes the libraries in plan.ld_conf known to the loader, as
// nvidia-container-toolkit's update-ldcache hook does: an ld.so.conf.d entry
// in the container's writable layer, then the image's own ldconfig, whose
// cache format matches the image's loader. Nothing happens in an image
// without ldconfig (busybox: no glibc loader to tell). ldconfig's failure
// is not spawn's: its complaint goes to the container's stderr.
void update_ld_cache(const Plan& plan, int error_fd) {
  const char* ldconfig = nullptr;
  for (const char* candidate : {"/sbin/ldconfig", "/usr/sbin/ldconfig"})
    if (::access(candidate, X_OK) == 0) {
      ldconfig = candidate;
      break;
    }
  if (ldconfig == nullptr) return;
  // After pivot_root, so a symlink in the image resolves inside it. An /etc
  // mounted read-only (the host's, bound in) keeps the cache it has.
  if (::mkdir(kLdConfDir, 0755) < 0 && errno != EEXIST) {
    if (errno == EROFS) return;
    die(error_fd, Stage::ld_conf);
  }
  const int fd = ::open(kLdConfFile, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EROFS) return;
  if (fd < 0) die(error_fd, Stage::ld_conf);
  if (::write(fd, plan.ld_conf.data(), plan.ld_conf.size()) != static_cast<ssize_t>(plan.ld_conf.size()))
    die(error_fd, Stage::ld_conf);
  ::close(fd);
  // clone3 as a plain fork: glibc's fork() takes malloc's locks, which a
  // thread of spawn's caller may have held at the moment of our own clone.
  struct clone_args args {};
  args.exit_signal = SIGCHLD;
  const long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) die(error_fd, Stage::ldconfig);
  if (pid == 0) {
    // Nothing of spawn's caller (a lock, a directory of the host) may reach
    // the image's code: the container's own process loses these at exec.
    if (::close_range(3, ~0U, 0) < 0) ::_exit(126);
    PrivilegeStep step{};
    if (!apply_identity(plan.ldconfig_privileges, &step) || !apply_final_privileges(plan.ldconfig_privileges, &step))
      ::_exit(126);
    // A pending alarm survives execve: an ldconfig that hangs is killed
    // (SIGALRM's default action) instead of holding up the container's start.
    ::alarm(kLdconfigTimeoutSeconds);
    char name[] = "ldconfig";
    char* const argv[] = {name, nullptr};
    char* const envp[] = {nullptr};
    ::execve(ldconfig, argv, envp);
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(static_cast<pid_t>(pid), &status, 0) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void child_main(const Plan& plan, int sync_fd, int error_fd) {
  // Its cgroup first (v1: by itself, see CgroupJoin), and the parent told:
  // before_start and the prestart hooks look for the container there.
  if (!plan.cgroup.tasks.empty()) {
    if (int failed = join_cgroup_tasks(plan.cgroup); failed >= 0) die(error_fd, Stage::cgroup, failed);
    for (const UniqueFd& fd : plan.cgroup.tasks) ::close(fd.get());
    ChildError joined{Stage::cgroup_joined, 0, 0};
    if (::write(error_fd, &joined, sizeof joined) != static_cast<ssize_t>(sizeof joined)) ::_exit(127);
  }
  char go = 0;
  ssize_t n;
  while ((n = ::read(sync_fd, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) ::_exit(127);  // the parent gave up (before_start failed) and is about to kill us
  const bool hook_points = plan.create_container_hooks || plan.start_container_hooks;
  if (!hook_points) ::close(sync_fd);

  // Joined first, as runc does: everything below (sysctls under /proc/sys/net,
  // the hostname) applies to the namespace the container ends up in.
  for (size_t i = 0; i < plan.joins.size(); ++i)
    if (::setns(plan.joins[i].fd.get(), plan.joins[i].flag) < 0) die(error_fd, Stage::join_ns, static_cast<int>(i));
  // Unshared only now: a cgroup namespace's root is the cgroup its creator
  // sits in at that moment, and before_start has just moved us into ours.
  if (plan.cgroup_ns && ::unshare(CLONE_NEWCGROUP) < 0) die(error_fd, Stage::cgroup_ns);
  setup_mounts(plan, sync_fd, error_fd);
  protect_paths(plan, error_fd);
  if (plan.uts_ns && !plan.hostname.empty() && ::sethostname(plan.hostname.data(), plan.hostname.size()) < 0)
    die(error_fd, Stage::hostname);
  for (size_t i = 0; i < plan.rlimits.size(); ++i)
    if (::setrlimit(static_cast<__rlimit_resource>(plan.rlimits[i].resource), &plan.rlimits[i].limit) < 0)
      die(error_fd, Stage::rlimit, static_cast<int>(i));
  int stdio[3] = {plan.stdio[0], plan.stdio[1], plan.stdio[2]};
  int terminal_step = 0;
  if (!use_container_terminal(stdio, plan.console_socket, plan.console_size, &terminal_step))
    die(error_fd, Stage::terminal, terminal_step);
  if (int fd = install_stdio(stdio, plan.terminal); fd >= 0) die(error_fd, Stage::stdio, fd);
  reset_signals();
  // With stdio in place (ldconfig's complaints belong in the container's
  // log) and before the root turns read-only (it writes /etc/ld.so.cache).
  if (!plan.ld_conf.empty()) update_ld_cache(plan, error_fd);
  // OCI: startContainer hooks run in the container, its root in place,
  // before its process; the root is still writable for them.
  if (plan.start_container_hooks) wait_for_hooks(sync_fd, error_fd, 1);
  if (hook_points) ::close(sync_fd);
  if (plan.root_readonly) {
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | mount_flags_of("/");
    if (::mount(nullptr, "/", nullptr, flags, nullptr) < 0) die(error_fd, Stage::root_readonly);
  }
  PrivilegeStep step{};
  if (!apply_identity(plan.privileges, &step)) die(error_fd, Stage::privileges, static_cast<int>(step));
  // Closed, not just marked close-on-exec, before the working directory is
  // taken: a cwd of /proc/self/fd/N must find no directory of the host (the
  // cgroup2 directory we were cloned into, the monitor's own fds).
  const int keep[] = {error_fd, plan.shim.fd};
  if (close_fds_except(keep, sizeof keep / sizeof keep[0]) < 0) die(error_fd, Stage::close_fds);
  if (chdir_beneath_root(plan.cwd.c_str()) < 0) die(error_fd, Stage::chdir);
  // Every inherited fd above 2 (the caller's, other threads') closes at exec,
  // the error pipe with them: EOF there tells the parent the exec worked.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) die(error_fd, Stage::close_fds);
  // The filter last: nothing after it but the exec (and the init's fork).
  if (!apply_final_privileges(plan.privileges, &step)) die(error_fd, Stage::privileges, static_cast<int>(step));
  if (plan.init && become_init() < 0) die(error_fd, Stage::init);

  exec_through_shim(plan.shim, plan.target);
  die(error_fd, Stage::exec);
}

// ---- the parent.

std::string describe(const Plan& plan, const ContainerSpec& spec, const ChildError& e) {
  auto at = [](const auto& list, int index) -> std::string {
    return index >= 0 && static_cast<size_t>(index) < list.size() ? std::string(list[index]) : std::string("?");
  };
  auto mount_at = [&](int index) -> std::string {
    if (index < 0 || static_cast<size_t>(index) >= plan.mounts.size()) return "?";
    const MountPlan& m = plan.mounts[index];
    return "`" + m.type + "` on `" + m.destination + "`";
  };
  switch (e.stage) {
    case Stage::sync: return "waiting for the parent";
    case Stage::hooks: return "waiting for the hooks";
    case Stage::cgroup_joined: return "joining its cgroup";
    case Stage::cgroup: return "joining cgroup `" + plan.cgroup.task_dirs.at(static_cast<size_t>(e.index)) + "`";
    case Stage::join_ns: {
      if (e.index < 0 || static_cast<size_t>(e.index) >= plan.joins.size()) return "joining a namespace";
      const PlannedJoin& j = plan.joins[e.index];
      return "joining the " + j.type + " namespace at `" + j.path + "`";
    }
    case Stage::cgroup_ns: return "creating the cgroup namespace";
    case Stage::root_propagation: return "making `/` a slave mount";
    case Stage::bind_rootfs: return "binding rootfs `" + plan.rootfs + "` on itself";
    case Stage::mount_target: return "resolving the mount point of " + mount_at(e.index) + " beneath the rootfs";
    case Stage::mount_escape:
      return "mount point of " + mount_at(e.index) +
             " resolves to the container root (a symlink to `/` in the image?); refusing to mount over it";
    case Stage::mkdir: return "creating mount point for " + mount_at(e.index);
    case Stage::mount: return "mounting " + mount_at(e.index);
    case Stage::mount_source: {
      const bool ok = e.index >= 0 && static_cast<size_t>(e.index) < plan.mounts.size();
      const std::string source = ok ? plan.mounts[e.index].source : "?";
      if (e.err == ELOOP && ok && plan.mounts[e.index].source_nofollow)
        return "opening the source `" + source + "` of " + mount_at(e.index) +
               ": a part of the path is a symlink now, which it was not when the container was made; refusing to "
               "follow it";
      return "opening the source `" + source + "` of " + mount_at(e.index);
    }
    case Stage::remount: return "remounting " + mount_at(e.index) + " with its options";
    case Stage::propagation: return "setting propagation of " + mount_at(e.index);
    case Stage::device_mknod:
    case Stage::device_owner: {
      const bool ok = e.index >= 0 && static_cast<size_t>(e.index) < plan.devices.size();
      return std::string(e.stage == Stage::device_mknod ? "creating" : "setting the owner and mode of") + " device `" +
             (ok ? plan.devices[e.index].path : std::string("?")) + "`";
    }
    case Stage::symlink:
      return "creating symlink `/dev/" +
             std::string(e.index >= 0 && static_cast<size_t>(e.index) < plan.links.size() ? plan.links[e.index].name
                                                                                          : "?") +
             "`";
    case Stage::pivot_root: return "pivot_root into `" + plan.rootfs + "`";
    case Stage::detach_old_root: return "detaching the old root";
    case Stage::sysctl: {
      auto it = spec.linux.sysctl.begin();
      for (int i = 0; i < e.index && it != spec.linux.sysctl.end(); ++i) ++it;
      const std::string key = it == spec.linux.sysctl.end() ? std::string("?") : it->first;
      if (e.err == EXDEV)
        return "sysctl `" + key + "`: its file is not in procfs (something is mounted over it); refused";
      return "setting sysctl `" + key + "`";
    }
    case Stage::readonly_path: return "making `" + at(plan.readonly_paths, e.index) + "` read-only";
    case Stage::masked_path: return "masking `" + at(plan.masked_paths, e.index) + "`";
    case Stage::root_readonly: return "making the rootfs read-only";
    case Stage::hostname: return "setting hostname `" + plan.hostname + "`";
    case Stage::rlimit:
      return "setting rlimit `" +
             (e.index >= 0 && static_cast<size_t>(e.index) < spec.process.rlimits.size()
                  ? spec.process.rlimits[e.index].type
                  : std::string("?")) +
             "`";
    case Stage::terminal: return describe_terminal_step(e.index);
    case Stage::stdio: return "setting up fd " + std::to_string(e.index);
    case Stage::ld_conf: return std::string("writing `") + kLdConfFile + "`";
    case Stage::ldconfig: return "running ldconfig";
    case Stage::privileges: return describe_privilege_step(plan.privileges, static_cast<PrivilegeStep>(e.index));
    case Stage::chdir:
      if (e.err == EXDEV) return "working directory `" + plan.cwd + "` leads outside the container; refused";
      return "changing to working directory `" + plan.cwd + "`";
    case Stage::close_fds: return "closing inherited fds";
    case Stage::init: return "starting the init process";
    case Stage::exec: return "executing `" + spec.process.args[0] + "`";
  }
  return "an unknown step";
}

// The container's namespaces a createContainer or startContainer hook joins
// (setns through the pidfd: the ones it shares with us are joined as no-ops).
// Not its pid namespace: that would take a second fork.
constexpr int kHookNamespaces = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;

// One report from the child: false at EOF (the exec closed the pipe, or the
// child is gone).
Result<bool> read_report(int fd, ChildError& report) {
  ssize_t n;
  while ((n = ::read(fd, &report, sizeof report)) < 0 && errno == EINTR) {
  }
  if (n == 0) return false;
  if (n < 0) return fail_errno("reading the child's report");
  // The child writes its report with one write(2) below PIPE_BUF, so it
  // arrives whole or not at all; anything else is not a report.
  if (n != static_cast<ssize_t>(sizeof report)) return fail(Error("the child's report is truncated", EIO));
  return true;
}

}  // namespace

Result<ChildProcess> spawn_container(const ContainerSpec& spec, const SpawnOptions& options) {
  Plan plan = BRICK_TRY_CTX(make_plan(spec, options), "starting container");

  int sync_pipe[2], error_pipe[2];
  if (::pipe2(sync_pipe, O_CLOEXEC) < 0) return fail_errno("starting container: creating sync pipe");
  UniqueFd sync_read(sync_pipe[0]), sync_write(sync_pipe[1]);
  if (::pipe2(error_pipe, O_CLOEXEC) < 0) return fail_errno("starting container: creating error pipe");
  UniqueFd error_read(error_pipe[0]), error_write(error_pipe[1]);
  plan.shim = plan_shim_exec(plan.target, error_pipe[1], static_cast<int>(Stage::exec));

  // Born in its cgroup (v2), or joining it by itself (v1): see CgroupJoin.
  if (options.cgroup != nullptr)
    plan.cgroup = BRICK_TRY_CTX(open_cgroup_join(options.cgroup->directories()), "starting container");
  int pidfd = -1;
  struct clone_args args {};
  args.flags = CLONE_PIDFD | plan.clone_flags;
  args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  // clone3 without a stack behaves like fork: the child runs on a copy of
  // this stack and returns here with 0.
  const long pid = clone_joining(args, plan.cgroup);
  if (pid < 0) return fail_errno("starting container: clone3");
  if (pid == 0) {
    ::close(sync_pipe[1]);  // else our own copy would keep the read below from seeing EOF
    ::close(error_pipe[0]);
    child_main(plan, sync_pipe[0], error_pipe[1]);
  }
  ChildProcess child(static_cast<pid_t>(pid), UniqueFd(pidfd));
  sync_read.reset();
  error_write.reset();

  BRICK_TRY_CTX(join_cgroup_late(plan.cgroup, child.pid()), "starting container");
  ChildError report{};
  if (!plan.cgroup.tasks.empty()) {
    Result<bool> joined = read_report(error_read.get(), report);
    if (!joined) return fail(std::move(joined).error().context("starting container"));
    if (!*joined) return fail(Error("starting container: the child exited before joining its cgroup", ECHILD));
    if (report.stage != Stage::cgroup_joined) {
      (void)child.wait();
      return fail(Error::from_errno(describe(plan, spec, report), report.err).context("starting container"));
    }
  }
  if (options.before_start) BRICK_TRY_CTX(options.before_start(child.pid()), "starting container");
  auto state = [&](const char* status) {
    return hook_state(spec.oci_version, options.id, status, child.pid(), options.bundle);
  };
  // Returning early kills and reaps the child (ChildProcess), waiting at
  // the sync pipe or at a hook point.
  if (!spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty()) {
    const std::string creating = state("creating");
    BRICK_TRY_CTX(run_hooks(spec.hooks.prestart, "prestart", creating), "starting container");
    BRICK_TRY_CTX(run_hooks(spec.hooks.create_runtime, "createRuntime", creating), "starting container");
  }
  const char go = 1;
  if (::write(sync_write.get(), &go, 1) != 1) return fail_errno("starting container: releasing the child");
  if (!plan.create_container_hooks && !plan.start_container_hooks) sync_write.reset();

  for (;;) {
    Result<bool> got = read_report(error_read.get(), report);
    if (!got) return fail(std::move(got).error().context("starting container"));
    if (!*got) return child;  // EOF: the exec closed the pipe
    if (report.stage != Stage::hooks) break;
    // In the container's namespaces (its mount namespace: before pivot_root
    // the host's paths, after it the container's), from this process.
    const bool create = report.index == 0;
    const HookPlace place{child.pidfd(), kHookNamespaces};
    BRICK_TRY_CTX(
        run_hooks(create ? spec.hooks.create_container : spec.hooks.start_container,
                  create ? "createContainer" : "startContainer", state(create ? "creating" : "created"), place),
        "starting container");
    if (::write(sync_write.get(), &go, 1) != 1) return fail_errno("starting container: releasing the child");
  }
  // The child has exited (or is about to): reap it here, so no zombie outlives the error.
  (void)child.wait();
  return fail(Error::from_errno(describe(plan, spec, report), report.err).context("starting container"));
}

}  // namespace brick::runtime
