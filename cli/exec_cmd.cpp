#include "cli/exec_cmd.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "base/strings.hpp"
#include "base/unique_fd.hpp"
#include "cli/container_cmd.hpp"
#include "cli/run_spec.hpp"
#include "cli/terminal.hpp"
#include "runtime/container_store.hpp"
#include "runtime/exec.hpp"
#include "runtime/pty.hpp"
#include "runtime/user.hpp"

namespace brick::cli {
namespace {

using namespace brick::runtime;

// The process `exec` starts: the container's own process settings (env,
// user, capabilities, rlimits, no_new_privs), with the command and what the
// flags change.
Result<Process> exec_process(const ExecRequest& o, const ContainerSpec& spec, int root_fd) {
  Process p = spec.process;
  p.terminal = o.tty && !o.detach;
  // docker's exec: a terminal gets TERM=xterm unless the container sets one.
  if (p.terminal &&
      std::none_of(p.env.begin(), p.env.end(), [](const std::string& e) { return e.starts_with("TERM="); }))
    p.env.push_back("TERM=xterm");
  p.args = o.args;
  for (const std::string& e : o.env) BRICK_TRY(apply_env_flag(p.env, e));
  if (!o.workdir.empty()) {
    if (o.workdir.front() != '/') return fail("the working directory `" + o.workdir + "` is not absolute");
    p.cwd = o.workdir;
  }
  if (!o.user.empty()) {
    ResolvedUser u = BRICK_TRY(resolve_user(root_fd, o.user));
    p.user = {u.uid, u.gid, u.additional_gids};
    set_env(p.env, "HOME=" + u.home);
  }
  return p;
}

}  // namespace

Status exec_in(const std::string& container, const ExecRequest& o, Context& ctx) {
  auto store = BRICK_TRY(ContainerStore::open(ctx.global.root, ctx.global.run_root));
  ContainerState c = BRICK_TRY(store.find(container));
  if (c.status != ContainerStatus::running || c.pid <= 0) return fail("container " + c.id + " is not running");
  // A pidfd pins the process: checked against the record after it is open,
  // the pid cannot have been recycled by the time it is used.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, c.pid, 0)));
  if (!pidfd) return fail(Error::from_errno("container " + c.id + " is not running"));
  ContainerState now = BRICK_TRY(store.load(c.id));
  if (now.pid != c.pid || now.status != ContainerStatus::running) return fail("container " + c.id + " is not running");
  ContainerSpec spec = BRICK_TRY(store.load_spec(c.id));
  // Users are names in the container's own /etc/passwd.
  UniqueFd root_fd(::open(("/proc/" + std::to_string(c.pid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return fail(Error::from_errno("opening the root of container " + c.id));
  Process process = BRICK_TRY(exec_process(o, spec, root_fd.get()));

  UniqueFd null_fd;
  runtime::ExecOptions options;
  options.container_pid = c.pid;
  options.container_pidfd = pidfd.get();
  if (!o.interactive || o.detach) {
    null_fd = UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null_fd) return fail_errno("opening /dev/null");
    options.stdin_fd = null_fd.get();
  }
  if (o.detach) options.stdout_fd = options.stderr_fd = null_fd.get();
  // -t: the process makes a terminal from the container's own devpts, keeps
  // its slave side as 0, 1 and 2 (with -i its input is ours, else nothing
  // writes to it) and sends us the master, which we relay.
  std::optional<ConsoleSocket> console;
  if (process.terminal) {
    console = BRICK_TRY(make_console_socket());
    options.console_socket = console->theirs.get();
    (void)::ioctl(STDIN_FILENO, TIOCGWINSZ, &options.console_size);
  }
  options.cgroup_dirs = c.cgroup_dirs;
  auto child = exec_in_container(process, spec.linux, options);
  if (!child) {
    // docker's codes: 127 not found, 126 found but not executable.
    int err = child.error().errno_value();
    ctx.error_exit_code = err == ENOENT ? 127 : err == EACCES || err == ENOEXEC || err == EISDIR ? 126 : 1;
    return fail(std::move(child.error()));
  }
  if (o.detach) {
    child->release();
    return {};
  }
  if (console) {
    console->theirs.reset();
    UniqueFd master = BRICK_TRY(receive_terminal(console->ours.get()));
    std::optional<RawTerminal> raw;
    if (o.interactive && ::isatty(STDIN_FILENO)) raw.emplace();
    relay_terminal(master.get(), o.interactive);
  }
  ExitStatus status = BRICK_TRY(child->wait());
  ctx.exit_code = status.exit_code();
  return {};
}

void add_exec_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ExecRequest>();
  CLI::App* cmd = app.add_subcommand("exec", "Execute a command in a running container");
  cmd->add_flag("-i,--interactive", o->interactive, "Keep STDIN open even if not attached");
  cmd->add_flag("-t,--tty", o->tty, "Allocate a pseudo-TTY");
  cmd->add_flag("-d,--detach", o->detach, "Detached mode: run command in the background");
  cmd->add_option("-e,--env", o->env, "Set environment variables")->type_name("list")->allow_extra_args(false);
  cmd->add_option("-w,--workdir", o->workdir, "Working directory inside the container")->type_name("string");
  cmd->add_option("-u,--user", o->user, "Username or UID (format: \"<name|uid>[:<group|gid>]\")")->type_name("string");
  // Everything from CONTAINER on is the command's: `exec web sh -c 'exit 3'`.
  cmd->prefix_command();
  cmd->callback([o, cmd, &ctx] {
    o->args = cmd->remaining();
    ctx.action = [o, &ctx]() -> Status {
      if (o->args.size() < 2) return fail("\"brick exec\" requires at least 2 arguments: CONTAINER COMMAND...");
      ExecRequest r = *o;
      r.args.erase(r.args.begin());
      return exec_in(o->args.front(), r, ctx);
    };
  });
}

}  // namespace brick::cli
