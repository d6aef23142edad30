#include "runtime/container.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "runtime/cgroup_backend.hpp"
#include "runtime/events.hpp"
#include "runtime/monitor.hpp"

namespace brick::runtime {

namespace {

using nlohmann::json;

const struct {
  const char* name;
  int number;
} kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

Status read_all(int fd, std::string& out) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading from the monitor");
    if (n == 0) return {};
    out.append(buf, static_cast<size_t>(n));
  }
}

// Whether a monitor holds the container's lock right now.
bool monitor_alive(const ContainerStore& store, const std::string& id) {
  const std::string path = store.run_dir(id) + "/monitor.lock";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return false;
  return errno == EWOULDBLOCK;
}

constexpr int kRequestTimeoutSeconds = 30;

Result<json> request(const ContainerStore& store, const ContainerState& state, const json& req) {
  auto where = socket_address(store.run_dir(state.id), "monitor.sock");
  if (!where) return fail("container " + state.id + " is not running (no monitor directory)");
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, where->path.c_str(), where->path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("creating a socket");
  // A monitor answers at once, or within the bounded start of a probe
  // (runtime/exec.cpp): a wedged one must not hang `stop`, `rm -f` or `down`.
  const timeval limit{kRequestTimeoutSeconds, 0};
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) < 0 ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) < 0)
    return fail_errno("setting a timeout on the monitor's socket");
  const std::string no_answer =
      "the monitor of `" + state.name + "` did not answer within " + std::to_string(kRequestTimeoutSeconds) + " s";
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    if (errno == EAGAIN) return fail(Error(no_answer, ETIMEDOUT));
    return fail(Error::from_errno("container " + state.id + " is not running (its monitor does not answer)"));
  }
  std::string text = req.dump() + "\n";
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    if (errno == EAGAIN) return fail(Error(no_answer, ETIMEDOUT));
    return fail_errno("writing to the monitor of `" + state.name + "`");
  }
  ::shutdown(fd.get(), SHUT_WR);
  std::string reply;
  if (auto read = read_all(fd.get(), reply); !read) {
    if (read.error().errno_value() == EAGAIN) return fail(Error(no_answer, ETIMEDOUT));
    return fail(std::move(read).error());
  }
  json j = json::parse(reply, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("the monitor of `" + state.name + "` gave no answer");
  if (!j.value("ok", false)) return fail(j.value("error", std::string("the monitor refused")));
  return j;
}

// The record once its monitor, if one lives, is past setting up: a monitor
// whose container does not run yet is about to start it (or to exit), so
// stop and rm wait for that instead of acting on a record that is about to
// change behind them (a `down` racing an `up` that was killed mid-start).
Result<ContainerState> settled_state(const ContainerStore& store, const std::string& id) {
  for (int waited_ms = 0;; waited_ms += 50) {
    ContainerState state = BRICK_TRY(observe_container(store, id));
    if (state.running() || !monitor_alive(store, state.id) || waited_ms >= 60000) return state;
    ::usleep(50000);
  }
}

constexpr const char* kMonitorLost = "the monitor exited unexpectedly; the container still runs";

// Whether any process is left in the record's cgroup (cgroup.procs of any
// hierarchy: v1 lists its processes in each, v2 in its one directory).
bool cgroup_populated(const ContainerState& state) {
  for (const std::string& dir : state.cgroup_dirs) {
    auto pids = cgroup_fs::read_pids(cgroup_fs::join(dir, "cgroup.procs"));
    if (pids && !pids->empty()) return true;
  }
  return false;
}

// Sends `signal` where its monitor would for a container whose monitor is
// gone: to its PID 1 while that is still in the cgroup (the pid is not
// someone else's then), else to every process left there.
Status signal_orphan(const ContainerState& state, int signal) {
  for (const std::string& dir : state.cgroup_dirs) {
    auto pids = cgroup_fs::read_pids(cgroup_fs::join(dir, "cgroup.procs"));
    if (!pids || pids->empty()) continue;
    if (signal != SIGKILL && state.pid > 0 && std::find(pids->begin(), pids->end(), state.pid) != pids->end())
      return cgroup_fs::signal_pids({state.pid}, signal);
    return cgroup_fs::signal_pids(*pids, signal);
  }
  return {};
}

Result<ContainerState> running_state(const ContainerStore& store, const std::string& id) {
  ContainerState state = BRICK_TRY(observe_container(store, id));
  if (!state.running()) return fail("Container " + state.id + " is not running");
  return state;
}

}  // namespace

