#include "runtime/monitor.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/file.hpp"
#include "base/openat2.hpp"
#include "base/resident.hpp"
#include "base/strings.hpp"
#include "images/rootfs.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/container.hpp"
#include "runtime/container_store.hpp"
#include "runtime/events.hpp"
#include "runtime/exec.hpp"
#include "runtime/health.hpp"
#include "runtime/hooks.hpp"
#include "runtime/log_file.hpp"
#include "runtime/pty.hpp"
#include "runtime/spawn.hpp"
#include "runtime/user.hpp"

namespace brick::runtime {

namespace {

using nlohmann::json;

constexpr int64_t kMs = 1000000;
// docker's restart manager: 100 ms, doubling, reset once a run lasted 10 s.
constexpr int64_t kBackoffStart = 100 * kMs;
constexpr int64_t kBackoffResetAfter = 10000 * kMs;
// How long a container must have run before the monitor gives back its
// start-up pages: one that ends sooner (`run --rm ... true`) is not kept
// waiting for the madvise calls and their TLB flushes.
constexpr int64_t kReleaseAfter = 1000 * kMs;

void write_text(int fd, const std::string& text) {
  if (fd < 0) return;
  std::string_view rest = text;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

// docker's exit codes for a start that failed: the exec step's errno tells
// "not found" (127) from "found but not executable" (126); any other step is
// brick's own failure (125).
int start_failure_code(const Error& e) {
  if (!e.innermost().starts_with("executing `")) return 125;
  if (e.errno_value() == ENOENT || e.errno_value() == ENOTDIR) return 127;
  return 126;
}

int64_t monotonic_nanos() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void arm(int timer_fd, int64_t nanos) {
  struct itimerspec its {};
  if (nanos > 0) {
    its.it_value.tv_sec = nanos / 1000000000;
    its.it_value.tv_nsec = nanos % 1000000000;
  }
  ::timerfd_settime(timer_fd, 0, &its, nullptr);
}

// How many times the kernel's OOM killer acted in this cgroup: v1's
// memory.oom_control and v2's memory.events both carry `oom_kill N`.
uint64_t oom_kills(const Cgroup& cgroup) {
  std::string dir = cgroup.directory("memory");
  if (dir.empty()) return 0;
  for (const char* file : {"memory.oom_control", "memory.events"}) {
    auto text = read_file(dir + "/" + file);
    if (!text) continue;
    for (const std::string& line : split(*text, '\n'))
      if (line.starts_with("oom_kill ")) return std::strtoull(line.c_str() + 9, nullptr, 10);
  }
  return 0;
}

class Monitor {
 public:
  Monitor(const MonitorArgs& args, ContainerStore store, ContainerState state, ContainerSpec spec)
      : args_(args), store_(std::move(store)), state_(std::move(state)), spec_(std::move(spec)) {}

  int run();

 private:
  Status setup();
  // One run of the container: spawn, pump output, serve requests, reap.
  Status start_once();
  void serve_until_exit();
  void finish_run(ExitStatus status);
  bool should_restart() const;
  bool wait_backoff(int64_t delay);
  void teardown();
  void save();
  void pump(int index);
  void serve_client(int listen_fd);
  json handle(const json& request);
  void report_start(int code, const std::string& message);
  void event(const std::string& action, const std::map<std::string, std::string>& extra = {}) const {
    record_event(store_.run_root(), state_, action, extra);
  }
  // The container's stdin: a terminal (-t), the attached CLI's input (-i),
  // a pipe nobody writes (-i, detached) or /dev/null. Sets the fds to give spawn.
  // `console`: with -t, where the container will send its terminal's master.
  Status open_stdio(SpawnOptions& options, UniqueFd& child_end, UniqueFd& out_w, UniqueFd& err_w, UniqueFd& console);
  void forward_stdin();
  // Healthchecks: one probe at a time, run inside the container.
  int poll_timeout_ms() const;
  void health_tick();
  void start_probe();
  void read_probe_output();
  void finish_probe(bool timed_out);
  bool in_start_period() const;
  std::string state_for_hooks(const char* status, pid_t pid) const {
    return hook_state(spec_.oci_version, state_.id, status, pid, bundle_);
  }

  MonitorArgs args_;
  ContainerStore store_;
  ContainerState state_;
  ContainerSpec spec_;
  std::optional<FileLock> lock_;
  std::string bundle_;    // with hooks: the run directory, holding their config.json
  bool started_ = false;  // the container ran at least once (poststop hooks)
  std::optional<images::MountGuard> rootfs_;
  std::optional<CgroupLayout> layout_;
  std::optional<Cgroup> cgroup_;
  std::optional<LogWriter> log_;
  ChildProcess child_;
  UniqueFd out_[2];  // read ends of the container's stdout and stderr
  UniqueFd listen_, timer_, null_;
  UniqueFd pty_master_;  // -t: the terminal's master side, while a run lasts
  UniqueFd stdin_hold_;  // -i without an attached CLI: the write end, never written
  int attach_in_ = -1;   // --attach-stdin: the CLI's input
  int sync_fd_ = kMonitorSyncFd;
  int attach_[2] = {-1, -1};
  bool stop_requested_ = false;
  bool killed_after_grace_ = false;
  int64_t run_started_ = 0;
  int64_t backoff_ = kBackoffStart;
  std::optional<HealthTiming> health_;
  std::vector<std::string> probe_args_;
  ChildProcess probe_;
  UniqueFd probe_out_;
  std::string probe_output_;
  std::string probe_error_;     // why the last probe could not start
  int64_t probe_started_ = 0;   // unix ns, for the log
  int64_t probe_deadline_ = 0;  // monotonic ns: the probe's timeout
  int64_t next_probe_ = 0;      // monotonic ns: when the next probe runs
  int64_t run_started_mono_ = 0;
  int64_t release_at_ = 0;  // monotonic ns: when to give back the start-up pages (0: done)
};

void Monitor::save() {
  // An auto-removed (--rm) container's record goes when it exits: its
  // states must be seen by readers, not survive a host crash (after one,
  // the record shows a dead monitor and `rm` clears it). Four fsyncs fewer
  // per `run --rm`.
  if (auto s = store_.save(state_, !state_.auto_remove); !s) {
    // Nowhere to report but the record itself; keep running the container.
    state_.error = s.error().message();
  }
}

void Monitor::report_start(int code, const std::string& message) {
  if (sync_fd_ < 0) return;
  write_text(sync_fd_, std::to_string(code) + (message.empty() ? "" : " " + message) + "\n");
  ::close(sync_fd_);
  sync_fd_ = -1;
}

Status Monitor::setup() {
  const std::string run_dir = store_.run_dir(state_.id);
  if (::mkdir(run_dir.c_str(), 0700) < 0 && errno != EEXIST) return fail_errno("creating `" + run_dir + "`");
  auto lock = FileLock::try_acquire(run_dir + "/monitor.lock");
  if (!lock) return fail("container `" + state_.name + "` already has a monitor");
  lock_.emplace(std::move(*lock));

  null_ = UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_) return fail_errno("opening /dev/null");
  timer_ = UniqueFd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer_) return fail_errno("creating a timer");

