#include "runtime/seccomp.hpp"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/file.hpp"
#include "base/json.hpp"
#include "base/scope_exit.hpp"
#include "base/strings.hpp"
#include "base/unique_fd.hpp"

namespace brick::runtime {

namespace {

// One rule of a docker profile before it is resolved against the caps and
// the architecture.
struct DockerRule {
  std::vector<std::string> names;
  std::string action = "SCMP_ACT_ALLOW";
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
  std::vector<std::string> include_caps, include_arches, exclude_caps, exclude_arches;
  std::string min_kernel;
};

struct DockerProfile {
  std::string default_action = "SCMP_ACT_ERRNO";
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // already chosen for this machine
  std::vector<DockerRule> rules;
};

// This machine in docker's words (Go's GOARCH) and its seccomp architectures.
#if defined(__x86_64__)
constexpr const char* kArch = "amd64";
const std::vector<std::string> kNativeArches = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
constexpr const char* kArch = "arm64";
const std::vector<std::string> kNativeArches = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#else
constexpr const char* kArch = "";
const std::vector<std::string> kNativeArches = {};
#endif

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// "5.8" >= "4.8"; a malformed version compares as 0.
std::vector<int> version_numbers(std::string_view text) {
  std::vector<int> out;
  int current = 0;
  bool any = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      current = current * 10 + (c - '0');
      any = true;
    } else if (c == '.' && any) {
      out.push_back(current);
      current = 0;
      any = false;
    } else {
      break;
    }
  }
  if (any) out.push_back(current);
  return out;
}

bool kernel_at_least(std::string_view min) {
  static const std::vector<int> running = [] {
    struct utsname u {};
    ::uname(&u);
    return version_numbers(u.release);
  }();
  std::vector<int> wanted = version_numbers(min);
  return !std::lexicographical_compare(running.begin(), running.end(), wanted.begin(), wanted.end());
}

Seccomp resolve(const DockerProfile& profile, const std::vector<std::string>& caps) {
  Seccomp out;
  out.default_action = profile.default_action;
  out.default_errno_ret = profile.default_errno_ret;
  out.architectures = profile.architectures;
  for (const DockerRule& rule : profile.rules) {
    if (!rule.include_arches.empty() && !contains(rule.include_arches, kArch)) continue;
    if (contains(rule.exclude_arches, kArch)) continue;
    if (!std::all_of(rule.include_caps.begin(), rule.include_caps.end(),
                     [&](const std::string& c) { return contains(caps, c); }))
      continue;
    if (std::any_of(rule.exclude_caps.begin(), rule.exclude_caps.end(),
                    [&](const std::string& c) { return contains(caps, c); }))
      continue;
    if (!rule.min_kernel.empty() && !kernel_at_least(rule.min_kernel)) continue;
    out.syscalls.push_back({rule.names, rule.action, rule.errno_ret, rule.args});
  }
  return out;
}

// The allowlist every container gets, whatever its capabilities.
constexpr const char* kAllowed =
    "accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime "
    "clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep "
    "clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create "
    "epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 "
    "execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir "
    "fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr "
    "fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 "
    "futex_waitv futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 "
    "getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid "
    "getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt "
    "get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 "
    "inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get "
    "ioprio_set io_setup io_submit io_uring_enter io_uring_register io_uring_setup ipc kill landlock_add_rule "
    "landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr "
    "llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create memfd_secret "
    "mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open "
    "mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv "
    "msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 "
    "pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl "
    "pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read "
    "readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages "
    "removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask "
    "rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo "
    "sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min "
    "sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr "
    "sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop "
    "semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 "
    "setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 "
    "setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area "
    "set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 "
    "sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync "
    "sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime "
    "timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 "
    "timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat "
    "utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev";

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  for (std::string& w : split(text, ' '))
    if (!w.empty()) out.push_back(std::move(w));
  return out;
}