Status wait_monitor(const ContainerStore& store, const std::string& id);
Status stop_orphan(const ContainerStore& store, ContainerState state, int signal, int timeout);

bool monitor_running(const ContainerStore& store, const std::string& id) { return monitor_alive(store, id); }

Result<int> parse_signal(const std::string& text) {
  std::string s = text;
  if (s.empty()) return fail("empty signal");
  if (s.find_first_not_of("0123456789") == std::string::npos) {
    int n = std::atoi(s.c_str());
    if (n <= 0 || n > SIGRTMAX) return fail("invalid signal: " + text);
    return n;
  }
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (s.starts_with("SIG")) s.erase(0, 3);
  for (const auto& sig : kSignals)
    if (s == sig.name) return sig.number;
  if (s.starts_with("RTMIN")) {
    int off = s.size() > 6 && s[5] == '+' ? std::atoi(s.c_str() + 6) : 0;
    if (SIGRTMIN + off <= SIGRTMAX) return SIGRTMIN + off;
  }
  return fail("invalid signal: " + text);
}

Result<ContainerState> create_container(const ContainerStore& store, const CreateOptions& o) {
  ContainerState s;
  s.name = o.name;
  s.image = o.image;
  s.image_id = o.image_id;
  s.layers = o.layers;
  s.labels = o.labels;
  s.restart_policy = o.restart_policy;
  s.stop_signal = o.stop_signal;
  s.stop_timeout = o.stop_timeout;
  s.auto_remove = o.auto_remove;
  s.log_options = o.log_options;
  s.read_only_rootfs = o.spec.root.readonly;
  s.init = o.init;
  s.tty = o.tty;
  s.open_stdin = o.open_stdin;
  s.user = o.user;
  s.group_add = o.group_add;
  s.volume_flags = o.volume_flags;
  s.mount_flags = o.mount_flags;
  s.tmpfs_flags = o.tmpfs_flags;
  s.mount_base_dir = o.mount_base_dir;
  s.volumes = o.volumes;
  s.anonymous_volumes = o.anonymous_volumes;
  s.healthcheck = o.healthcheck;
  s.extensions = o.extensions;
  if (o.auto_remove && o.restart_policy.name != "no")
    return fail("conflicting options: cannot specify both --restart and --rm");
  BRICK_TRY(parse_signal(o.stop_signal));
  return const_cast<ContainerStore&>(store).create(s, o.spec);
}

Result<ContainerState> observe_container(const ContainerStore& store, const std::string& id) {
  ContainerState state = BRICK_TRY(store.find(id));
  if (!state.unreadable.empty()) {
    // Its monitor, if one lives, still knows it: stop and rm -f ask that one.
    if (monitor_alive(store, state.id)) state.status = ContainerStatus::running;
    return state;
  }
  if (!state.running() || monitor_alive(store, state.id)) return state;
  // A monitor that has just finished wrote its last word before it let go.
  if (auto again = store.load(state.id)) state = std::move(*again);
  if (!state.running()) return state;
  if (cgroup_populated(state)) {
    // The monitor was killed, not the container: its processes (no child of
    // anyone who waits for them) still run, and a start would run a second
    // copy beside them. It stays running; stop, kill and rm -f act on its
    // cgroup directly (monitor_lost()).
    if (state.monitor_pid != 0) {
      state.monitor_pid = 0;
      state.error = kMonitorLost;
      (void)store.save(state);
    }
    return state;
  }
  // The monitor died without recording the end (killed, host crash).
  state.status = ContainerStatus::exited;
  state.pid = 0;
  state.monitor_pid = 0;
  if (state.finished.empty()) state.finished = format_rfc3339_nanos(now_unix_nanos());
  if (state.error.empty() || state.error == kMonitorLost) state.error = "the monitor exited unexpectedly";
  (void)store.save(state);
  return state;
}

