// The single-container commands, in docker's words: run, ps, logs, start,
// stop, restart, kill, rm, wait, inspect, pause, unpause, top, stats; and the
// hidden `container-monitor` the monitor process runs as.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "runtime/container_store.hpp"

namespace brick::cli {

void add_container_commands(CLI::App& app, Context& ctx);
// The hidden `container-monitor ID` that start_container execs. main builds
// a tree of only this (and the global flags) for it: the monitor lives as
// long as its container, and so would the rest of the command tree.
void add_monitor_command(CLI::App& app, Context& ctx);
// `run` and `create` (cli/run_cmd.cpp); add_container_commands calls it.
// Each alone too: `brick run ...` builds only `run`'s ~60 options.
void add_run_commands(CLI::App& app, Context& ctx);
void add_run_command(CLI::App& app, Context& ctx);
void add_create_command(CLI::App& app, Context& ctx);
// Removes the anonymous volumes made for a container (`rm -v`, `run --rm`, a
// create that failed); one still in use elsewhere or already gone is left
// with a warning on stderr.
void remove_anonymous_volumes(const std::string& root, const std::vector<std::string>& names);
// docker ps's STATUS column: `Up 5 seconds (healthy)`, `Exited (0) 3 seconds ago`.
std::string container_status_text(const runtime::ContainerState& c);
// docker ps's PORTS column: the ports a running container published.
std::string ports_text(const runtime::ContainerState& c);
// docker top's table (UID PID PPID CMD) of a container's processes.
std::string top_table(const runtime::ContainerState& c);

}  // namespace brick::cli
