// Options shared between the CLI's commands, and where a command's callback
// leaves its outcome for main() to report.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace brick::cli {

struct GlobalOptions {
  std::string root = "/var/lib/brick";  // --root, BRICK_ROOT
  std::string run_root = "/run/brick";  // --run-root, BRICK_RUN_ROOT
  std::string log_level = "info";
};

struct ComposeOptions {
  std::vector<std::string> files;
  std::string project_name;
  std::vector<std::string> profiles;
  std::vector<std::string> env_files;
  std::string project_directory;
  int parallel = -1;  // --parallel, COMPOSE_PARALLEL_LIMIT; -1: no limit
};

struct Context {
  GlobalOptions global;
  ComposeOptions compose;
  // What the chosen command will do; set by its CLI11 callback and run by
  // main() once parsing is over and logging is set up.
  std::function<Status()> action;
  // The process's exit status when the action succeeds (`brick run` exits
  // with its container's code); a failed action exits with `error_exit_code`.
  int exit_code = 0;
  int error_exit_code = 1;
};

}  // namespace brick::cli
