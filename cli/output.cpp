#include "cli/output.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "base/file.hpp"

namespace brick::cli {

Status setup_logging(const std::string& level) {
  spdlog::level::level_enum lvl;
  if (level == "debug")
    lvl = spdlog::level::debug;
  else if (level == "info")
    lvl = spdlog::level::info;
  else if (level == "warn" || level == "warning")
    lvl = spdlog::level::warn;
  else if (level == "error")
    lvl = spdlog::level::err;
  else
    return fail("unknown log level `" + level + "` (want debug, info, warn or error)");
  auto logger = spdlog::stderr_logger_mt("brick");
  // Plain lines: the level word is part of the message, as compose prints it.
  logger->set_pattern("%v");
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return {};
}

void print_error(const Error& error) {
  std::fflush(stdout);
  std::cerr << "brick: " << error.full() << "\n";
}

void print_warnings(const std::vector<compose::Diagnostic>& warnings) {
  for (const auto& w : warnings) spdlog::warn("WARN: {}", w.str());
}

Status emit(std::string_view text, const std::string& path) {
  if (!path.empty()) return write_file_atomic(path, text, 0644);
  std::cout << text;
  std::cout.flush();
  if (!std::cout) return fail("writing to stdout: output error");
  return {};
}

}  // namespace brick::cli
