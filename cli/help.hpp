// Help text laid out as docker's: `Usage:  brick compose [OPTIONS] COMMAND`,
// then the description, `Options:` and `Commands:`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace brick::cli {

class DockerStyleFormatter : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
};

// Makes `brick GROUP` with no subcommand print the group's help and exit 0,
// as `docker compose` and `docker image` do.
void show_help_without_subcommand(CLI::App* group, Context& ctx);

}  // namespace brick::cli