const DockerProfile& default_profile() {
  static const DockerProfile profile = [] {
    DockerProfile p;
    p.default_action = "SCMP_ACT_ERRNO";
    p.default_errno_ret = EPERM;
    p.architectures = kNativeArches;
    auto allow = [&](const char* names) -> DockerRule& {
      DockerRule rule;
      rule.names = words(names);
      p.rules.push_back(std::move(rule));
      return p.rules.back();
    };
    auto allow_with = [&](const char* names, const char* cap) { allow(names).include_caps = {cap}; };
    auto allow_on = [&](const char* names, std::vector<std::string> arches) {
      allow(names).include_arches = std::move(arches);
    };
    allow(kAllowed);
    allow("process_vm_readv process_vm_writev ptrace").min_kernel = "4.8";
    // Every socket family but AF_VSOCK (40), which reaches the host's
    // hypervisor sockets.
    allow("socket").args = {{0, 40, 0, "SCMP_CMP_NE"}};
    // PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26 and the query.
    for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL})
      allow("personality").args = {{0, persona, 0, "SCMP_CMP_EQ"}};
    allow_on("sync_file_range2 swapcontext", {"ppc64le"});
    allow_on("arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls", {"arm", "arm64"});
    allow_on("arch_prctl", {"amd64", "x32"});
    allow_on("modify_ldt", {"amd64", "x32", "x86"});
    allow_on("s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr", {"s390", "s390x"});
    allow_on("riscv_flush_icache", {"riscv64"});
    allow_with("open_by_handle_at", "CAP_DAC_READ_SEARCH");
    allow_with(
        "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr "
        "move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog umount "
        "umount2 unshare",
        "CAP_SYS_ADMIN");
    // Without CAP_SYS_ADMIN, clone may not create namespaces: none of
    // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (0x7e020000).
    {
      DockerRule& r = allow("clone");
      r.args = {{0, 0x7e020000, 0, "SCMP_CMP_MASKED_EQ"}};
      r.exclude_caps = {"CAP_SYS_ADMIN"};
      r.exclude_arches = {"s390", "s390x"};
    }
    {
      DockerRule& r = allow("clone");
      r.args = {{1, 0x7e020000, 0, "SCMP_CMP_MASKED_EQ"}};  // s390 swaps clone's first two arguments
      r.include_arches = {"s390", "s390x"};
      r.exclude_caps = {"CAP_SYS_ADMIN"};
    }
    {
      // clone3's flags sit in memory seccomp cannot read: ENOSYS makes libc
      // fall back to clone, where they are checked.
      DockerRule& r = allow("clone3");
      r.action = "SCMP_ACT_ERRNO";
      r.errno_ret = ENOSYS;
      r.exclude_caps = {"CAP_SYS_ADMIN"};
    }
    allow_with("reboot", "CAP_SYS_BOOT");
    allow_with("chroot", "CAP_SYS_CHROOT");
    allow_with("delete_module init_module finit_module", "CAP_SYS_MODULE");
    allow_with("acct", "CAP_SYS_PACCT");
    allow_with("kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace", "CAP_SYS_PTRACE");
    allow_with("iopl ioperm", "CAP_SYS_RAWIO");
    allow_with("settimeofday stime clock_settime clock_settime64", "CAP_SYS_TIME");
    allow_with("vhangup", "CAP_SYS_TTY_CONFIG");
    allow_with("get_mempolicy mbind set_mempolicy set_mempolicy_home_node", "CAP_SYS_NICE");
    allow_with("syslog", "CAP_SYSLOG");
    allow_with("bpf", "CAP_BPF");
    allow_with("perf_event_open", "CAP_PERFMON");
    return p;
  }();
  return profile;
}

using nlohmann::json;

void read_filter(const json& j, const char* key, std::vector<std::string>& caps, std::vector<std::string>& arches,
                 std::string* min_kernel) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return;
  json_read(*it, "caps", caps);
  json_read(*it, "arches", arches);
  if (min_kernel != nullptr) json_read(*it, "minKernel", *min_kernel);
}

DockerProfile profile_from_json(const json& j) {
  if (!j.is_object()) throw json::type_error::create(302, "a profile is a JSON object", &j);
  DockerProfile p;
  json_read(j, "defaultAction", p.default_action);
  json_read(j, "defaultErrnoRet", p.default_errno_ret);
  // archMap: the entry for this machine's architecture and its
  // sub-architectures; the older `architectures` list is taken as it is.
  if (auto it = j.find("archMap"); it != j.end() && it->is_array()) {
    for (const json& entry : *it) {
      std::string arch;
      json_read(entry, "architecture", arch);
      if (kNativeArches.empty() || arch != kNativeArches.front()) continue;
      p.architectures.push_back(arch);
      std::vector<std::string> subs;
      json_read(entry, "subArchitectures", subs);
      p.architectures.insert(p.architectures.end(), subs.begin(), subs.end());
    }
  } else {
    json_read(j, "architectures", p.architectures);
  }
  if (auto it = j.find("syscalls"); it != j.end() && it->is_array()) {
    for (const json& entry : *it) {
      DockerRule rule;
      json_read(entry, "names", rule.names);
      std::string name;
      json_read(entry, "name", name);
      if (!name.empty()) rule.names.push_back(name);
      json_read(entry, "action", rule.action);
      json_read(entry, "errnoRet", rule.errno_ret);
      json_read(entry, "args", rule.args);
      read_filter(entry, "includes", rule.include_caps, rule.include_arches, &rule.min_kernel);
      read_filter(entry, "excludes", rule.exclude_caps, rule.exclude_arches, nullptr);
      p.rules.push_back(std::move(rule));
    }
  }
  return p;
}

