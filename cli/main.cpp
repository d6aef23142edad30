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

using namespace brick::cli;

// start_container's command line: `brick --root R --run-root RR
// container-monitor ID [flags]`, the global flags given in that order.
bool is_monitor(int argc, char** argv) {
  return argc >= 7 && std::string_view(argv[1]) == "--root" && std::string_view(argv[3]) == "--run-root" &&
         std::string_view(argv[5]) == "container-monitor";
}

// The command tree, a group of top-level commands at a time, in `brick
// --help`'s order. Building all of it costs every brick process about a
// millisecond (CLI11 makes each option's names, checks and callbacks), so a
// command line builds only the group of the command it names.
using AddGroup = void (*)(CLI::App&, Context&);
template <auto add>
void group(CLI::App& app, Context& ctx) {
  add(app, ctx);
}
constexpr AddGroup kGroups[] = {
    group<add_compose_command>, group<add_container_commands>, group<add_events_command>,  group<add_exec_command>,
    group<add_gpu_command>,     group<add_image_command>,      group<add_network_command>, group<add_volume_command>,
};
constexpr AddGroup kContainers = group<add_container_commands>;
constexpr struct {
  std::string_view command;
  AddGroup add;
} kCommands[] = {
    {"compose", group<add_compose_command>},
    {"run", group<add_run_command>},
    {"create", group<add_create_command>},
    {"ps", kContainers},
    {"logs", kContainers},
    {"start", kContainers},
    {"stop", kContainers},
    {"restart", kContainers},
    {"kill", kContainers},
    {"rm", kContainers},
    {"wait", kContainers},
    {"inspect", kContainers},
    {"pause", kContainers},
    {"unpause", kContainers},
    {"port", kContainers},
    {"top", kContainers},
    {"stats", kContainers},
    {"events", group<add_events_command>},
    {"exec", group<add_exec_command>},
    {"gpu", group<add_gpu_command>},
    {"image", group<add_image_command>},
    {"network", group<add_network_command>},
    {"volume", group<add_volume_command>},
};

// The command a command line names: its first word after the global
// options; "" when there is none, or an option comes first that is not a
// global one (--help, --version: they need the whole tree).
std::string_view command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--root" || arg == "--run-root" || arg == "--log-level") {
      ++i;
      continue;
    }
    if (arg.starts_with("--root=") || arg.starts_with("--run-root=") || arg.starts_with("--log-level=")) continue;
    return arg.starts_with('-') ? std::string_view() : arg;
  }
  return {};
}

void add_commands(CLI::App& app, Context& ctx, int argc, char** argv) {
  // A monitor (start_container's exec) needs nothing else, for its whole life.
  if (is_monitor(argc, argv)) return;
  const std::string_view word = command_word(argc, argv);
  for (const auto& [command, add] : kCommands)
    if (command == word) return add(app, ctx);
  // Help, or a word that is no command: everything, for the list or the error.
  for (AddGroup add : kGroups) add(app, ctx);
}

int run(int argc, char** argv) {
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
  add_commands(app, ctx, argc, argv);

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