  const std::string sock_path = run_dir + "/monitor.sock";
  SocketAddress where = BRICK_TRY(socket_address(run_dir, "monitor.sock"));
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, where.path.c_str(), where.path.size() + 1);
  ::unlink(sock_path.c_str());
  listen_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listen_) return fail_errno("creating the monitor socket");
  if (::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(listen_.get(), 16) < 0)
    return fail_errno("listening on `" + sock_path + "`");

  layout_ = BRICK_TRY(detect_host_cgroup_layout());
  images::ImageInfo image;
  image.name = state_.image;
  image.layer_dirs = state_.layers;
  // Always with an upper layer, as docker does: mount points the image lacks
  // (a volume's target, /proc in a bare image) are made there, and spawn
  // remounts the root read-only after the mounts (spec root.readonly).
  // An auto-removed container's upper layer goes with it: never synced, so
  // its unmount does not flush the whole host filesystem (after a host crash
  // the record shows a dead monitor and `rm` removes the layer). A restart
  // mounts the same upper again, which overlayfs refuses after `volatile`.
  const bool throwaway =
      state_.auto_remove && (state_.restart_policy.name.empty() || state_.restart_policy.name == "no");
  rootfs_ = BRICK_TRY(images::prepare_rootfs(
      image, store_.dir(state_.id), false, throwaway ? images::UpperSync::volatile_upper : images::UpperSync::durable));
  spec_.root.path = store_.dir(state_.id) + "/rootfs";
  // docker's default hostname: the short id, known only once the record exists.
  if (spec_.hostname.empty() && spec_.has_namespace("uts")) spec_.hostname = state_.id.substr(0, 12);
  spec_.root.readonly = spec_.root.readonly || state_.read_only_rootfs;
  // docker creates a missing working directory; beneath the rootfs, so a
  // symlink in the image cannot point it elsewhere.
  if (!spec_.process.cwd.empty() && spec_.process.cwd != "/") {
    UniqueFd root(::open(spec_.root.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return fail_errno("opening rootfs `" + spec_.root.path + "`");
    BRICK_TRY_CTX(mkdir_beneath(root.get(), spec_.process.cwd),
                  "creating working directory `" + spec_.process.cwd + "`");
  }
  // `-u NAME[:GROUP]` and --group-add: names only the image's files know.
  if (!state_.user.empty() || !state_.group_add.empty()) BRICK_TRY(apply_user(spec_, state_.user, state_.group_add));
  if (state_.healthcheck) {
    probe_args_ = BRICK_TRY_CTX(probe_args(state_.healthcheck->test), "the container's healthcheck");
    health_ = health_timing(*state_.healthcheck);
  }
  if (args_.prepare) {
    // Recorded before the container starts only when it changed (a network
    // address, an anonymous volume): what a later `rm` must undo.
    const std::string before = state_to_json(state_);
    BRICK_TRY(args_.prepare(state_, spec_));
    if (state_to_json(state_) != before) save();
  }
  log_ = BRICK_TRY(LogWriter::open(state_.log_path, state_.log_options));
  // The hooks' bundle: the spec as it runs (rootfs, devices, the network
  // namespace prepare joined) in the run directory, not the stored
  // config.json, which the next start builds from again.
  if (!spec_.hooks.empty()) {
    bundle_ = run_dir;
    BRICK_TRY_CTX(write_file_atomic(run_dir + "/config.json", spec_to_json(spec_), 0600), "writing the hooks' bundle");
  }
  return {};
}

Status Monitor::start_once() {
  UniqueFd child_end, out_w, err_w, console;
  SpawnOptions options;
  BRICK_TRY(open_stdio(options, child_end, out_w, err_w, console));

  std::string cgroup_path = spec_.linux.cgroups_path.empty() ? "brick/" + state_.id : spec_.linux.cgroups_path;
  Cgroup cgroup = BRICK_TRY(Cgroup::create(*layout_, cgroup_path, spec_.linux.resources));
  options.cgroup = &cgroup;
  options.init = state_.init;
  options.id = state_.id;
  options.bundle = bundle_;
  ChildProcess child = BRICK_TRY(spawn_container(spec_, options));
  if (console) {
    auto master = receive_terminal(console.get());
    if (!master) return fail(std::move(master).error());  // `child` kills and reaps the container
    out_[0] = UniqueFd(::fcntl(master->get(), F_DUPFD_CLOEXEC, 3));
    if (!out_[0]) return fail_errno("duplicating the terminal");
    pty_master_ = std::move(*master);
  }
  // The container holds its ends now: EOF (EIO for a terminal) comes when it is done.
  child_end.reset();
  out_w.reset();
  err_w.reset();
  for (UniqueFd& out : out_)
    if (out) ::fcntl(out.get(), F_SETFL, O_NONBLOCK);
  child_ = std::move(child);
  started_ = true;
  cgroup_.emplace(std::move(cgroup));
  run_started_ = now_unix_nanos();
  state_.status = ContainerStatus::running;
  state_.pid = child_.pid();
  state_.started = format_rfc3339_nanos(run_started_);
  state_.finished.clear();
  state_.exit_code = 0;
  state_.oom_killed = false;
  state_.error.clear();
  state_.cgroup_dirs = cgroup_->directories();
  run_started_mono_ = monotonic_nanos();
  if (health_) {
    // Every run starts over, as docker's does.
    state_.health = Health{"starting", 0, {}};
    next_probe_ = run_started_mono_ + next_probe_delay(*state_.health, *health_, true);
  }
  save();
  event("start");
  // OCI: a failing poststart hook is a warning, not a failed start; the
  // record's error says it.
  if (auto s = run_hooks(spec_.hooks.poststart, "poststart", state_for_hooks("running", child_.pid())); !s) {
    state_.error = s.error().message();
    save();
  }
  return {};
}

bool Monitor::in_start_period() const {
  return health_ && monotonic_nanos() - run_started_mono_ < health_->start_period_ns;
}

// Until the next health event (a probe due, a probe's timeout), or forever.
int Monitor::poll_timeout_ms() const {
  if (!health_ || !child_.running()) return -1;
  int64_t at = probe_.running() ? probe_deadline_ : next_probe_;
  int64_t left = at - monotonic_nanos();
  return left <= 0 ? 0 : static_cast<int>(left / kMs) + 1;
}

void Monitor::health_tick() {
  if (!health_ || !child_.running()) return;
  int64_t now = monotonic_nanos();
  if (probe_.running()) {
    if (now >= probe_deadline_) {
      (void)probe_.kill(SIGKILL);
      finish_probe(true);
    }
  } else if (now >= next_probe_ && state_.status == ContainerStatus::running) {
    start_probe();
  }
}

void Monitor::start_probe() {
  probe_output_.clear();
  probe_error_.clear();
  probe_started_ = now_unix_nanos();
  probe_deadline_ = monotonic_nanos() + health_->timeout_ns;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) {
    probe_error_ = "creating the healthcheck's pipe: " + std::string(std::strerror(errno));
    finish_probe(false);
    return;
  }
  UniqueFd r(p[0]), w(p[1]);
  Process process = spec_.process;
  process.args = probe_args_;
  process.terminal = false;
  ExecOptions options;
  options.container_pid = child_.pid();
  options.container_pidfd = child_.pidfd();
  options.stdin_fd = null_.get();
  options.stdout_fd = w.get();
  options.stderr_fd = w.get();
  if (cgroup_) options.cgroup_dirs = cgroup_->directories();
  auto probe = exec_in_container(process, spec_.linux, options);
  if (!probe) {
    probe_error_ = probe.error().message();
    finish_probe(false);
    return;
  }
  ::fcntl(r.get(), F_SETFL, O_NONBLOCK);
  probe_ = std::move(*probe);
  probe_out_ = std::move(r);
}