Result<uint32_t> action_of(const std::string& action, std::optional<uint32_t> errno_ret) {
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  return fail("unknown seccomp action `" + action + "`");
}

Result<scmp_compare> op_of(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return fail("unknown seccomp operator `" + op + "`");
}

Result<uint32_t> arch_of(const std::string& name) {
  // "SCMP_ARCH_X86_64" -> libseccomp's "x86_64".
  if (!name.starts_with("SCMP_ARCH_")) return fail("unknown seccomp architecture `" + name + "`");
  std::string lower = to_lower(name.substr(10));
  uint32_t arch = ::seccomp_arch_resolve_name(lower.c_str());
  if (arch == 0) return fail("unknown seccomp architecture `" + name + "`");
  return arch;
}

Result<std::vector<sock_filter>> compile_uncached(const Seccomp& s) {
  const uint32_t default_action = BRICK_TRY(action_of(s.default_action, s.default_errno_ret));
  scmp_filter_ctx ctx = ::seccomp_init(default_action);
  if (ctx == nullptr) return fail("seccomp: initialising the filter failed");
  ScopeExit release([&] { ::seccomp_release(ctx); });
  // no_new_privs is the spec's business (process.noNewPrivileges), not the filter's.
  if (int rc = ::seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc < 0)
    return fail(Error::from_errno("seccomp: clearing the no_new_privs attribute", -rc));
  // A binary search over the syscall numbers instead of a list of ~350
  // comparisons: the kernel runs the filter for every syscall number when it
  // is loaded (its action cache) and for each uncached call after, so the
  // list cost every container start about a millisecond.
  if (int rc = ::seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); rc < 0)
    return fail(Error::from_errno("seccomp: asking for a binary-tree filter", -rc));
  for (const std::string& name : s.architectures) {
    uint32_t arch = BRICK_TRY(arch_of(name));
    int rc = ::seccomp_arch_add(ctx, arch);
    if (rc < 0 && rc != -EEXIST) return fail(Error::from_errno("seccomp: adding architecture `" + name + "`", -rc));
  }
  for (const SeccompSyscall& sc : s.syscalls) {
    const uint32_t action = BRICK_TRY(action_of(sc.action, sc.errno_ret));
    if (action == default_action) continue;  // libseccomp refuses a rule that changes nothing
    std::vector<scmp_arg_cmp> conditions;
    bool repeated_index = false;
    for (const SeccompArg& a : sc.args) {
      if (a.index > 5) return fail("seccomp: argument index " + std::to_string(a.index) + " is out of range");
      scmp_compare op = BRICK_TRY(op_of(a.op));
      for (const scmp_arg_cmp& c : conditions)
        if (c.arg == a.index) repeated_index = true;
      conditions.push_back({a.index, op, a.value, a.value_two});
    }
    for (const std::string& name : sc.names) {
      int nr = ::seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // not a syscall here: docker skips it too
      int rc = 0;
      if (!repeated_index) {
        rc = ::seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conditions.size()), conditions.data());
      } else {
        // libseccomp takes one condition per argument in a rule; runc adds
        // each as a rule of its own (any one of them then matches).
        for (const scmp_arg_cmp& c : conditions)
          if ((rc = ::seccomp_rule_add_array(ctx, action, nr, 1, &c)) < 0) break;
      }
      if (rc < 0) return fail(Error::from_errno("seccomp: adding the rule for `" + name + "`", -rc));
    }
  }
  UniqueFd memfd(::memfd_create("brick-seccomp", MFD_CLOEXEC));
  if (!memfd) return fail_errno("seccomp: memfd_create");
  if (int rc = ::seccomp_export_bpf(ctx, memfd.get()); rc < 0)
    return fail(Error::from_errno("seccomp: exporting the filter", -rc));
  if (::lseek(memfd.get(), 0, SEEK_SET) < 0) return fail_errno("seccomp: rewinding the filter");
  std::string bytes = BRICK_TRY_CTX(read_fd(memfd.get()), "seccomp: reading the filter");
  if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0)
    return fail("seccomp: the exported filter is malformed");
  std::vector<sock_filter> program(bytes.size() / sizeof(sock_filter));
  std::memcpy(program.data(), bytes.data(), bytes.size());
  return program;
}