namespace {

// The monitor is started as docker's daemons are: a child makes a new
// session (no terminal signal reaches the monitor) and starts the monitor
// as its own child before it exits, so the monitor is no child of the CLI
// and, not a session leader, never gets a controlling terminal. Both share
// the CLI's memory until the exec (clone with CLONE_VM | CLONE_VFORK, as
// posix_spawn does): no copy of the CLI's page tables, and no copy-on-write
// faults in the CLI afterwards. They only make system calls on what is
// prepared here.
struct MonitorLaunch {
  static constexpr size_t kStack = size_t{64} * 1024;
  const char* exe = nullptr;
  char* const* argv = nullptr;
  int sources[5] = {};  // become kMonitorSyncFd ... kMonitorAttachInFd
  int null_fd = -1;
  sigset_t mask{};  // the caller's signal mask, the monitor's again
  alignas(64) char stack[2][kStack];
};

int exec_monitor(void* arg) {
  const auto* l = static_cast<const MonitorLaunch*>(arg);
  int high[5];
  for (int i = 0; i < 5; ++i) {
    high[i] = ::fcntl(l->sources[i], F_DUPFD_CLOEXEC, 10);
    if (high[i] < 0) ::_exit(125);
  }
  for (int i = 0; i < 5; ++i)
    if (::dup2(high[i], kMonitorSyncFd + i) < 0) ::_exit(125);
  for (int i = 0; i < 3; ++i)
    if (::dup2(l->null_fd, i) < 0) ::_exit(125);
  // Every other descriptor the CLI had stays behind.
  ::close_range(kMonitorAttachInFd + 1, ~0U, 0);
  // A handler of the CLI's must not run here, in its memory, between the
  // unblocking and the exec: back to the default first (as posix_spawn).
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa {};
    if (::sigaction(sig, nullptr, &sa) != 0 || sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN) continue;
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = 0;
    ::sigaction(sig, &sa, nullptr);
  }
  ::sigprocmask(SIG_SETMASK, &l->mask, nullptr);
  ::execv(l->exe, l->argv);
  const char msg[] = "125 executing the monitor failed\n";
  [[maybe_unused]] ssize_t n = ::write(kMonitorSyncFd, msg, sizeof msg - 1);
  ::_exit(125);
}

int detach_monitor(void* arg) {
  auto* l = static_cast<MonitorLaunch*>(arg);
  ::setsid();
  // Returns once the monitor has exec'd (or failed to): its report says which.
  pid_t pid = ::clone(exec_monitor, l->stack[1] + MonitorLaunch::kStack, CLONE_VM | CLONE_VFORK | SIGCHLD, l);
  ::_exit(pid < 0 ? 125 : 0);
}

}  // namespace

Result<StartResult> start_container(const ContainerStore& store, const std::string& id, const StartOptions& options) {
  // A container that has just exited may still have its monitor tearing
  // down (network, rootfs); a new monitor must wait for it, not fail.
  ContainerState state = BRICK_TRY(settled_state(store, id));
  if (!state.unreadable.empty())
    return fail("starting container `" + state.id + "`: its record is unreadable (" + state.unreadable +
                "): remove it with `rm -f`");
  if (monitor_lost(state))
    return fail("starting container `" + state.name +
                "`: it still runs without its monitor (killed): stop it or remove it with `rm -f` first");
  if (state.running()) return StartResult{};
  const std::string what = "starting container `" + state.name + "`";

  std::string exe = options.monitor_binary;
  if (exe.empty()) {
    char self[PATH_MAX];
    ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (len < 0) return fail(Error::from_errno("finding the brick binary").context(what));
    exe.assign(self, static_cast<size_t>(len));
  }
  const bool attach = options.attach_stdout >= 0 || options.attach_stderr >= 0;
  // Built before the clone: the processes below only dup, close and exec.
  std::vector<std::string> args = {exe,     "--root", store.root(), "--run-root", store.run_root(), "container-monitor",
                                   state.id};
  if (attach) args.push_back("--attach");
  if (options.attach_stdin >= 0) args.push_back("--attach-stdin");
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int sync[2], exitp[2];
  if (::pipe2(sync, O_CLOEXEC) < 0) return fail(Error::from_errno("creating a pipe").context(what));
  UniqueFd sync_r(sync[0]), sync_w(sync[1]);
  if (::pipe2(exitp, O_CLOEXEC) < 0) return fail(Error::from_errno("creating a pipe").context(what));
  UniqueFd exit_r(exitp[0]), exit_w(exitp[1]);
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return fail(Error::from_errno("opening /dev/null").context(what));
  auto launch = std::make_unique<MonitorLaunch>();
  launch->exe = exe.c_str();
  launch->argv = argv.data();
  launch->null_fd = null.get();
  const int sources[5] = {sync_w.get(), exit_w.get(),
                          attach && options.attach_stdout >= 0 ? options.attach_stdout : null.get(),
                          attach && options.attach_stderr >= 0 ? options.attach_stderr : null.get(),
                          options.attach_stdin >= 0 ? options.attach_stdin : null.get()};
  std::copy(std::begin(sources), std::end(sources), std::begin(launch->sources));
  // No handler of this process may run in the two that share its memory:
  // every signal waits until they are gone (the monitor gets the mask back).
  sigset_t all;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &launch->mask);
  pid_t pid =
      ::clone(detach_monitor, launch->stack[0] + MonitorLaunch::kStack, CLONE_VM | CLONE_VFORK | SIGCHLD, launch.get());
  const int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &launch->mask, nullptr);
  if (pid < 0) return fail(Error::from_errno("starting the monitor", clone_errno).context(what));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sync_w.reset();
  exit_w.reset();

  std::string report;
  BRICK_TRY_CTX(read_all(sync_r.get(), report), what);
  if (report.empty()) return fail(Error("the monitor exited without a report").context(what));
  StartResult result;
  size_t space = report.find(' ');
  result.code = std::atoi(report.substr(0, space).c_str());
  if (space != std::string::npos) {
    result.error = report.substr(space + 1);
    while (!result.error.empty() && result.error.back() == '\n') result.error.pop_back();
  }
  if (result.code == 0) result.exit_fd = std::move(exit_r);
  return result;
}

