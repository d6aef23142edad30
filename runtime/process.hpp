// ChildProcess owns a child through a pidfd: signals go to that process and
// no other (a pid can be recycled once reaped; a pidfd cannot), and the
// destructor kills and reaps whatever is still running.
#pragma once

#include <sys/types.h>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace brick::runtime {

// How a process ended.
struct ExitStatus {
  int code = 0;    // exit(code), when signal == 0
  int signal = 0;  // the killing signal, or 0
  // The shell's convention: the exit code, or 128 + the signal.
  int exit_code() const { return signal != 0 ? 128 + signal : code; }
  bool operator==(const ExitStatus&) const = default;
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // SIGKILL and reap, unless already waited for or released.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  bool running() const { return pid_ > 0; }

  Status kill(int signal);
  // Blocks until the child exits and reaps it.
  Result<ExitStatus> wait();
  // Gives up ownership: the child keeps running and someone else reaps it.
  pid_t release();

 private:
  void kill_and_reap() noexcept;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

}  // namespace brick::runtime
