// `brick exec`: one more process inside a running container.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/context.hpp"

namespace brick::cli {

void add_exec_command(CLI::App& app, Context& ctx);

// What `exec` runs and how: docker's -i, -t, -d, -e, -w, -u and the command.
struct ExecRequest {
  bool interactive = false;
  bool tty = false;
  bool detach = false;
  std::vector<std::string> env;
  std::string workdir;
  std::string user;
  std::vector<std::string> args;
};

// Runs `r` in the running container `container` (a name or id); sets
// ctx.exit_code to the command's (docker's 126/127 when it cannot start).
Status exec_in(const std::string& container, const ExecRequest& r, Context& ctx);

}  // namespace brick::cli