Result<int> read_exit_code(const ContainerStore& store, const std::string& id, int exit_fd) {
  // The monitor writes the code once the container is gone (removed, for
  // --rm): one line. Its own exit (destructors, unmapping) is not waited for.
  std::string text;
  char buf[64];
  while (text.find('\n') == std::string::npos) {
    ssize_t n = ::read(exit_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading from the monitor");
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  if (!text.empty()) return std::atoi(text.c_str());
  ContainerState state = BRICK_TRY(observe_container(store, id));
  return state.exit_code;
}

Status stop_container(const ContainerStore& store, const std::string& id, int signal, std::optional<int> timeout) {
  ContainerState state = BRICK_TRY(settled_state(store, id));
  if (!state.running()) return {};  // docker: stopping a stopped container succeeds
  if (signal == 0) signal = BRICK_TRY(parse_signal(state.stop_signal));
  if (monitor_lost(state)) {
    BRICK_TRY_CTX(stop_orphan(store, state, signal, timeout.value_or(state.stop_timeout)), "stopping `" + id + "`");
    record_event(store.run_root(), state, "stop");
    return {};
  }
  json req = {{"op", "stop"}, {"signal", signal}, {"timeout", timeout.value_or(state.stop_timeout)}};
  auto reply = request(store, state, req);
  // The monitor may have finished between our look and our request.
  if (!reply && monitor_alive(store, state.id)) return fail(std::move(reply).error().context("stopping `" + id + "`"));
  BRICK_TRY(wait_monitor(store, state.id));
  // docker's order: kill and die come from the monitor, stop once it is down.
  record_event(store.run_root(), state, "stop");
  return {};
}

Status kill_container(const ContainerStore& store, const std::string& id, int signal) {
  ContainerState state = BRICK_TRY(running_state(store, id));
  if (monitor_lost(state)) return signal_orphan(state, signal);
  BRICK_TRY(request(store, state, {{"op", "kill"}, {"signal", signal}}));
  return {};
}

Status resize_terminal(const ContainerStore& store, const std::string& id, int rows, int cols) {
  ContainerState state = BRICK_TRY(store.find(id));
  BRICK_TRY(request(store, state, {{"op", "resize"}, {"rows", rows}, {"cols", cols}}));
  return {};
}

Status pause_container(const ContainerStore& store, const std::string& id) {
  ContainerState state = BRICK_TRY(running_state(store, id));
  BRICK_TRY(request(store, state, {{"op", "pause"}}));
  return {};
}

Status unpause_container(const ContainerStore& store, const std::string& id) {
  ContainerState state = BRICK_TRY(running_state(store, id));
  BRICK_TRY(request(store, state, {{"op", "unpause"}}));
  return {};
}

Result<ContainerStats> container_stats(const ContainerStore& store, const std::string& id) {
  ContainerState state = BRICK_TRY(running_state(store, id));
  json j = BRICK_TRY(request(store, state, {{"op", "stats"}}));
  ContainerStats s;
  s.memory = j.value("memory", uint64_t{0});
  s.memory_limit = j.value("memory_limit", uint64_t{0});
  s.pids = j.value("pids", uint64_t{0});
  s.cpu_ns = j.value("cpu_ns", uint64_t{0});
  return s;
}

// Blocks until the monitor of `id` (a full id) is gone: it holds this lock
// for its whole life. No lock file: no monitor ever ran or it is long gone.
Status wait_monitor(const ContainerStore& store, const std::string& id) {
  const std::string path = store.run_dir(id) + "/monitor.lock";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  while (::flock(fd.get(), LOCK_SH) < 0)
    if (errno != EINTR) return fail_errno("waiting for container `" + id + "`");
  return {};
}

Result<int> wait_container(const ContainerStore& store, const std::string& id) {
  ContainerState state = BRICK_TRY(store.find(id));
  BRICK_TRY(wait_monitor(store, state.id));
  auto after = store.load(state.id);
  if (!after) return state.exit_code;  // removed (--rm): the last code we saw
  return after->exit_code;
}

// A monitor killed while its container ran leaves the container's
// processes and cgroup behind (nothing else is their parent): they go with
// the record. Killing the pid namespace's init takes the rest of it along.
Status reap_orphaned_cgroup(const ContainerState& state) {
  // A frozen process does not die of SIGKILL until it is thawed.
  for (const std::string& dir : state.cgroup_dirs) {
    if (cgroup_fs::exists(cgroup_fs::join(dir, "freezer.state")))
      (void)cgroup_fs::write(cgroup_fs::join(dir, "freezer.state"), "THAWED");
    if (cgroup_fs::exists(cgroup_fs::join(dir, "cgroup.freeze")))
      (void)cgroup_fs::write(cgroup_fs::join(dir, "cgroup.freeze"), "0");
  }
  for (int round = 0; round < 250; ++round) {
    bool any = false;
    for (const std::string& dir : state.cgroup_dirs) {
      auto pids = cgroup_fs::read_pids(dir + "/cgroup.procs");
      if (!pids || pids->empty()) continue;
      any = true;
      (void)cgroup_fs::signal_pids(*pids, SIGKILL);
    }
    if (!any) break;
    cgroup_fs::pause_briefly();
  }
  for (const std::string& dir : state.cgroup_dirs) {
    BRICK_TRY_CTX(cgroup_fs::remove_tree(dir), "removing container `" + state.name + "`");
    // Its parent ("brick") too once empty, as the monitor's destroy does.
    cgroup_fs::remove_empty_parents(dir, 1);
  }
  return {};
}

// stop for a container whose monitor was killed: the signal, the grace
// period and the SIGKILL of everything left in its cgroup come from here,
// and the record is closed as its monitor would have closed it (its
// network is given back by `rm`, as for any record whose monitor died).
Status stop_orphan(const ContainerStore& store, ContainerState state, int signal, int timeout) {
  BRICK_TRY(signal_orphan(state, signal));
  for (int waited_ms = 0; cgroup_populated(state) && waited_ms < timeout * 1000; waited_ms += 50) ::usleep(50000);
  const bool killed = cgroup_populated(state);
  BRICK_TRY(reap_orphaned_cgroup(state));
  const std::string rootfs = store.dir(state.id) + "/rootfs";
  if (::umount2(rootfs.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return fail_errno("unmounting `" + rootfs + "`");
  // Its real exit status went to no one: the signal that ended it stands in.
  state.exit_code = 128 + (killed ? SIGKILL : signal);
  state.status = ContainerStatus::exited;
  state.pid = 0;
  state.finished = format_rfc3339_nanos(now_unix_nanos());
  state.cgroup_dirs.clear();
  state.stopped_by_user = true;
  return store.save(state);
}

Status remove_container(const ContainerStore& store, const std::string& id, bool force) {
  ContainerState state = BRICK_TRY(settled_state(store, id));
  if (state.running()) {
    if (!force)
      return fail("cannot remove container \"/" + state.name + "\": container is " +
                  std::string(to_string(state.status)) + ": stop the container before removing or force remove");
    BRICK_TRY(stop_container(store, state.id, SIGKILL, 0));
  }
  BRICK_TRY(wait_monitor(store, state.id));
  if (!state.cgroup_dirs.empty()) BRICK_TRY(reap_orphaned_cgroup(state));
  return store.remove(state.id);
}

}  // namespace brick::runtime
