#include "cli/compose_cmd.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>

#include "cli/compose_up_cmd.hpp"
#include "cli/config_cmd.hpp"
#include "cli/help.hpp"
#include "cli/output.hpp"

extern char** environ;

namespace brick::cli {
namespace {

compose::StringMap process_environment() {
  compose::StringMap env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

}  // namespace

compose::LoadOptions load_options(const ComposeOptions& options, std::vector<std::string> services) {
  compose::LoadOptions out;
  out.files = options.files;
  out.project_directory = options.project_directory;
  out.project_name = options.project_name;
  out.profiles = options.profiles;
  out.env_files = options.env_files;
  out.services = std::move(services);
  out.environment = process_environment();
  return out;
}

Result<compose::LoadedProject> load(const compose::LoadOptions& options) {
  auto loaded = compose::load_project(options);
  if (loaded) print_warnings(loaded->warnings);
  return loaded;
}

orchestrator::Progress progress_printer() {
  auto mu = std::make_shared<std::mutex>();
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  return [mu, tty](const orchestrator::Event& e) {
    std::lock_guard lock(*mu);
    if (e.kind == "Warning") {
      std::cerr << "WARN: " << e.name << "\n";
      return;
    }
    std::string line = e.kind + " " + e.name + "  " + e.status;
    if (tty) {
      const bool bad = e.status == "Error" || e.status == "Warning";
      line = std::string(bad ? " \033[31m✘\033[0m " : " \033[32m✔\033[0m ") + line;
    }
    std::cerr << line << "\n";
    std::cerr.flush();
  };
}

Result<size_t> parallel_limit(const ComposeOptions& options) {
  long n = options.parallel;
  if (n < 0) {
    const char* env = ::getenv("COMPOSE_PARALLEL_LIMIT");
    if (!env || !*env) return 0;
    char* end = nullptr;
    n = std::strtol(env, &end, 10);
    if (*end != '\0' || n < 0) return fail(std::string("COMPOSE_PARALLEL_LIMIT `") + env + "` is not a number");
  }
  return static_cast<size_t>(n);
}

CLI::App* add_compose_command(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand("compose", "Define and run multi-container applications with brick");
  ComposeOptions& o = ctx.compose;
  cmd->add_option("-f,--file", o.files, "Compose configuration files")->type_name("stringArray");
  cmd->add_option("-p,--project-name", o.project_name, "Project name")->type_name("string");
  cmd->add_option("--profile", o.profiles, "Specify a profile to enable")->type_name("stringArray");
  cmd->add_option("--env-file", o.env_files, "Specify an alternate environment file")->type_name("stringArray");
  cmd->add_option("--project-directory", o.project_directory,
                  "Specify an alternate working directory\n"
                  "                                   (default: the path of the, first specified, Compose file)")
      ->type_name("string");
  cmd->add_option("--parallel", o.parallel, "Control max parallelism, -1 for unlimited")->type_name("int");
  add_config_command(*cmd, ctx);
  add_up_commands(*cmd, ctx);
  add_compose_ops_commands(*cmd, ctx);
  add_compose_service_commands(*cmd, ctx);
  add_compose_run_command(*cmd, ctx);
  add_compose_events_command(*cmd, ctx);
  show_help_without_subcommand(cmd, ctx);
  return cmd;
}

}  // namespace brick::cli