std::mutex cache_mutex;
std::string cache_directory;  // guarded by cache_mutex

// Everything the program depends on, as text: the filter, libseccomp's
// version (its code generation may change) and the architecture.
std::string cache_key(const Seccomp& s) {
  const scmp_version* v = ::seccomp_version();
  std::string key = "brick-seccomp 2 libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                    std::to_string(v->micro) + " " + kArch + "\n";
  key += s.default_action + " " + (s.default_errno_ret ? std::to_string(*s.default_errno_ret) : "-") + "\n";
  for (const std::string& a : s.architectures) key += a + " ";
  key += "\n";
  for (const SeccompSyscall& sc : s.syscalls) {
    key += sc.action + " " + (sc.errno_ret ? std::to_string(*sc.errno_ret) : "-");
    for (const SeccompArg& a : sc.args)
      key += " [" + std::to_string(a.index) + " " + a.op + " " + std::to_string(a.value) + " " +
             std::to_string(a.value_two) + "]";
    for (const std::string& n : sc.names) key += " " + n;
    key += "\n";
  }
  return key;
}

std::optional<std::vector<sock_filter>> from_disk(const std::string& path, const std::string& key) {
  auto text = read_file(path);
  if (!text || text->size() <= key.size() + 1 || text->compare(0, key.size(), key) != 0 || (*text)[key.size()] != '\0')
    return std::nullopt;
  const size_t bytes = text->size() - key.size() - 1;
  if (bytes % sizeof(sock_filter) != 0) return std::nullopt;
  std::vector<sock_filter> program(bytes / sizeof(sock_filter));
  std::memcpy(program.data(), text->data() + key.size() + 1, bytes);
  return program;
}

}  // namespace

void set_seccomp_cache_directory(std::string directory) {
  std::lock_guard lock(cache_mutex);
  cache_directory = std::move(directory);
}

Seccomp default_seccomp(const std::vector<std::string>& caps) { return resolve(default_profile(), caps); }

Result<Seccomp> parse_docker_seccomp_profile(std::string_view json_text, const std::vector<std::string>& caps) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail("seccomp profile: not valid JSON");
  DockerProfile profile;
  try {
    profile = profile_from_json(doc);
  } catch (const json::exception& e) {
    return fail(std::string("seccomp profile: ") + e.what());
  }
  Seccomp out = resolve(profile, caps);
  // Catch a typo now rather than at the container's start.
  BRICK_TRY_CTX(action_of(out.default_action, out.default_errno_ret), "seccomp profile");
  for (const SeccompSyscall& sc : out.syscalls) {
    BRICK_TRY_CTX(action_of(sc.action, sc.errno_ret), "seccomp profile");
    for (const SeccompArg& a : sc.args) BRICK_TRY_CTX(op_of(a.op), "seccomp profile");
  }
  return out;
}

Result<std::vector<sock_filter>> compile_seccomp(const Seccomp& seccomp) {
  // Most containers share one filter (the default profile for the default
  // capabilities): compiling it is most of the cost, comparing is cheap.
  static std::optional<std::pair<Seccomp, std::vector<sock_filter>>> last;
  std::string directory;
  {
    std::lock_guard lock(cache_mutex);
    if (last && last->first == seccomp) return last->second;
    directory = cache_directory;
  }
  std::optional<std::vector<sock_filter>> program;
  std::string key, path;
  if (!directory.empty()) {
    key = cache_key(seccomp);
    char name[32];
    std::snprintf(name, sizeof name, "/%016zx.bpf", std::hash<std::string>{}(key));
    path = directory + name;
    program = from_disk(path, key);
  }
  if (!program) {
    program = BRICK_TRY(compile_uncached(seccomp));
    if (!path.empty() && (::mkdir(directory.c_str(), 0700) == 0 || errno == EEXIST)) {
      std::string data = key + '\0';
      data.append(reinterpret_cast<const char*>(program->data()), program->size() * sizeof(sock_filter));
      (void)write_file_atomic(path, data, 0600);  // a cache: failing to fill it only costs time
    }
  }
  std::lock_guard lock(cache_mutex);
  last.emplace(seccomp, *program);
  return *program;
}

}  // namespace brick::runtime
