#include "cli/compose_up_cmd.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "base/catch_all.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "cli/compose_cmd.hpp"
#include "cli/compose_logs.hpp"
#include "cli/output.hpp"
#include "compose/graph.hpp"
#include "images/store.hpp"
#include "net/network.hpp"
#include "orchestrator/execute.hpp"
#include "orchestrator/lifecycle.hpp"
#include "orchestrator/plan.hpp"
#include "orchestrator/translate.hpp"
#include "runtime/container.hpp"
#include "runtime/log_file.hpp"
#include "volumes/volume_store.hpp"

namespace brick::cli {
namespace {

struct UpOptions {
  bool create_only = false;  // `compose create`
  bool dry_run = false;
  bool force_recreate = false;
  bool always_recreate_deps = false;
  bool no_recreate = false;
  bool renew_anon_volumes = false;
  bool no_deps = false;
  bool no_start = false;
  bool remove_orphans = false;
  bool detach = false;
  bool wait = false;
  int wait_timeout = 0;  // seconds; 0: no limit
  std::optional<int> timeout;
  bool abort_on_container_exit = false;
  std::string exit_code_from;
  bool no_color = false;
  bool no_log_prefix = false;
  std::vector<std::string> scale;
  std::vector<std::string> services;
};

// When this `up` began changing things: the foreground shows the logs
// written since.
int64_t attach_since_ = 0;

Result<std::map<std::string, uint64_t>> parse_scale(const std::vector<std::string>& flags) {
  std::map<std::string, uint64_t> out;
  for (const auto& f : flags) {
    size_t eq = f.find('=');
    std::string n = eq == std::string::npos ? "" : f.substr(eq + 1);
    if (eq == 0 || eq == std::string::npos || n.empty() || n.size() > 6 ||
        n.find_first_not_of("0123456789") != std::string::npos)
      return fail("invalid --scale `" + f + "`: expected SERVICE=NUMBER");
    out[f.substr(0, eq)] = std::stoull(n);
  }
  return out;
}

// The configs of the images the project names that brick's store holds, by
// service. A dry run only reads: without a store there is nothing to read.
Result<std::map<std::string, images::ImageInfo>> resolve_images(const compose::Project& project,
                                                                const GlobalOptions& global) {
  std::map<std::string, images::ImageInfo> out;
  if (::access((global.root + "/images/oci-layout").c_str(), F_OK) != 0) return out;
  images::Store store = BRICK_TRY(images::Store::open(global.root));
  for (const auto& [name, s] : project.services) {
    if (!s.image) continue;
    auto info = store.resolve(*s.image);
    if (info) out.emplace(name, std::move(*info));
  }
  return out;
}

// Translates every container the plan creates or recreates, so a dry run
// fails where `up` would (no command, a ulimit above brick's own, ...).
// Services whose image brick does not have yet are named in a warning.
Status check_containers(const compose::Project& project, const orchestrator::Plan& plan,
                        const std::map<std::string, images::ImageInfo>& images) {
  orchestrator::HardLimits limits = orchestrator::host_hard_limits();
  std::set<std::string> missing;
  for (const auto& step : plan.steps) {
    if (step.action != orchestrator::Action::create_container &&
        step.action != orchestrator::Action::recreate_container)
      continue;
    auto image = images.find(step.service);
    if (image == images.end()) {
      missing.insert(step.service);
      continue;
    }
    orchestrator::TranslateInput in;
    in.project = &project;
    in.service = project.service(step.service);
    in.image = &image->second.config;
    in.image_id = image->second.id;
    in.number = step.number;
    in.hard_limits = limits;
    in.version = BRICK_VERSION;
    BRICK_TRY(orchestrator::translate(in));
  }
  for (const auto& name : missing) {
    const compose::Service* s = project.service(name);
    spdlog::warn("WARN: service `{}`: image `{}` is not in brick's image store; its containers are not checked", name,
                 s->image.value_or(project.name + "-" + name));
  }
  return {};
}

Status dry_run(const compose::Project& project, const orchestrator::Plan& plan,
               const std::map<std::string, images::ImageInfo>& images) {
  BRICK_TRY(check_containers(project, plan, images));
  for (const auto& w : plan.warnings) spdlog::warn("WARN: {}", w);
  std::string text;
  for (const auto& line : split(orchestrator::to_string(plan), '\n'))
    if (!line.empty()) text += "DRY-RUN MODE -  " + line + "\n";
  return emit(text);
}

// --wait: every selected container running, and healthy when it has a
// healthcheck; a one-shot that exited 0 counts as done.
Status wait_for_services(const runtime::ContainerStore& store, const std::string& project,
                         const std::vector<std::string>& services, int timeout) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  auto progress = progress_printer();
  std::set<std::string> reported;
  for (;;) {
    bool all = true;
    for (const auto& c : BRICK_TRY(orchestrator::project_containers(store, project, services))) {
      bool ready = false;
      if (c.status == runtime::ContainerStatus::exited) {
        if (c.exit_code != 0) return fail("container `" + c.name + "` exited (" + std::to_string(c.exit_code) + ")");
        ready = true;
      } else if (c.status == runtime::ContainerStatus::running) {
        if (c.healthcheck && c.health && c.health->status == "unhealthy")
          return fail("container `" + c.name + "` is unhealthy");
        ready = !c.healthcheck || (c.health && c.health->status == "healthy");
      }
      if (ready && reported.insert(c.name).second)
        progress({"Container", c.name, c.healthcheck ? "Healthy" : "Running", ""});
      all = all && ready;
    }
    if (all) return {};
    if (timeout > 0 && std::chrono::steady_clock::now() > deadline)
      return fail("timed out after " + std::to_string(timeout) + "s waiting for the services to be ready");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

volatile sig_atomic_t g_signals = 0;
extern "C" void count_signal(int) { g_signals = g_signals + 1; }

// The foreground of `up`: every container's log behind its prefix until all
// have exited, or a signal: then the stack stops in reverse dependency order
// (a second signal kills it) and `up` exits 130.
Status attach(const UpOptions& o, const compose::Project& project, const GlobalOptions& global, Context& ctx) {
  runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(global.root, global.run_root));
  std::vector<runtime::ContainerState> containers =
      BRICK_TRY(orchestrator::project_containers(store, project.name, o.services));
  struct sigaction sa {};
  sa.sa_handler = count_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM}) ::sigaction(s, &sa, nullptr);

