// `brick network`: create, ls, inspect, rm, prune over the network records
// under --root and the bridges they own.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace brick::cli {

CLI::App* add_network_command(CLI::App& app, Context& ctx);

}  // namespace brick::cli
