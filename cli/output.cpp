#include "cli/output.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>

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

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    out += "\n";
  }
  return out;
}

std::string human_size(double size) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  size_t i = 0;
  while (size >= 1000 && i + 1 < std::size(kUnits)) {
    size /= 1000;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%s", size, kUnits[i]);
  return buf;
}

}  // namespace brick::cli
