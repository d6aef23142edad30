// `brick events` and what `compose events` shares with it: following the run
// root's events file (runtime/events.hpp) until Ctrl-C.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cli/context.hpp"
#include "runtime/events.hpp"

namespace brick::cli {

void add_events_command(CLI::App& app, Context& ctx);

struct EventStream {
  std::optional<int64_t> since, until;  // unix ns; since: the file's history first
  std::function<bool(const runtime::Event&)> wanted;
  std::function<std::string(const runtime::Event&)> format;  // the line, '\n' included
};

// Prints the events `s.wanted` keeps as they come, until --until passes or a
// SIGINT/SIGTERM (then ctx.exit_code is 130, as docker compose exits).
Status stream_events(const EventStream& s, Context& ctx);

// `since`/`until` flags as docker takes them (runtime::parse_since).
Status parse_event_times(const std::string& since, const std::string& until, EventStream& s);

// Go's "2006-01-02 15:04:05.000000" in local time (compose's text form).
std::string local_micros(int64_t unix_nanos);

}  // namespace brick::cli
