// `brick compose up` and `brick compose create`: reconcile the project with
// what exists (orchestrator/plan.hpp), carry the plan out
// (orchestrator/execute.hpp) and, in the foreground, stream the logs until
// the stack exits or is interrupted. --dry-run prints the plan only.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace brick::cli {

void add_up_commands(CLI::App& compose_cmd, Context& ctx);

}  // namespace brick::cli
