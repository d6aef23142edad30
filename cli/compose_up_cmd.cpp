#include "cli/compose_up_cmd.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "base/strings.hpp"
#include "cli/compose_cmd.hpp"
#include "cli/output.hpp"
#include "compose/graph.hpp"
#include "images/store.hpp"
#include "net/network.hpp"
#include "orchestrator/plan.hpp"
#include "orchestrator/translate.hpp"
#include "volumes/volume_store.hpp"

namespace brick::cli {
namespace {

struct UpOptions {
  bool create_only = false;  // `compose create`
  bool dry_run = false;
  bool force_recreate = false;
  bool always_recreate_deps = false;
  bool no_recreate = false;
  bool no_deps = false;
  bool no_start = false;
  bool remove_orphans = false;
  std::vector<std::string> scale;
  std::vector<std::string> services;
};

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

// The networks and volumes brick already has under --root. Only read: a dry
// run creates nothing, not even the stores' directories.
Result<orchestrator::Observed> observe(const GlobalOptions& global) {
  orchestrator::Observed observed;
  if (::access((global.root + "/networks").c_str(), F_OK) == 0) {
    auto store = BRICK_TRY(net::NetworkStore::open(global.root, nullptr));
    for (auto& n : BRICK_TRY(store.list())) observed.networks.push_back({n.name, n.labels});
  }
  if (::access((global.root + "/volumes").c_str(), F_OK) == 0) {
    auto store = BRICK_TRY(volumes::VolumeStore::open(global.root));
    for (auto& v : BRICK_TRY(store.list())) observed.volumes.push_back({v.name, v.labels});
  }
  // Container records are not read yet: every container is planned as new.
  return observed;
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

Status run_up(const UpOptions& o, const Context& ctx) {
  const char* command = o.create_only ? "create" : "up";
  if (!o.dry_run)
    return fail(std::string("brick compose ") + command +
                ": only --dry-run is implemented so far; nothing was created");
  if (o.force_recreate && o.no_recreate) return fail("--force-recreate and --no-recreate are incompatible");
  if (o.always_recreate_deps && o.no_recreate) return fail("--always-recreate-deps and --no-recreate are incompatible");

  compose::LoadedProject loaded = BRICK_TRY(load(load_options(ctx.compose, o.services)));
  orchestrator::PlanOptions options;
  options.services = o.services;
  options.no_deps = o.no_deps;
  options.force_recreate = o.force_recreate;
  options.always_recreate_deps = o.always_recreate_deps;
  options.no_recreate = o.no_recreate;
  options.remove_orphans = o.remove_orphans;
  options.start = !(o.create_only || o.no_start);
  options.scale = BRICK_TRY(parse_scale(o.scale));

  std::map<std::string, images::ImageInfo> images = BRICK_TRY(resolve_images(loaded.project, ctx.global));
  for (const auto& [service, info] : images) options.image_ids[service] = info.id;
  orchestrator::Observed observed = BRICK_TRY(observe(ctx.global));
  orchestrator::Plan plan = BRICK_TRY(orchestrator::reconcile(loaded.project, observed, options));
  BRICK_TRY(check_containers(loaded.project, plan, images));
  for (const auto& w : plan.warnings) spdlog::warn("WARN: {}", w);
  std::string text;
  for (const auto& line : split(orchestrator::to_string(plan), '\n'))
    if (!line.empty()) text += "DRY-RUN MODE -  " + line + "\n";
  return emit(text);
}

void add_shared_flags(CLI::App* cmd, UpOptions& o) {
  cmd->add_flag("--dry-run", o.dry_run, "Print the plan and change nothing");
  cmd->add_flag("--force-recreate", o.force_recreate,
                "Recreate containers even if their configuration and image haven't changed");
  cmd->add_flag("--no-recreate", o.no_recreate, "If containers already exist, don't recreate them");
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
  CLI::App* cmd = compose_cmd.add_subcommand(
      "up",
      "Create and start containers. Only --dry-run so far: it prints the plan against brick's networks, "
      "volumes and images, with every container planned as new (container records are not read yet)");
  add_shared_flags(cmd, *up);
  cmd->add_flag("--always-recreate-deps", up->always_recreate_deps,
                "Recreate dependent containers. Incompatible with --no-recreate.");
  cmd->add_flag("--no-deps", up->no_deps, "Don't start linked services");
  cmd->add_flag("--no-start", up->no_start, "Don't start the services after creating them");
  cmd->callback([up, &ctx] { ctx.action = [up, &ctx] { return run_up(*up, ctx); }; });

  auto create = std::make_shared<UpOptions>();
  create->create_only = true;
  CLI::App* ccmd = compose_cmd.add_subcommand(
      "create",
      "Creates containers for a service. Only --dry-run so far: it prints the plan against brick's networks, "
      "volumes and images, with every container planned as new (container records are not read yet)");
  add_shared_flags(ccmd, *create);
  ccmd->callback([create, &ctx] { ctx.action = [create, &ctx] { return run_up(*create, ctx); }; });
}

}  // namespace brick::cli
