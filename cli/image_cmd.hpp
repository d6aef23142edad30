// `brick image`: load, import, save, ls, inspect, tag, rm, prune over the
// image store under --root.
#pragma once

#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "cli/context.hpp"
#include "images/store.hpp"

namespace brick::cli {

CLI::App* add_image_command(CLI::App& app, Context& ctx);

// The images of every container brick has a record of, running or not: as
// docker does, `rm` refuses them without -f and `prune` keeps them.
Result<images::InUse> images_of_containers(const Context& ctx);

}  // namespace brick::cli
