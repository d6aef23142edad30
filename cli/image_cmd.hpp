// `brick image`: load, import, save, ls, inspect, tag, rm, prune over the
// image store under --root.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace brick::cli {

CLI::App* add_image_command(CLI::App& app, Context& ctx);

}  // namespace brick::cli
