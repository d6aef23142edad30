#include "runtime/init.hpp"

#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace brick::runtime {

namespace {

[[noreturn]] void init_loop(pid_t command) noexcept {
  sigset_t all;
  ::sigfillset(&all);
  for (;;) {
    siginfo_t info{};
    int sig = ::sigwaitinfo(&all, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      ::_exit(125);
    }
    if (sig != SIGCHLD) {
      // The command may already be gone; then there is nobody to tell.
      ::kill(command, sig);
      continue;
    }
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != command) continue;  // an orphan, reaped
      // Leaving ends the namespace: the kernel kills whatever is left.
      if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
      ::_exit(128 + WTERMSIG(status));
    }
  }
}

}  // namespace

int become_init() noexcept {
  // Blocked before the fork, so no signal (SIGCHLD of a command that exits
  // at once, SIGTERM) can slip by before the loop waits for it.
  sigset_t all, previous;
  ::sigfillset(&all);
  if (::sigprocmask(SIG_BLOCK, &all, &previous) < 0) return -1;
  // A raw fork: glibc's fork() runs atfork handlers and takes malloc locks
  // that a thread of the spawning process may have held at clone time.
  long pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) {
    int saved = errno;
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    errno = saved;
    return -1;
  }
  if (pid == 0) {
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    return 0;
  }
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::syscall(SYS_close_range, 0U, ~0U, 0U);
  init_loop(static_cast<pid_t>(pid));
}

void reset_signals() noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);  // EINVAL for glibc's own: harmless
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace brick::runtime
