// Help text laid out as docker's: `Usage:  brick compose [OPTIONS] COMMAND`,
// then the description, `Options:` and `Commands:`.
#pragma once

#include <CLI/CLI.hpp>

namespace brick::cli {

class DockerStyleFormatter : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
};

}  // namespace brick::cli