void Monitor::read_probe_output() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(probe_out_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) probe_out_.reset();
    if (n <= 0) return;
    if (probe_output_.size() < kHealthOutputBytes) probe_output_.append(buf, static_cast<size_t>(n));
  }
}

void Monitor::finish_probe(bool timed_out) {
  int code = -1;
  if (probe_.running()) {
    auto status = probe_.wait();
    if (status && !timed_out) code = status->exit_code();
  }
  if (probe_out_) read_probe_output();
  probe_out_.reset();
  std::string output = probe_output_;
  if (timed_out)
    output = "Health check exceeded timeout (" + std::to_string(health_->timeout_ns / 1000000000) + "s)";
  else if (!probe_error_.empty())
    output = probe_error_;
  HealthResult result{format_rfc3339_nanos(probe_started_), format_rfc3339_nanos(now_unix_nanos()), code, output};
  if (!state_.health) state_.health = Health{"starting", 0, {}};
  const bool starting = in_start_period();
  const std::string before = state_.health->status;
  record_probe(*state_.health, std::move(result), starting, health_->retries);
  next_probe_ = monotonic_nanos() + next_probe_delay(*state_.health, *health_, in_start_period());
  save();
  // docker's event comes with each change of status, not with each probe.
  if (state_.health->status != before) event("health_status: " + state_.health->status);
}