  LogStreamOptions lo;
  lo.prefix = !o.no_log_prefix;
  lo.color = !o.no_color && ::isatty(STDOUT_FILENO) == 1;
  lo.since = attach_since_;
  std::vector<std::string> names;
  for (const auto& c : containers) names.push_back(log_prefix_name(c));
  std::sort(names.begin(), names.end());
  std::cout << "Attaching to " << join(names, ", ") << "\n";
  LogStream logs(store, containers, lo);
  logs.print_existing();

  const bool abort_on_exit = o.abort_on_container_exit || !o.exit_code_from.empty();
  std::jthread stopper;
  bool stopping = false, killed = false;
  int exit_code = 0;
  auto stop_all = [&](bool announce) {
    stopping = true;
    if (announce) std::cerr << "Gracefully stopping... (press Ctrl+C again to force)\n";
    stopper = std::jthread([&store, &project, &o, containers] {
      orchestrator::StopOptions so;
      so.timeout = o.timeout;
      so.progress = progress_printer();
      (void)catch_all(
          [&] { return orchestrator::stop_groups(store, orchestrator::stop_order(project, containers), so); });
    });
  };
  logs.follow([&] {
    if (g_signals >= 1 && !stopping) {
      exit_code = 130;
      stop_all(true);
    }
    if (g_signals >= 2 && !killed) {
      killed = true;
      for (const auto& c : containers) (void)runtime::kill_container(store, c.id, SIGKILL);
    }
    bool any_alive = false;
    for (const auto& c : containers) {
      if (runtime::monitor_running(store, c.id)) {
        any_alive = true;
        continue;
      }
      if (!abort_on_exit || stopping) continue;
      auto now = runtime::observe_container(store, c.id);
      if (!now || now->status != runtime::ContainerStatus::exited) continue;
      std::cerr << log_prefix_name(c) << " exited with code " << now->exit_code << "\n";
      std::cerr << "Aborting on container exit...\n";
      exit_code = now->exit_code;
      stop_all(false);
    }
    return !any_alive;
  });
  if (stopper.joinable()) stopper.join();
  if (!o.exit_code_from.empty()) {
    auto mine = BRICK_TRY(orchestrator::project_containers(store, project.name, {o.exit_code_from}));
    exit_code = mine.empty() ? 0 : mine.front().exit_code;
  }
  ctx.exit_code = exit_code;
  return {};
}

