#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/unique_fd.hpp"

namespace brick::runtime {

namespace {

constexpr size_t kKeptOutput = 2048;  // the end of a failing hook's output, for the error

int64_t monotonic_ms() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// In the forked child: async-signal-safe calls only (the caller may have
// other threads). Says what failed on the output pipe and exits.
[[noreturn]] void child_fail(const char* what, int code) {
  const char* reason = ::strerrordesc_np(errno);
  for (const char* text : {"brick: ", what, ": ", reason ? reason : "unknown error", "\n"})
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, text, ::strlen(text));
  ::_exit(code);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

std::string hook_state(const std::string& oci_version, const std::string& id, std::string_view status, pid_t pid,
                       const std::string& bundle) {
  nlohmann::json j = {{"ociVersion", oci_version}, {"id", id}, {"status", status}, {"bundle", bundle}};
  if (pid > 0) j["pid"] = pid;
  return j.dump();
}

Status run_hook(const Hook& hook, std::string_view kind, std::string_view state, HookPlace place) {
  const std::string what = std::string(kind) + " hook `" + hook.path + "`";
  if (hook.path.empty() || hook.path[0] != '/') return fail(what + ": the path must be absolute");
  if (hook.timeout && *hook.timeout <= 0)
    return fail(what + ": timeout must be positive, not " + std::to_string(*hook.timeout));

  // Everything the child needs, allocated before the fork.
  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<std::string> env = hook.env;
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0) return fail_errno(what + ": creating a pipe");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) < 0) return fail_errno(what + ": creating a pipe");
  UniqueFd out_r(out[0]), out_w(out[1]);
  // The state is small (a few hundred bytes): it fits the pipe whole, so it
  // is written now and a hook that never reads it blocks nobody.
  if (state.size() >= 65536) return fail(what + ": the state is too large for its pipe");
  if (::write(in_w.get(), state.data(), state.size()) != static_cast<ssize_t>(state.size()))
    return fail_errno(what + ": writing the state");
  in_w.reset();

  const pid_t pid = ::fork();
  if (pid < 0) return fail_errno(what + ": fork");
  if (pid == 0) {
    if (::dup2(out_w.get(), STDOUT_FILENO) < 0 || ::dup2(out_w.get(), STDERR_FILENO) < 0) ::_exit(126);
    if (::dup2(in_r.get(), STDIN_FILENO) < 0) child_fail("setting up stdin", 126);
    if (place.pidfd >= 0 && ::setns(place.pidfd, place.ns_flags) < 0)
      child_fail("joining the container's namespaces", 126);
    // What the runtime blocked or ignored (SIGPIPE, SIGCHLD's handling) is
    // not the hook's.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
    ::close_range(3, ~0U, 0);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    child_fail("executing the hook", 127);
  }
  in_r.reset();
  out_w.reset();
  ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);

  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  std::string output;
  auto drain = [&] {
    char buf[4096];
    for (;;) {
      const ssize_t got = ::read(out_r.get(), buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got == 0) out_r.reset();
      if (got <= 0) return;
      output.append(buf, static_cast<size_t>(got));
      if (output.size() > 2 * kKeptOutput) output.erase(0, output.size() - kKeptOutput);
    }
  };
  bool timed_out = false;
  const int64_t deadline = hook.timeout ? monotonic_ms() + int64_t{*hook.timeout} * 1000 : -1;
  // Until the hook exits (its output may stay open in a daemon it left
  // behind), or its time is up. Without a pidfd, until its output ends.
  for (bool exited = false; !exited && (pidfd || out_r);) {
    struct pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {out_r.get(), POLLIN, 0}};
    int wait_ms = -1;
    if (deadline >= 0) wait_ms = static_cast<int>(std::max<int64_t>(0, deadline - monotonic_ms()));
    const int n = ::poll(fds, 2, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (n < 0) break;
    exited = fds[0].revents != 0;
    if (out_r && (fds[1].revents != 0 || exited)) drain();
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output.size() > kKeptOutput) output.erase(0, output.size() - kKeptOutput);
  output = trimmed(std::move(output));
  const std::string said = output.empty() ? "" : ": " + output;
  if (timed_out) return fail(what + ": timed out after " + std::to_string(*hook.timeout) + " s" + said);
  if (WIFSIGNALED(status)) return fail(what + ": killed by signal " + std::to_string(WTERMSIG(status)) + said);
  if (WEXITSTATUS(status) != 0)
    return fail(what + ": exited with status " + std::to_string(WEXITSTATUS(status)) + said);
  return {};
}

Status run_hooks(const std::vector<Hook>& hooks, std::string_view kind, std::string_view state, HookPlace place) {
  for (const Hook& hook : hooks) BRICK_TRY(run_hook(hook, kind, state, place));
  return {};
}

}  // namespace brick::runtime