Status Monitor::open_stdio(SpawnOptions& options, UniqueFd& child_end, UniqueFd& out_w, UniqueFd& err_w,
                           UniqueFd& console) {
  if (state_.tty) {
    // The container makes its terminal from its own devpts and sends the
    // master back (received once spawn returns); it starts at the attached
    // CLI's window size: its stdin's, else (run -t without -i) its stdout's
    // or stderr's, whichever is a terminal.
    ConsoleSocket pair = BRICK_TRY(make_console_socket());
    console = std::move(pair.ours);
    child_end = std::move(pair.theirs);
    options.console_socket = child_end.get();
    for (int fd : {attach_in_, attach_[0], attach_[1]})
      if (fd >= 0 && ::ioctl(fd, TIOCGWINSZ, &options.console_size) == 0) break;
    return {};
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return fail_errno("creating the stdout pipe");
  out_[0] = UniqueFd(p[0]), out_w = UniqueFd(p[1]);
  if (::pipe2(p, O_CLOEXEC) < 0) return fail_errno("creating the stderr pipe");
  out_[1] = UniqueFd(p[0]), err_w = UniqueFd(p[1]);
  options.stdout_fd = out_w.get();
  options.stderr_fd = err_w.get();
  options.stdin_fd = null_.get();
  if (attach_in_ >= 0) {
    options.stdin_fd = attach_in_;
  } else if (state_.open_stdin) {
    if (::pipe2(p, O_CLOEXEC) < 0) return fail_errno("creating the stdin pipe");
    child_end = UniqueFd(p[0]), stdin_hold_ = UniqueFd(p[1]);
    options.stdin_fd = child_end.get();
  }
  return {};
}

// -t with an attached CLI: its input goes into the terminal (raw: the
// terminal's line discipline turns ^C into SIGINT for the container).
void Monitor::forward_stdin() {
  char buf[4096];
  ssize_t n = ::read(attach_in_, buf, sizeof buf);
  if (n < 0 && errno == EINTR) return;
  if (n <= 0) {
    attach_in_ = -1;  // the CLI's input ended or went away
    return;
  }
  if (pty_master_) write_text(pty_master_.get(), std::string(buf, static_cast<size_t>(n)));
}

void Monitor::pump(int index) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(out_[index].get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EIO) n = 0;  // a terminal whose other side is all closed
    if (n < 0) return;                 // EAGAIN: drained for now
    if (n == 0) {
      (void)log_->flush(index, now_unix_nanos());
      out_[index].reset();
      return;
    }
    (void)log_->write(index, std::string_view(buf, static_cast<size_t>(n)), now_unix_nanos());
    if (attach_[index] >= 0) {
      std::string_view rest(buf, static_cast<size_t>(n));
      while (!rest.empty()) {
        ssize_t w = ::write(attach_[index], rest.data(), rest.size());
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {  // the attached CLI went away: keep logging, stop copying
          attach_[index] = -1;
          break;
        }
        rest.remove_prefix(static_cast<size_t>(w));
      }
    }
  }
}

