// brick's entry point: global flags, the command tree, and the one place
// where errors are printed and exceptions stop.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <memory>
#include <string_view>

#include "cli/compose_cmd.hpp"
#include "cli/container_cmd.hpp"
#include "cli/context.hpp"
#include "cli/events_cmd.hpp"
#include "cli/exec_cmd.hpp"
#include "cli/gpu_cmd.hpp"
#include "cli/help.hpp"
#include "cli/image_cmd.hpp"
#include "cli/network_cmd.hpp"
#include "cli/output.hpp"
#include "cli/volume_cmd.hpp"
#include "runtime/seccomp.hpp"

namespace {

// start_container's command line: `brick --root R --run-root RR
// container-monitor ID [flags]`, the global flags given in that order.
bool is_monitor(int argc, char** argv) {
  return argc >= 7 && std::string_view(argv[1]) == "--root" && std::string_view(argv[3]) == "--run-root" &&
         std::string_view(argv[5]) == "container-monitor";
}

int run(int argc, char** argv) {
  using namespace brick::cli;
  Context ctx;
  CLI::App app{"A daemonless, compose-compatible container tool for one Linux host", "brick"};
  app.formatter(std::make_shared<DockerStyleFormatter>());
  app.set_version_flag("--version", "brick version " BRICK_VERSION, "Print version information and quit");
  app.add_option("--root", ctx.global.root, "Where images, volumes and container records live")
      ->envname("BRICK_ROOT")
      ->type_name("string");
  app.add_option("--run-root", ctx.global.run_root, "Where sockets, locks and pinned namespaces live")
      ->envname("BRICK_RUN_ROOT")
      ->type_name("string");
  app.add_option("--log-level", ctx.global.log_level, "Set the logging level (\"debug\"|\"info\"|\"warn\"|\"error\")")
      ->type_name("string")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}).description(""));
  app.add_subcommand("version", "Show the brick version information")->callback([&ctx] {
    ctx.action = []() -> brick::Status {
      std::cout << "brick version " << BRICK_VERSION << "\n";
      return {};
    };
  });
  add_monitor_command(app, ctx);
  // A monitor (start_container's exec) needs nothing else: building the
  // whole command tree would cost every container start a millisecond and
  // the monitor, for its whole life, the memory the tree holds.
  if (!is_monitor(argc, argv)) {
    add_compose_command(app, ctx);
    add_container_commands(app, ctx);
    add_events_command(app, ctx);
    add_exec_command(app, ctx);
    add_gpu_command(app, ctx);
    add_image_command(app, ctx);
    add_network_command(app, ctx);
    add_volume_command(app, ctx);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and --version exit 0; every misuse exits 1 with the usage on stderr.
    return app.exit(e) == 0 ? 0 : 1;
  }
  brick::Status result = setup_logging(ctx.global.log_level);
  // Compiled seccomp filters outlive this process (every `run` and monitor is a new one).
  if (!ctx.global.run_root.empty()) brick::runtime::set_seccomp_cache_directory(ctx.global.run_root + "/seccomp");
  if (result && ctx.action) result = ctx.action();
  if (result && !ctx.action) std::cout << app.help();
  if (!result) {
    print_error(result.error());
    return ctx.error_exit_code;
  }
  return ctx.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    brick::cli::print_error(brick::Error(e.what()));
  } catch (...) {
    brick::cli::print_error(brick::Error("unexpected internal error"));
  }
  return 1;
}
