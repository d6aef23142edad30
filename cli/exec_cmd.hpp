// `brick exec`: one more process inside a running container.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace brick::cli {

void add_exec_command(CLI::App& app, Context& ctx);

}  // namespace brick::cli