json Monitor::handle(const json& request) {
  const std::string op = request.value("op", "");
  auto error = [](const std::string& what) { return json{{"ok", false}, {"error", what}}; };
  if (op == "stop" || op == "kill") {
    int signal = request.value("signal", op == "stop" ? SIGTERM : SIGKILL);
    stop_requested_ = true;
    state_.stopped_by_user = true;
    save();
    if (child_.running()) {
      // A frozen process cannot act on its signal; docker thaws first too.
      if (state_.status == ContainerStatus::paused && cgroup_) {
        (void)cgroup_->thaw();
        state_.status = ContainerStatus::running;
      }
      if (auto s = child_.kill(signal); !s) return error(s.error().message());
      event("kill", {{"signal", std::to_string(signal)}});
      if (op == "stop") {
        int timeout = request.value("timeout", state_.stop_timeout);
        if (signal == SIGKILL || timeout <= 0)
          (void)cgroup_->kill_all(SIGKILL);
        else
          arm(timer_.get(), static_cast<int64_t>(timeout) * 1000000000);
      }
    }
    return {{"ok", true}};
  }
  if (op == "pause" || op == "unpause") {
    if (!child_.running() || !cgroup_) return error("container " + state_.id + " is not running");
    bool pause = op == "pause";
    if (pause && state_.status == ContainerStatus::paused)
      return error("container " + state_.id + " is already paused");
    if (!pause && state_.status != ContainerStatus::paused) return error("container " + state_.id + " is not paused");
    if (auto s = pause ? cgroup_->freeze() : cgroup_->thaw(); !s) return error(s.error().message());
    state_.status = pause ? ContainerStatus::paused : ContainerStatus::running;
    save();
    event(op);
    return {{"ok", true}};
  }
  if (op == "resize") {
    if (!pty_master_) return error("container " + state_.id + " has no terminal");
    struct winsize ws {};
    ws.ws_row = static_cast<unsigned short>(request.value("rows", 24));
    ws.ws_col = static_cast<unsigned short>(request.value("cols", 80));
    if (::ioctl(pty_master_.get(), TIOCSWINSZ, &ws) < 0) return error(std::strerror(errno));
    return {{"ok", true}};
  }
  if (op == "stats") {
    if (!cgroup_) return error("container " + state_.id + " is not running");
    auto stats = cgroup_->stats();
    if (!stats) return error(stats.error().message());
    int64_t limit = spec_.linux.resources.memory_limit.value_or(-1);
    return {{"ok", true},
            {"memory", stats->memory_usage},
            {"memory_limit", limit > 0 ? limit : 0},
            {"pids", stats->pids_current},
            {"cpu_ns", stats->cpu_usage_ns}};
  }
  return error("unknown request `" + op + "`");
}