Status run_up(const UpOptions& o, Context& ctx) {
  if (o.force_recreate && o.no_recreate) return fail("--force-recreate and --no-recreate are incompatible");
  if (o.always_recreate_deps && o.no_recreate) return fail("--always-recreate-deps and --no-recreate are incompatible");
  if (o.renew_anon_volumes && o.no_recreate) return fail("--renew-anon-volumes and --no-recreate are incompatible");
  if (o.detach && (o.abort_on_container_exit || !o.exit_code_from.empty()))
    return fail("--abort-on-container-exit and --exit-code-from are incompatible with --detach");

  compose::LoadedProject loaded = BRICK_TRY(load(load_options(ctx.compose, o.services)));
  const compose::Project& project = loaded.project;
  if (!o.exit_code_from.empty() && !project.services.contains(o.exit_code_from))
    return fail("no such service: " + o.exit_code_from);
  orchestrator::PlanOptions options;
  options.services = o.services;
  options.no_deps = o.no_deps;
  // As compose: fresh anonymous volumes need fresh containers.
  options.force_recreate = o.force_recreate || o.renew_anon_volumes;
  options.always_recreate_deps = o.always_recreate_deps;
  options.no_recreate = o.no_recreate;
  options.remove_orphans = o.remove_orphans;
  options.start = !(o.create_only || o.no_start);
  options.scale = BRICK_TRY(parse_scale(o.scale));

  std::map<std::string, images::ImageInfo> images = BRICK_TRY(resolve_images(project, ctx.global));
  for (const auto& [service, info] : images) options.image_ids[service] = info.id;
  if (o.dry_run) {
    orchestrator::Observed observed = BRICK_TRY(orchestrator::observe(ctx.global.root, ctx.global.run_root));
    orchestrator::Plan plan = BRICK_TRY(orchestrator::reconcile(project, observed, options));
    return dry_run(project, plan, images);
  }
  {
    FileLock lock = BRICK_TRY(orchestrator::lock_project(ctx.global.run_root, project.name));
    orchestrator::Observed observed = BRICK_TRY(orchestrator::observe(ctx.global.root, ctx.global.run_root));
    orchestrator::Plan plan = BRICK_TRY(orchestrator::reconcile(project, observed, options));
    for (const auto& w : plan.warnings) spdlog::warn("WARN: {}", w);
    orchestrator::ExecuteOptions eo;
    eo.root = ctx.global.root;
    eo.run_root = ctx.global.run_root;
    eo.version = BRICK_VERSION;
    eo.parallel = BRICK_TRY(parallel_limit(ctx.compose));
    eo.timeout = o.timeout;
    eo.no_deps = o.no_deps;
    eo.renew_anon_volumes = o.renew_anon_volumes;
    eo.progress = progress_printer();
    attach_since_ = runtime::now_unix_nanos();
    BRICK_TRY(orchestrator::execute(project, plan, eo));
  }
  if (!options.start) return {};
  if (o.wait) {
    runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
    BRICK_TRY(wait_for_services(store, project.name, o.services, o.wait_timeout));
  }
  if (o.detach || o.wait) return {};
  return attach(o, project, ctx.global, ctx);
}

void add_shared_flags(CLI::App* cmd, UpOptions& o) {
  cmd->add_flag("--dry-run", o.dry_run, "Print the plan and change nothing");
  cmd->add_flag("--force-recreate", o.force_recreate,
                "Recreate containers even if their configuration and image haven't changed");
  cmd->add_flag("--no-recreate", o.no_recreate, "If containers already exist, don't recreate them");
  cmd->add_flag("-V,--renew-anon-volumes", o.renew_anon_volumes,
                "Recreate anonymous volumes instead of retrieving data from the previous containers");
  cmd->add_flag("--remove-orphans", o.remove_orphans, "Remove containers for services not defined in the Compose file");
  cmd->add_option("--scale", o.scale,
                  "Scale SERVICE to NUM instances. Overrides the `scale` setting in the "
                  "Compose file if present.")
      ->type_name("scale")
      ->allow_extra_args(false);  // one SERVICE=N per --scale, so SERVICE... can follow
  cmd->add_option("SERVICE", o.services, "Services to act on (and what they depend on)");
}

}  // namespace

void add_up_commands(CLI::App& compose_cmd, Context& ctx) {
  auto up = std::make_shared<UpOptions>();
  CLI::App* cmd = compose_cmd.add_subcommand("up", "Create and start containers");
  add_shared_flags(cmd, *up);
  cmd->add_flag("-d,--detach", up->detach, "Detached mode: Run containers in the background");
  cmd->add_flag("--wait", up->wait, "Wait for services to be running|healthy. Implies detached mode.");
  cmd->add_option("--wait-timeout", up->wait_timeout,
                  "Maximum duration in seconds to wait for the project to be "
                  "running|healthy")
      ->type_name("int");
  cmd->add_option("-t,--timeout", up->timeout,
                  "Use this timeout in seconds for container shutdown when attached or "
                  "when containers are already running")
      ->type_name("int");
  cmd->add_flag("--always-recreate-deps", up->always_recreate_deps,
                "Recreate dependent containers. Incompatible with --no-recreate.");
  cmd->add_flag("--no-deps", up->no_deps, "Don't start linked services");
  cmd->add_flag("--no-start", up->no_start, "Don't start the services after creating them");
  cmd->add_flag("--abort-on-container-exit", up->abort_on_container_exit,
                "Stops all containers if any container was stopped. Incompatible with -d");
  cmd->add_option("--exit-code-from", up->exit_code_from,
                  "Return the exit code of the selected service container. Implies --abort-on-container-exit")
      ->type_name("string");
  cmd->add_flag("--no-color", up->no_color, "Produce monochrome output");
  cmd->add_flag("--no-log-prefix", up->no_log_prefix, "Don't print prefix in logs");
  cmd->callback([up, &ctx] { ctx.action = [up, &ctx] { return run_up(*up, ctx); }; });

  auto create = std::make_shared<UpOptions>();
  create->create_only = true;
  CLI::App* ccmd = compose_cmd.add_subcommand("create", "Creates containers for a service");
  add_shared_flags(ccmd, *create);
  ccmd->callback([create, &ctx] { ctx.action = [create, &ctx] { return run_up(*create, ctx); }; });
}

}  // namespace brick::cli
