// `brick compose up` and `brick compose create`: reconcile the project with
// what exists. So far only their --dry-run: the plan, printed, and every
// container it would create translated (with its image when brick has it).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace brick::cli {

void add_up_commands(CLI::App& compose_cmd, Context& ctx);

}  // namespace brick::cli
