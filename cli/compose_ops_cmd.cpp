// The compose subcommands that act on what a project already has: down, ps,
// logs, start, stop, restart, kill, rm. Containers are found by their
// compose labels; the project file gives the dependency order.
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/strings.hpp"
#include "cli/compose_cmd.hpp"
#include "cli/compose_logs.hpp"
#include "cli/container_cmd.hpp"
#include "cli/image_cmd.hpp"
#include "cli/output.hpp"
#include "orchestrator/execute.hpp"
#include "orchestrator/lifecycle.hpp"
#include "orchestrator/release.hpp"
#include "orchestrator/translate.hpp"
#include "runtime/container.hpp"
#include "runtime/log_file.hpp"

namespace brick::cli {
namespace {

struct OpsOptions {
  std::vector<std::string> services;
  bool volumes = false, remove_orphans = false;
  std::optional<int> timeout;
  bool all = false, quiet = false, list_services = false;
  std::string format;
  bool follow = false, timestamps = false, no_log_prefix = false, no_color = false;
  std::string tail = "all";
  std::string signal;
  bool force = false, stop_first = false;
  std::string rmi;  // down --rmi: "", "local" or "all"
};

std::string label_of(const runtime::ContainerState& c, std::string_view key) {
  auto it = c.labels.find(std::string(key));
  return it == c.labels.end() ? "" : it->second;
}

struct Opened {
  compose::LoadedProject loaded;
  runtime::ContainerStore store;
  FileLock lock;
  size_t parallel = 0;  // --parallel, COMPOSE_PARALLEL_LIMIT
};

// The project (for its name and dependency order), the container store, and
// the project's lock held while the command changes things.
Result<Opened> open_project(const OpsOptions& o, const Context& ctx) {
  const size_t parallel = BRICK_TRY(parallel_limit(ctx.compose));
  compose::LoadedProject loaded = BRICK_TRY(load(load_options(ctx.compose, o.services)));
  for (const auto& s : o.services)
    if (!loaded.project.services.contains(s)) return fail("no such service: " + s);
  runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
  FileLock lock = BRICK_TRY(orchestrator::lock_project(ctx.global.run_root, loaded.project.name));
  return Opened{std::move(loaded), std::move(store), std::move(lock), parallel};
}

// down --rmi all: the services' images, once the containers are gone. One
// still used by another container stays, and down fails naming it (docker
// compose's conflict); one already gone is no error. `local` means images
// compose built under its default name: brick builds none, so none go.
Status remove_service_images(const compose::Project& project, const Context& ctx,
                             const orchestrator::Progress& progress) {
  std::set<std::string> names;
  for (const auto& [name, service] : project.services)
    if (service.image) names.insert(*service.image);
  if (names.empty() || ::access((ctx.global.root + "/images").c_str(), F_OK) != 0) return {};
  images::Store store = BRICK_TRY(images::Store::open(ctx.global.root));
  images::InUse in_use = BRICK_TRY(images_of_containers(ctx));
  std::string errors;
  for (const std::string& name : names) {
    auto removed = store.remove(name, false, in_use);
    if (removed) {
      progress({"Image", name, "Removed", ""});
    } else if (removed.error().errno_value() != ENOENT) {
      errors += (errors.empty() ? "" : "; ") + ("image `" + name + "`: " + removed.error().full());
    }
  }
  if (!errors.empty()) return fail(errors);
  return {};
}

Status run_down(const OpsOptions& o, const Context& ctx) {
  if (!o.rmi.empty() && o.rmi != "local" && o.rmi != "all")
    return fail("--rmi: `" + o.rmi + "` is neither `local` nor `all`");
  Opened p = BRICK_TRY(open_project(o, ctx));
  orchestrator::DownOptions d;
  d.volumes = o.volumes;
  d.remove_orphans = o.remove_orphans;
  d.timeout = o.timeout;
  d.parallel = p.parallel;
  d.progress = progress_printer();
  BRICK_TRY(orchestrator::down(p.loaded.project, ctx.global.root, ctx.global.run_root, d));
  if (o.rmi == "all") BRICK_TRY(remove_service_images(p.loaded.project, ctx, d.progress));
  return {};
}

Status run_ps(const OpsOptions& o, const Context& ctx) {
  compose::LoadedProject loaded = BRICK_TRY(load(load_options(ctx.compose, o.services)));
  runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
  auto containers = BRICK_TRY(orchestrator::project_containers(store, loaded.project.name, o.services));
  std::erase_if(containers, [&](const runtime::ContainerState& c) { return !o.all && !c.running(); });
  std::sort(containers.begin(), containers.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::string out;
  if (o.list_services) {
    std::set<std::string> services;
    for (const auto& c : containers) services.insert(label_of(c, orchestrator::kServiceLabel));
    for (const auto& s : services) out += s + "\n";
  } else if (o.quiet) {
    for (const auto& c : containers) out += c.id + "\n";
  } else if (o.format == "json" || o.format == "{{json .}}") {
    for (const auto& c : containers) {
      nlohmann::json j = {{"ID", c.id},
                          {"Name", c.name},
                          {"Image", c.image},
                          {"Project", loaded.project.name},
                          {"Service", label_of(c, orchestrator::kServiceLabel)},
                          {"State", std::string(runtime::to_string(c.status))},
                          {"Health", c.health ? c.health->status : ""},
                          {"ExitCode", c.exit_code},
                          {"Status", container_status_text(c)},
                          {"Created", c.created},
                          {"Labels", c.labels},
                          {"Publishers", nlohmann::json::array()}};
      out += j.dump() + "\n";
    }
  } else if (!o.format.empty() && o.format != "table") {
    return fail("unsupported --format `" + o.format + "` (use table or json)");
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"}};
    for (const auto& c : containers) {
      auto spec = store.load_spec(c.id);
      std::string cmd = spec ? join(spec->process.args, " ") : "";
      if (cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
      rows.push_back({c.name, c.image, "\"" + cmd + "\"", label_of(c, orchestrator::kServiceLabel),
                      c.created.substr(0, 19), container_status_text(c), ports_text(c)});
    }
    out = table(rows);
  }
  std::cout << out;
  return {};
}

Status run_logs(const OpsOptions& o, const Context& ctx) {
  compose::LoadedProject loaded = BRICK_TRY(load(load_options(ctx.compose, o.services)));
  runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
  auto containers = BRICK_TRY(orchestrator::project_containers(store, loaded.project.name, o.services));
  LogStreamOptions lo;
  lo.timestamps = o.timestamps;
  lo.prefix = !o.no_log_prefix;
  lo.color = !o.no_color && ::isatty(STDOUT_FILENO) == 1;
  if (o.tail != "all" && !o.tail.empty()) {
    if (o.tail.find_first_not_of("0123456789") != std::string::npos) return fail("invalid --tail `" + o.tail + "`");
    lo.tail = std::stoul(o.tail);
  }
  LogStream logs(store, containers, lo);
  logs.print_existing();
  if (!o.follow) return {};
  logs.follow([&] {
    for (const auto& c : containers)
      if (runtime::monitor_running(store, c.id)) return false;
    return true;
  });
  return {};
}

// start: created or exited containers, dependencies first.
Status run_start(const OpsOptions& o, const Context& ctx) {
  Opened p = BRICK_TRY(open_project(o, ctx));
  auto containers = BRICK_TRY(orchestrator::project_containers(p.store, p.loaded.project.name, o.services));
  if (containers.empty()) return fail("service(s) not created: run `brick compose up` or `create` first");
  auto progress = progress_printer();
  for (const auto& group : orchestrator::start_order(p.loaded.project, containers))
    for (const auto& c : group) {
      if (c.running()) continue;
      runtime::StartResult r = BRICK_TRY_CTX(runtime::start_container(p.store, c.id, {}), "starting `" + c.name + "`");
      if (r.code != 0) return fail("starting `" + c.name + "`: " + r.error);
      progress({"Container", c.name, "Started", ""});
    }
  return {};
}

Status stop_project(const Opened& p, const OpsOptions& o, bool kill) {
  auto containers = BRICK_TRY(orchestrator::project_containers(p.store, p.loaded.project.name, o.services));
  std::erase_if(containers, [](const runtime::ContainerState& c) { return !c.running(); });
  orchestrator::StopOptions so;
  so.timeout = o.timeout;
  so.kill = kill;
  so.signal = kill ? BRICK_TRY(runtime::parse_signal(o.signal.empty() ? "SIGKILL" : o.signal)) : 0;
  so.parallel = p.parallel;
  so.progress = progress_printer();
  return orchestrator::stop_groups(p.store, orchestrator::stop_order(p.loaded.project, containers), so);
}

Status run_stop(const OpsOptions& o, const Context& ctx) {
  Opened p = BRICK_TRY(open_project(o, ctx));
  return stop_project(p, o, false);
}

Status run_kill(const OpsOptions& o, const Context& ctx) {
  Opened p = BRICK_TRY(open_project(o, ctx));
  return stop_project(p, o, true);
}

Status run_restart(const OpsOptions& o, const Context& ctx) {
  {
    Opened p = BRICK_TRY(open_project(o, ctx));
    BRICK_TRY(stop_project(p, o, false));
  }
  return run_start(o, ctx);
}

// rm: stopped containers only, unless -s stops them first; -f skips nothing
// but the question (brick never asks).
Status run_rm(const OpsOptions& o, const Context& ctx) {
  Opened p = BRICK_TRY(open_project(o, ctx));
  if (o.stop_first) BRICK_TRY(stop_project(p, o, false));
  auto containers = BRICK_TRY(orchestrator::project_containers(p.store, p.loaded.project.name, o.services));
  auto progress = progress_printer();
  bool any = false;
  for (const auto& c : containers) {
    if (c.running()) continue;
    any = true;
    BRICK_TRY_CTX(runtime::remove_container(p.store, c.id, false), "removing `" + c.name + "`");
    runtime::ContainerState gone = c;
    BRICK_TRY_CTX(orchestrator::release_container(ctx.global.root, ctx.global.run_root, gone),
                  "removing `" + c.name + "`");
    if (o.volumes) remove_anonymous_volumes(ctx.global.root, c.anonymous_volumes);
    progress({"Container", c.name, "Removed", ""});
  }
  if (!any) std::cerr << "No stopped containers\n";
  return {};
}

}  // namespace

void add_compose_ops_commands(CLI::App& compose_cmd, Context& ctx) {
  auto on = [&ctx](CLI::App* sub, std::shared_ptr<OpsOptions> o, Status (*fn)(const OpsOptions&, const Context&)) {
    sub->callback([o, &ctx, fn] { ctx.action = [o, &ctx, fn] { return fn(*o, ctx); }; });
  };
  auto services = [](CLI::App* sub, OpsOptions& o) { sub->add_option("SERVICE", o.services, "Services"); };

  auto down = std::make_shared<OpsOptions>();
  auto* cmd = compose_cmd.add_subcommand("down", "Stop and remove containers, networks");
  cmd->add_flag("-v,--volumes", down->volumes,
                "Remove named volumes declared in the \"volumes\" section of the Compose file and anonymous volumes "
                "attached to containers");
  cmd->add_flag("--remove-orphans", down->remove_orphans,
                "Remove containers for services not defined in the Compose file");
  cmd->add_option("-t,--timeout", down->timeout, "Specify a shutdown timeout in seconds")->type_name("int");
  cmd->add_option("--rmi", down->rmi,
                  "Remove images used by services. \"local\" remove only images that don't have a custom tag "
                  "(\"local\"|\"all\")")
      ->type_name("string");
  on(cmd, down, run_down);

  auto ps = std::make_shared<OpsOptions>();
  cmd = compose_cmd.add_subcommand("ps", "List containers");
  cmd->add_flag("-a,--all", ps->all, "Show all stopped containers (including those created by the run command)");
  cmd->add_flag("-q,--quiet", ps->quiet, "Only display IDs");
  cmd->add_flag("--services", ps->list_services, "Display services");
  cmd->add_option("--format", ps->format, "Format output using table or json")->type_name("string");
  services(cmd, *ps);
  on(cmd, ps, run_ps);

  auto logs = std::make_shared<OpsOptions>();
  cmd = compose_cmd.add_subcommand("logs", "View output from containers");
  cmd->add_flag("-f,--follow", logs->follow, "Follow log output");
  cmd->add_option("-n,--tail", logs->tail, "Number of lines to show from the end of the logs for each container")
      ->type_name("string");
  cmd->add_flag("-t,--timestamps", logs->timestamps, "Show timestamps");
  cmd->add_flag("--no-log-prefix", logs->no_log_prefix, "Don't print prefix in logs");
  cmd->add_flag("--no-color", logs->no_color, "Produce monochrome output");
  services(cmd, *logs);
  on(cmd, logs, run_logs);

  auto start = std::make_shared<OpsOptions>();
  cmd = compose_cmd.add_subcommand("start", "Start services");
  services(cmd, *start);
  on(cmd, start, run_start);

  auto stop = std::make_shared<OpsOptions>();
  cmd = compose_cmd.add_subcommand("stop", "Stop services");
  cmd->add_option("-t,--timeout", stop->timeout, "Specify a shutdown timeout in seconds")->type_name("int");
  services(cmd, *stop);
  on(cmd, stop, run_stop);

  auto restart = std::make_shared<OpsOptions>();
  cmd = compose_cmd.add_subcommand("restart", "Restart service containers");
  cmd->add_option("-t,--timeout", restart->timeout, "Specify a shutdown timeout in seconds")->type_name("int");
  services(cmd, *restart);
  on(cmd, restart, run_restart);

  auto kill = std::make_shared<OpsOptions>();
  cmd = compose_cmd.add_subcommand("kill", "Force stop service containers");
  cmd->add_option("-s,--signal", kill->signal, "SIGNAL to send to the container")->type_name("string");
  services(cmd, *kill);
  on(cmd, kill, run_kill);

  auto rm = std::make_shared<OpsOptions>();
  cmd = compose_cmd.add_subcommand("rm", "Removes stopped service containers");
  cmd->add_flag("-f,--force", rm->force, "Don't ask to confirm removal");
  cmd->add_flag("-s,--stop", rm->stop_first, "Stop the containers, if required, before removing");
  cmd->add_flag("-v,--volumes", rm->volumes, "Remove any anonymous volumes attached to containers");
  services(cmd, *rm);
  on(cmd, rm, run_rm);
}

}  // namespace brick::cli
