// `brick compose`: the project flags every compose subcommand shares.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"
#include "compose/loader.hpp"
#include "orchestrator/execute.hpp"

namespace brick::cli {

CLI::App* add_compose_command(CLI::App& app, Context& ctx);

// LoadOptions from the compose flags and the process environment; `services`
// are the names given on the command line.
compose::LoadOptions load_options(const ComposeOptions& options, std::vector<std::string> services);

// Loads the project and prints its warnings.
Result<compose::LoadedProject> load(const compose::LoadOptions& options);

// One progress line per event on stderr (`Container demo-web-1  Started`);
// docker compose's ` ✔ ` lines when stderr is a terminal. Thread-safe.
orchestrator::Progress progress_printer();

// Container operations at once: --parallel, else COMPOSE_PARALLEL_LIMIT; 0: no limit.
Result<size_t> parallel_limit(const ComposeOptions& options);

// The compose subcommands that act on a project's containers: down, ps,
// logs, start, stop, restart, kill, rm (cli/compose_ops_cmd.cpp).
void add_compose_ops_commands(CLI::App& compose_cmd, Context& ctx);

// The compose subcommands that reach into or describe a service's
// containers: exec, port, top, pause, unpause, images, wait, ls
// (cli/compose_service_cmd.cpp).
void add_compose_service_commands(CLI::App& compose_cmd, Context& ctx);

// `compose run`: a one-off container of a service (cli/compose_run_cmd.cpp).
void add_compose_run_command(CLI::App& compose_cmd, Context& ctx);

// `compose events`: the project's container events as they happen
// (cli/compose_events_cmd.cpp).
void add_compose_events_command(CLI::App& compose_cmd, Context& ctx);

}  // namespace brick::cli
