// How the CLI talks to its user: errors once on stderr, warnings through
// spdlog, results on stdout or into a file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "compose/diagnostics.hpp"

namespace brick::cli {

// Sets up the stderr logger; `level` is debug, info, warn or error.
Status setup_logging(const std::string& level);

// `brick: headline`, then each detail line as it is (one problem per line).
void print_error(const Error& error);

// `WARN: FILE:LINE:COL: path: message`, one per warning.
void print_warnings(const std::vector<compose::Diagnostic>& warnings);

// Writes `text` to stdout, or atomically to `path` when it is not empty.
Status emit(std::string_view text, const std::string& path = "");

// Rows as docker prints its tables: columns padded to the widest cell plus 3.
std::string table(const std::vector<std::vector<std::string>>& rows);

// docker's units.HumanSizeWithPrecision(size, 3): decimal units ("2.13MB").
std::string human_size(double size);

}  // namespace brick::cli
