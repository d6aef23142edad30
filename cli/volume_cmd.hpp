// `brick volume`: create, ls, inspect, rm, prune over the volume store under
// --root.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace brick::cli {

CLI::App* add_volume_command(CLI::App& app, Context& ctx);

}  // namespace brick::cli
