// A container run in the foreground, as `brick run` and `brick compose run`
// do without -d: the CLI's stdout and stderr (and stdin when interactive)
// wired to it, the caller's signals and window size passed on, and the
// CLI's exit code the container's.
#pragma once

#include <string>

#include "base/error.hpp"
#include "cli/context.hpp"
#include "runtime/container_store.hpp"

namespace brick::cli {

struct ForegroundOptions {
  bool interactive = false;  // -i: the CLI's stdin goes to the container
  bool tty = false;          // -t: the container has a terminal (its spec says so)
};

// Starts container `id` attached and waits for it. A failure to start sets
// ctx.error_exit_code to docker's 125/126/127; otherwise ctx.exit_code is
// the container's exit code.
Status run_in_foreground(const runtime::ContainerStore& store, const std::string& id, const ForegroundOptions& options,
                         Context& ctx);

}  // namespace brick::cli
