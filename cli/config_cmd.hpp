// `brick compose config`: the resolved project in canonical form.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace brick::cli {

void add_config_command(CLI::App& compose_cmd, Context& ctx);

}  // namespace brick::cli
