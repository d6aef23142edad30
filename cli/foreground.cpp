#include "cli/foreground.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <optional>

#include "cli/terminal.hpp"
#include "runtime/container.hpp"

namespace brick::cli {
namespace {

volatile sig_atomic_t g_pending_signal = 0;
volatile sig_atomic_t g_window_changed = 0;
extern "C" void remember_signal(int signal) {
  if (signal == SIGWINCH)
    g_window_changed = 1;
  else
    g_pending_signal = signal;
}

// docker's --sig-proxy: a foreground run passes the signals it gets (Ctrl-C,
// a `kill` of the CLI) on to the container instead of dying and leaving it.
void proxy_signals() {
  struct sigaction sa {};
  sa.sa_handler = remember_signal;  // no SA_RESTART: the wait below sees EINTR
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) ::sigaction(s, &sa, nullptr);
}

}  // namespace

Status run_in_foreground(const runtime::ContainerStore& store, const std::string& id, const ForegroundOptions& o,
                         Context& ctx) {
  runtime::StartOptions so;
  so.attach_stdout = STDOUT_FILENO;
  so.attach_stderr = STDERR_FILENO;
  if (o.interactive) so.attach_stdin = STDIN_FILENO;
  std::optional<RawTerminal> raw;
  if (o.interactive && o.tty && ::isatty(STDIN_FILENO)) raw.emplace();
  std::cout.flush();
  proxy_signals();  // before the start, so no signal falls between
  runtime::StartResult r = BRICK_TRY(runtime::start_container(store, id, so));
  if (r.code != 0) {
    ctx.error_exit_code = r.code;
    return fail(r.error);
  }
  for (;;) {
    if (int s = g_pending_signal; s != 0) {
      g_pending_signal = 0;
      (void)runtime::kill_container(store, id, s);  // it may have just ended: nothing to do then
    }
    if (g_window_changed != 0) {
      g_window_changed = 0;
      struct winsize ws {};
      if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) (void)runtime::resize_terminal(store, id, ws.ws_row, ws.ws_col);
    }
    struct pollfd p = {r.exit_fd.get(), POLLIN, 0};
    if (::poll(&p, 1, -1) >= 0 || errno != EINTR) break;
  }
  ctx.exit_code = BRICK_TRY(runtime::read_exit_code(store, id, r.exit_fd.get()));
  return {};
}

}  // namespace brick::cli
