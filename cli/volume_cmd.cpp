#include "cli/volume_cmd.hpp"

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/help.hpp"
#include "cli/output.hpp"
#include "runtime/container_store.hpp"
#include "volumes/mounts.hpp"
#include "volumes/volume_store.hpp"

namespace brick::cli {
namespace {

using volumes::VolumeStore;

struct VolumeOptions {
  std::string driver = "local";
  std::vector<std::string> opts;
  std::vector<std::string> labels;
  std::vector<std::string> filters;
  std::vector<std::string> names;
  std::string format;
  bool quiet = false;
  bool force = false;
  bool all = false;
  volumes::InUse in_use;  // filled by rm and prune from the container records
};

// A volume is in use while a container record (running or not) names it,
// as docker refuses to remove a volume of a stopped container.
Result<volumes::InUse> volumes_in_use(const Context& ctx) {
  runtime::ContainerStore containers = BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
  std::vector<std::string> used;
  for (const runtime::ContainerState& c : BRICK_TRY(containers.list()))
    used.insert(used.end(), c.volumes.begin(), c.volumes.end());
  return volumes::in_use_by(used);
}

Result<volumes::Options> parse_pairs(const std::vector<std::string>& pairs, const char* flag) {
  volumes::Options out;
  for (const auto& p : pairs) {
    auto eq = p.find('=');
    if (eq == 0 || (eq == std::string::npos && std::string(flag) == "--opt"))
      return fail("invalid " + std::string(flag) + " `" + p + "`: expected KEY=VALUE");
    out[p.substr(0, eq)] = eq == std::string::npos ? "" : p.substr(eq + 1);
  }
  return out;
}

Status run_create(const VolumeOptions& o, VolumeStore& store) {
  if (o.driver != "local") return fail("volume driver `" + o.driver + "` is not supported; brick has only `local`");
  auto opts = BRICK_TRY(parse_pairs(o.opts, "--opt"));
  auto labels = BRICK_TRY(parse_pairs(o.labels, "--label"));
  volumes::Volume v = o.names.empty() ? BRICK_TRY(store.create_anonymous(opts, labels))
                                      : BRICK_TRY(store.create(o.names[0], opts, labels));
  std::cout << v.name << "\n";
  return {};
}

Status run_ls(const VolumeOptions& o, VolumeStore& store) {
  std::vector<std::string> label_filters;
  std::vector<std::string> name_filters;
  for (const auto& f : o.filters) {
    if (f.starts_with("label="))
      label_filters.push_back(f.substr(6));
    else if (f.starts_with("name="))
      name_filters.push_back(f.substr(5));
    else
      return fail("unsupported --filter `" + f + "`: use label=KEY[=VALUE] or name=NAME");
  }
  auto all = BRICK_TRY(store.list(label_filters));
  std::vector<volumes::Volume> vols;
  for (auto& v : all) {
    bool keep = name_filters.empty();
    for (const auto& n : name_filters) keep = keep || v.name.find(n) != std::string::npos;
    if (keep) vols.push_back(std::move(v));
  }
  if (o.quiet) {
    for (const auto& v : vols) std::cout << v.name << "\n";
    return {};
  }
  if (o.format == "json") {
    for (const auto& v : vols) {
      std::string labels;
      for (const auto& [k, val] : v.labels) labels += (labels.empty() ? "" : ",") + k + "=" + val;
      nlohmann::json j = {{"Availability", "N/A"}, {"Driver", v.driver}, {"Group", "N/A"},
                          {"Labels", labels},      {"Links", "N/A"},     {"Mountpoint", v.mountpoint},
                          {"Name", v.name},        {"Scope", "local"},   {"Size", "N/A"},
                          {"Status", "N/A"}};
      std::cout << j.dump() << "\n";
    }
    return {};
  }
  if (!o.format.empty() && o.format != "table") return fail("unknown --format `" + o.format + "` (table or json)");
  size_t width = 8;
  std::cout << "DRIVER" << std::string(width + 2 - 6, ' ') << "VOLUME NAME\n";
  for (const auto& v : vols) std::cout << v.driver << std::string(width + 2 - v.driver.size(), ' ') << v.name << "\n";
  return {};
}

Status run_inspect(const VolumeOptions& o, VolumeStore& store) {
  nlohmann::json out = nlohmann::json::array();
  Status status;
  for (const auto& name : o.names) {
    auto v = store.get(name);
    if (!v) {
      if (!status) std::cerr << "brick: " << status.error().full() << "\n";
      status = fail(std::move(v).error());
      continue;
    }
    out.push_back(nlohmann::json::parse(volumes::to_inspect_json(*v), nullptr, false));
  }
  std::cout << out.dump(4) << "\n";
  return status;
}

Status run_rm(const VolumeOptions& o, VolumeStore& store) {
  Status status;
  for (const auto& name : o.names) {
    auto s = store.remove(name, o.force, o.in_use);
    if (!s) {
      if (!status) std::cerr << "brick: " << status.error().full() << "\n";
      status = std::move(s);
      continue;
    }
    std::cout << name << "\n";
  }
  return status;
}

Status run_prune(const VolumeOptions& o, VolumeStore& store) {
  auto report = BRICK_TRY(store.prune(o.in_use, o.all));
  if (!report.deleted.empty()) {
    std::cout << "Deleted Volumes:\n";
    for (const auto& n : report.deleted) std::cout << n << "\n";
    std::cout << "\n";
  }
  std::cout << "Total reclaimed space: " << human_size(static_cast<double>(report.reclaimed_bytes)) << "\n";
  return {};
}

}  // namespace

CLI::App* add_volume_command(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand("volume", "Manage volumes");
  auto o = std::make_shared<VolumeOptions>();
  auto on = [o, &ctx](CLI::App* sub, Status (*fn)(const VolumeOptions&, VolumeStore&)) {
    sub->callback([o, &ctx, fn] {
      ctx.action = [o, &ctx, fn]() -> Status {
        VolumeStore store = BRICK_TRY(VolumeStore::open(ctx.global.root));
        o->in_use = BRICK_TRY(volumes_in_use(ctx));
        return fn(*o, store);
      };
    });
  };

  auto* create = cmd->add_subcommand("create", "Create a volume");
  create->add_option("-d,--driver", o->driver, "Specify volume driver name")->type_name("string");
  create->add_option("-o,--opt", o->opts, "Set driver specific options (type, device, o)")->type_name("map");
  create->add_option("--label", o->labels, "Set metadata for a volume")->type_name("list");
  create->add_option("name", o->names, "VOLUME (random when omitted)")->expected(0, 1);
  on(create, [](const VolumeOptions& opt, VolumeStore& s) { return run_create(opt, s); });

  auto* ls = cmd->add_subcommand("ls", "List volumes");
  ls->alias("list");
  ls->add_option("-f,--filter", o->filters, "Provide filter values (label=KEY[=VALUE], name=NAME)")
      ->type_name("filter");
  ls->add_option("--format", o->format, "Format output using \"table\" or \"json\"")->type_name("string");
  ls->add_flag("-q,--quiet", o->quiet, "Only display volume names");
  on(ls, [](const VolumeOptions& opt, VolumeStore& s) { return run_ls(opt, s); });

  auto* inspect = cmd->add_subcommand("inspect", "Display detailed information on one or more volumes");
  inspect->add_option("names", o->names, "VOLUME...")->required();
  on(inspect, [](const VolumeOptions& opt, VolumeStore& s) { return run_inspect(opt, s); });

  auto* rm = cmd->add_subcommand("rm", "Remove one or more volumes");
  rm->alias("remove");
  rm->add_flag("-f,--force", o->force, "Do not fail on volumes that do not exist (in-use ones are kept)");
  rm->add_option("names", o->names, "VOLUME...")->required();
  on(rm, [](const VolumeOptions& opt, VolumeStore& s) { return run_rm(opt, s); });

  auto* prune = cmd->add_subcommand("prune", "Remove unused anonymous volumes");
  prune->add_flag("-a,--all", o->all, "Remove all unused volumes, not just anonymous ones");
  prune->add_flag("-f,--force", o->force, "Do not prompt for confirmation (brick never prompts)");
  on(prune, [](const VolumeOptions& opt, VolumeStore& s) { return run_prune(opt, s); });

  show_help_without_subcommand(cmd, ctx);
  return cmd;
}

}  // namespace brick::cli
