#include "runtime/exec.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/exec_shim.hpp"
#include "runtime/exec_target.hpp"
#include "runtime/fds.hpp"
#include "runtime/init.hpp"
#include "runtime/privileges.hpp"
#include "runtime/pty.hpp"

namespace brick::runtime {

namespace {

enum class Stage : int {
  dumpable,
  cgroup,
  setns,
  fork,
  sync,
  terminal,
  stdio,
  rlimit,
  privileges,
  chdir,
  close_fds,
  exec
};

struct ChildError {
  Stage stage;
  int err;
  int index;
};

struct ExecPlan {
  CgroupJoin cgroup;
  int target_pidfd = -1;
  int ns_flags = 0;
  std::vector<std::pair<int, struct rlimit>> rlimits;
  PrivilegePlan privileges;
  std::string cwd;
  ExecTarget target;
  ShimExec shim;
  int stdio[3] = {-1, -1, -1};
  bool terminal = false;
  int console_socket = -1;
  struct winsize console_size {};
};

[[noreturn]] void die(int error_fd, Stage stage, int index = -1) {
  ChildError e{stage, errno, index};
  [[maybe_unused]] ssize_t n = ::write(error_fd, &e, sizeof e);
  ::_exit(127);
}

// The exec'd process itself: already in every namespace of the container.
[[noreturn]] void exec_child(const ExecPlan& plan, int sync_fd, int error_fd) {
  // Inherited from the intermediate, but said again: until its execve this
  // process is brick, in the container's pid namespace.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  char go = 0;
  ssize_t n;
  while ((n = ::read(sync_fd, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) ::_exit(127);
  ::close(sync_fd);
  int stdio[3] = {plan.stdio[0], plan.stdio[1], plan.stdio[2]};
  int terminal_step = 0;
  if (!use_container_terminal(stdio, plan.console_socket, plan.console_size, &terminal_step))
    die(error_fd, Stage::terminal, terminal_step);
  if (int fd = install_stdio(stdio, plan.terminal); fd >= 0) die(error_fd, Stage::stdio, fd);
  for (size_t i = 0; i < plan.rlimits.size(); ++i)
    if (::setrlimit(static_cast<__rlimit_resource>(plan.rlimits[i].first), &plan.rlimits[i].second) < 0)
      die(error_fd, Stage::rlimit, plan.rlimits[i].first);
  reset_signals();
  PrivilegeStep step{};
  if (!apply_identity(plan.privileges, &step)) die(error_fd, Stage::privileges, static_cast<int>(step));
  if (chdir_beneath_root(plan.cwd.c_str()) < 0) die(error_fd, Stage::chdir);
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) die(error_fd, Stage::close_fds);
  if (!apply_final_privileges(plan.privileges, &step)) die(error_fd, Stage::privileges, static_cast<int>(step));
  exec_through_shim(plan.shim, plan.target);
  die(error_fd, Stage::exec);
}

// The intermediate: joins the namespaces (setns on a pid namespace only
// places the children there), forks the real process as the caller's child
// (CLONE_PARENT), tells the caller its pid and exits.
[[noreturn]] void enter_and_fork(const ExecPlan& plan, int sync_fd, int error_fd, int pid_fd) {
  // Not dumpable, before anything of the container can see this process or
  // its child: the container's root could otherwise open /proc/PID/fd/N and
  // /proc/PID/exe (host files, the brick binary) or ptrace it until execve
  // (runc: CVE-2016-9962, CVE-2019-5736). The child inherits it (the mm's
  // flags are copied at fork) and execve resets it.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die(error_fd, Stage::dumpable);
  // The cgroup first (v1: by ourselves; v2: born there), so the process
  // forked below starts in it; then the cgroup namespace rooted there.
  if (int failed = join_cgroup_tasks(plan.cgroup); failed >= 0) die(error_fd, Stage::cgroup, failed);
  // Closed, not just marked close-on-exec, before joining: the cgroup
  // directories (an O_PATH fd on a cgroup2 directory leads to the host's
  // filesystem with `..`), the caller's logs, locks and sockets.
  const int keep[] = {sync_fd,       error_fd,      pid_fd,        plan.target_pidfd,
                      plan.stdio[0], plan.stdio[1], plan.stdio[2], plan.console_socket,
                      plan.shim.fd};
  if (close_fds_except(keep, sizeof keep / sizeof keep[0]) < 0) die(error_fd, Stage::close_fds);
  if (::setns(plan.target_pidfd, plan.ns_flags) < 0) die(error_fd, Stage::setns);
  ::close(plan.target_pidfd);
  struct clone_args args {};
  args.flags = CLONE_PARENT;
  // clone3 refuses an exit_signal with CLONE_PARENT: the child inherits
  // ours (SIGCHLD to the caller) instead.
  args.exit_signal = 0;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) die(error_fd, Stage::fork);
  if (pid == 0) {
    ::close(pid_fd);
    exec_child(plan, sync_fd, error_fd);
  }
  const pid_t child = static_cast<pid_t>(pid);
  [[maybe_unused]] ssize_t n = ::write(pid_fd, &child, sizeof child);
  ::_exit(0);
}

std::string describe(const ExecPlan& plan, const Process& process, const ChildError& e) {
  switch (e.stage) {
    case Stage::dumpable: return "making the new process non-dumpable";
    case Stage::cgroup: return "joining cgroup `" + plan.cgroup.task_dirs.at(static_cast<size_t>(e.index)) + "`";
    case Stage::setns: return "joining the container's namespaces";
    case Stage::fork: return "forking into the container's pid namespace";
    case Stage::sync: return "waiting for the parent";
    case Stage::terminal: return describe_terminal_step(e.index);
    case Stage::stdio: return "setting up fd " + std::to_string(e.index);
    case Stage::rlimit: return "setting rlimit " + std::to_string(e.index);
    case Stage::privileges: return describe_privilege_step(plan.privileges, static_cast<PrivilegeStep>(e.index));
    case Stage::chdir:
      if (e.err == EXDEV) return "working directory `" + plan.cwd + "` leads outside the container; refused";
      return "changing to working directory `" + plan.cwd + "`";
    case Stage::close_fds: return "closing inherited fds";
    case Stage::exec: return "executing `" + process.args[0] + "`";
  }
  return "an unknown step";
}

// How long the new process may take from clone to execve. Every step is
// ours and quick; what can make it wait forever is the container itself,
// whose root can SIGSTOP the process once it is in the pid namespace.
constexpr int kStartTimeoutMs = 10'000;

// read(2) that gives up at `deadline` (ETIMEDOUT): what it waits for comes
// from a process the container can stop.
ssize_t read_before(int fd, void* buf, size_t size, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return -1;
    if (ready == 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    const ssize_t n = ::read(fd, buf, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

Result<ExecPlan> make_plan(const Process& process, const Linux& linux, const ExecOptions& options, int pidfd) {
  ExecPlan plan;
  plan.target_pidfd = pidfd;
  for (const Namespace& ns : linux.namespaces) plan.ns_flags |= BRICK_TRY(namespace_flag(ns.type));
  if (!(plan.ns_flags & CLONE_NEWNS)) return fail("a container needs a mount namespace");
  // The container's own limits, as its PID 1 has them now.
  for (int resource = 0; resource < RLIM_NLIMITS; ++resource) {
    struct rlimit limit {};
    if (::prlimit(options.container_pid, static_cast<__rlimit_resource>(resource), nullptr, &limit) < 0)
      return fail_errno("reading the container's rlimits");
    plan.rlimits.push_back({resource, limit});
  }
  plan.privileges = BRICK_TRY(plan_privileges(process, linux));
  plan.cwd = process.cwd.empty() ? "/" : process.cwd;
  plan.target = BRICK_TRY(plan_exec(process));
  plan.cgroup = BRICK_TRY(open_cgroup_join(options.cgroup_dirs));
  plan.stdio[0] = options.stdin_fd;
  plan.terminal = process.terminal;
  plan.stdio[1] = options.stdout_fd;
  plan.stdio[2] = options.stderr_fd;
  if (plan.terminal && options.console_socket >= 0) {
    plan.console_socket = options.console_socket;
    plan.console_size = options.console_size;
  }
  return plan;
}

Result<ChildProcess> exec_impl(const Process& process, const Linux& linux, const ExecOptions& options) {
  if (options.container_pid <= 0) return fail("no container pid");
  UniqueFd own_pidfd;
  int pidfd = options.container_pidfd;
  if (pidfd < 0) {
    own_pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, options.container_pid, 0)));
    if (!own_pidfd) return fail_errno("opening a pidfd for container pid " + std::to_string(options.container_pid));
    pidfd = own_pidfd.get();
  }
  ExecPlan plan = BRICK_TRY(make_plan(process, linux, options, pidfd));

  int sync_pipe[2], error_pipe[2], pid_pipe[2];
  if (::pipe2(sync_pipe, O_CLOEXEC) < 0) return fail_errno("creating sync pipe");
  UniqueFd sync_read(sync_pipe[0]), sync_write(sync_pipe[1]);
  if (::pipe2(error_pipe, O_CLOEXEC) < 0) return fail_errno("creating error pipe");
  UniqueFd error_read(error_pipe[0]), error_write(error_pipe[1]);
  plan.shim = plan_shim_exec(plan.target, error_pipe[1], static_cast<int>(Stage::exec));
  if (::pipe2(pid_pipe, O_CLOEXEC) < 0) return fail_errno("creating pid pipe");
  UniqueFd pid_read(pid_pipe[0]), pid_write(pid_pipe[1]);

  struct clone_args args {};
  args.exit_signal = SIGCHLD;
  const long middle = clone_joining(args, plan.cgroup);
  if (middle < 0) return fail_errno("clone3");
  if (middle == 0) {
    ::close(sync_pipe[1]);
    ::close(error_pipe[0]);
    ::close(pid_pipe[0]);
    enter_and_fork(plan, sync_pipe[0], error_pipe[1], pid_pipe[1]);
  }
  sync_read.reset();
  error_write.reset();
  pid_write.reset();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
  pid_t pid = -1;
  ssize_t n = read_before(pid_read.get(), &pid, sizeof pid, deadline);
  const bool middle_late = n < 0 && errno == ETIMEDOUT;
  if (middle_late) ::kill(static_cast<pid_t>(middle), SIGKILL);
  int middle_status = 0;
  while (::waitpid(static_cast<pid_t>(middle), &middle_status, 0) < 0 && errno == EINTR) {
  }
  if (middle_late)
    return fail(
        Error("joining the container took longer than " + std::to_string(kStartTimeoutMs / 1000) + " s", ETIMEDOUT));
  ChildProcess child;
  if (n == static_cast<ssize_t>(sizeof pid)) {
    // Our child (CLONE_PARENT), not yet reaped: the pid cannot have been reused.
    UniqueFd child_pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!child_pidfd) {
      int saved = errno;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return fail(Error::from_errno("opening a pidfd for the new process", saved));
    }
    child = ChildProcess(pid, std::move(child_pidfd));
    BRICK_TRY(join_cgroup_late(plan.cgroup, pid));
    if (options.before_start) BRICK_TRY(options.before_start(child.pid()));
    const char go = 1;
    if (::write(sync_write.get(), &go, 1) != 1) return fail_errno("releasing the new process");
  }
  sync_write.reset();

  ChildError report{};
  n = read_before(error_read.get(), &report, sizeof report, deadline);
  if (n == 0 && child.running()) return child;
  if (n < 0 && errno == ETIMEDOUT) {
    // ChildProcess kills and reaps it on the way out.
    return fail(Error("the new process did not start within " + std::to_string(kStartTimeoutMs / 1000) +
                          " s (stopped from inside the container?); it was killed",
                      ETIMEDOUT));
  }
  if (n < 0) return fail_errno("reading the new process's report");
  if (n != static_cast<ssize_t>(sizeof report)) return fail(Error("the new process's report is truncated", EIO));
  if (child.running()) (void)child.wait();
  return fail(Error::from_errno(describe(plan, process, report), report.err));
}

}  // namespace

Result<ChildProcess> exec_in_container(const Process& process, const Linux& linux, const ExecOptions& options) {
  auto result = exec_impl(process, linux, options);
  if (!result) return fail(std::move(result.error()).context("exec in container"));
  return result;
}

}  // namespace brick::runtime
