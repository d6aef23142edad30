// `brick gpu ls`: the host's GPUs (under BRICK_HOST_ROOT) with their model,
// memory and the container holding each, from the ledger under --root.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace brick::cli {

CLI::App* add_gpu_command(CLI::App& app, Context& ctx);

}  // namespace brick::cli
