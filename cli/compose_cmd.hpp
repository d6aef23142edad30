// `brick compose`: the project flags every compose subcommand shares.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"
#include "compose/loader.hpp"

namespace brick::cli {

CLI::App* add_compose_command(CLI::App& app, Context& ctx);

// LoadOptions from the compose flags and the process environment; `services`
// are the names given on the command line.
compose::LoadOptions load_options(const ComposeOptions& options, std::vector<std::string> services);

// Loads the project and prints its warnings.
Result<compose::LoadedProject> load(const compose::LoadOptions& options);

}  // namespace brick::cli