void Monitor::serve_client(int listen_fd) {
  UniqueFd client(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!client) return;
  // A client sends its one request at once; do not let a silent one stall
  // the output pump for long.
  struct timeval tv {
    1, 0
  };
  ::setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string text;
  char buf[4096];
  while (text.find('\n') == std::string::npos && text.size() < 65536) {
    ssize_t n = ::read(client.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  json request = json::parse(text, nullptr, false);
  json reply = request.is_object() ? handle(request) : json{{"ok", false}, {"error", "not a JSON request"}};
  write_text(client.get(), reply.dump() + "\n");
}

void Monitor::serve_until_exit() {
  for (;;) {
    struct pollfd fds[8] = {};
    fds[0] = {out_[0].get(), POLLIN, 0};
    fds[1] = {out_[1].get(), POLLIN, 0};
    fds[2] = {child_.running() ? child_.pidfd() : -1, POLLIN, 0};
    fds[3] = {listen_.get(), POLLIN, 0};
    fds[4] = {timer_.get(), POLLIN, 0};
    fds[5] = {probe_.running() ? probe_.pidfd() : -1, POLLIN, 0};
    fds[6] = {probe_out_.get(), POLLIN, 0};
    fds[7] = {state_.tty && child_.running() ? attach_in_ : -1, POLLIN, 0};
    // Once the process is gone, wait for the last output only briefly: a
    // daemonized grandchild outside the pid namespace cannot exist, but a
    // pipe can stay open in a process that is being torn down.
    int timeout = child_.running() ? poll_timeout_ms() : 2000;
    if (release_at_ != 0) {
      int64_t left = release_at_ - monotonic_nanos();
      int ms = left <= 0 ? 0 : static_cast<int>(left / kMs) + 1;
      timeout = timeout < 0 ? ms : std::min(timeout, ms);
    }
    if (!child_.running() && !out_[0] && !out_[1]) return;
    int n = ::poll(fds, 8, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && !child_.running()) return;
    if (release_at_ != 0 && monotonic_nanos() >= release_at_) {
      release_at_ = 0;
      // What setup parsed and built (the CLI, the spec, the rootfs plan) is
      // freed by now; give the heap back, and the start-up code's pages: the
      // monitor lives long, and its loop touches little of either.
      (void)release_file_pages();
      ::malloc_trim(0);
    }
    if (fds[6].revents) read_probe_output();
    if (fds[7].revents) forward_stdin();
    if (probe_.running() && (fds[5].revents & POLLIN)) finish_probe(false);
    health_tick();
    for (int i = 0; i < 2; ++i)
      if (fds[i].revents) pump(i);
    if (fds[3].revents & POLLIN) serve_client(listen_.get());
    if (fds[4].revents & POLLIN) {
      uint64_t ticks;
      [[maybe_unused]] ssize_t r = ::read(timer_.get(), &ticks, sizeof ticks);
      // The grace period is over: everything in the cgroup goes.
      if (child_.running() && cgroup_) {
        killed_after_grace_ = true;
        (void)cgroup_->kill_all(SIGKILL);
      }
    }
    if (child_.running() && (fds[2].revents & POLLIN)) {
      auto status = child_.wait();
      finish_run(status ? *status : ExitStatus{255, 0});
    }
  }
}

void Monitor::finish_run(ExitStatus status) {
  arm(timer_.get(), 0);
  // A probe still running goes with the container (the destructor kills and reaps).
  probe_ = ChildProcess();
  probe_out_.reset();
  pty_master_.reset();
  state_.exit_code = status.exit_code();
  state_.finished = format_rfc3339_nanos(now_unix_nanos());
  state_.pid = 0;
  state_.status = ContainerStatus::exited;
  if (cgroup_) {
    state_.oom_killed = oom_kills(*cgroup_) > 0;
    // What the pid namespace's teardown left (nothing, normally) goes now.
    if (auto s = cgroup_->destroy(); !s) state_.error = s.error().message();
    cgroup_.reset();
  }
  state_.cgroup_dirs.clear();
  save();
  if (state_.oom_killed) event("oom");
  event("die", {{"exitCode", std::to_string(state_.exit_code)}});
}

bool Monitor::should_restart() const {
  if (stop_requested_ || state_.stopped_by_user) return false;
  const RestartPolicy& p = state_.restart_policy;
  if (p.name == "always" || p.name == "unless-stopped") return true;
  if (p.name == "on-failure")
    return state_.exit_code != 0 && (p.max_retries == 0 || state_.restart_count < p.max_retries);
  return false;
}

// Sleeps `delay` while still answering requests; false when a stop came.
bool Monitor::wait_backoff(int64_t delay) {
  const int64_t until = now_unix_nanos() + delay;
  for (;;) {
    if (stop_requested_) return false;
    int64_t left = until - now_unix_nanos();
    if (left <= 0) return true;
    struct pollfd fd = {listen_.get(), POLLIN, 0};
    int n = ::poll(&fd, 1, static_cast<int>(left / kMs) + 1);
    if (n > 0) serve_client(listen_.get());
  }
}

void Monitor::teardown() {
  // Also after a failed setup: the hook undoes whatever part of `prepare` ran.
  if (args_.finished) args_.finished(state_);
  if (rootfs_) {
    if (auto s = rootfs_->unmount(); !s) state_.error = s.error().message();
    rootfs_.reset();
  }
  // OCI: poststop once the container is gone, after it ran at least once; a
  // failure is a warning in the record.
  if (started_ && !spec_.hooks.poststop.empty()) {
    if (auto s = run_hooks(spec_.hooks.poststop, "poststop", state_for_hooks("stopped", 0)); !s)
      state_.error = s.error().message();
  }
  if (!bundle_.empty()) ::unlink((bundle_ + "/config.json").c_str());
  const std::string run_dir = store_.run_dir(state_.id);
  ::unlink((run_dir + "/monitor.sock").c_str());
  state_.monitor_pid = 0;
  if (state_.auto_remove) {
    if (store_.remove(state_.id) && args_.removed) args_.removed(state_);
  } else {
    save();
  }
}

int Monitor::run() {
  if (args_.attach) attach_[0] = kMonitorAttachOutFd, attach_[1] = kMonitorAttachErrFd;
  if (args_.attach_stdin) attach_in_ = kMonitorAttachInFd;
  state_.monitor_pid = ::getpid();
  state_.stopped_by_user = false;
  if (auto s = setup(); !s) {
    state_.error = s.error().message();
    state_.exit_code = 125;
    teardown();
    report_start(125, state_.error);
    return 1;
  }
  bool first = true;
  for (;;) {
    if (auto s = start_once(); !s) {
      int code = start_failure_code(s.error());
      state_.error = s.error().message();
      state_.exit_code = code;
      state_.status = first ? ContainerStatus::created : ContainerStatus::exited;
      state_.pid = 0;
      if (first) {
        teardown();
        report_start(code, state_.error);
        return 0;
      }
      save();
    } else {
      if (first) report_start(0, "");
      release_at_ = monotonic_nanos() + kReleaseAfter;
      serve_until_exit();
    }
    first = false;
    if (!should_restart()) break;
    // Back-off doubles with each restart and starts over after a long run.
    if (now_unix_nanos() - run_started_ >= kBackoffResetAfter) backoff_ = kBackoffStart;
    state_.status = ContainerStatus::restarting;
    save();
    if (!wait_backoff(backoff_)) {
      state_.status = ContainerStatus::exited;
      break;
    }
    backoff_ *= 2;
    ++state_.restart_count;
  }
  const int exit_code = state_.exit_code;
  teardown();
  write_text(kMonitorExitFd, std::to_string(exit_code) + "\n");
  return 0;
}

}  // namespace

int run_monitor(const MonitorArgs& args) {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  auto fail_start = [](const Error& e) {
    write_text(kMonitorSyncFd, "125 " + e.message() + "\n");
    return 1;
  };
  auto store = ContainerStore::open(args.root, args.run_root);
  if (!store) return fail_start(store.error());
  auto state = store->load(args.id);
  if (!state) return fail_start(state.error());
  auto spec = store->load_spec(args.id);
  if (!spec) return fail_start(spec.error());
  Monitor monitor(args, std::move(*store), std::move(*state), std::move(*spec));
  return monitor.run();
}

}  // namespace brick::runtime
