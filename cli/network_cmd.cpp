#include "cli/network_cmd.hpp"

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "cli/help.hpp"
#include "cli/output.hpp"
#include "net/network.hpp"
#include "orchestrator/container_network.hpp"

namespace brick::cli {
namespace {

using net::NetworkStore;

struct NetworkOptions {
  net::NetworkSpec spec;
  std::vector<std::string> labels;   // k=v
  std::vector<std::string> options;  // k=v
  std::vector<std::string> aux;      // name=ip
  std::vector<std::string> names;
  std::string format;
  bool quiet = false;
  bool force = false;
  net::InUse in_use;  // whether a container record joins a network
};

Result<std::map<std::string, std::string>> key_values(const std::vector<std::string>& items, const char* flag) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == 0) return fail(std::string(flag) + " `" + item + "`: the key is empty; use KEY=VALUE");
    // docker accepts a bare label key as an empty value.
    if (eq == std::string::npos)
      out[item] = "";
    else
      out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

Status run_create(NetworkOptions& o, NetworkStore& store) {
  net::NetworkSpec spec = o.spec;
  if (o.names.size() != 1) return fail("`brick network create` takes exactly one NAME");
  spec.name = o.names.front();
  spec.labels = BRICK_TRY(key_values(o.labels, "--label"));
  spec.options = BRICK_TRY(key_values(o.options, "--opt"));
  spec.aux_addresses = BRICK_TRY(key_values(o.aux, "--aux-address"));
  auto network = BRICK_TRY(store.create(spec));
  std::cout << network.id << "\n";
  return {};
}

Status run_ls(const NetworkOptions& o, const NetworkStore& store) {
  auto networks = BRICK_TRY(store.list());
  if (o.quiet) {
    for (const auto& n : networks) std::cout << n.id.substr(0, 12) << "\n";
    return {};
  }
  if (o.format == "json") {
    for (const auto& n : networks) {
      std::vector<std::string> labels;
      for (const auto& [k, v] : n.labels) labels.push_back(k + "=" + v);
      nlohmann::json j = {{"CreatedAt", n.created},
                          {"Driver", n.driver},
                          {"ID", n.id.substr(0, 12)},
                          {"IPv6", "false"},
                          {"Internal", n.internal ? "true" : "false"},
                          {"Labels", join(labels, ",")},
                          {"Name", n.name},
                          {"Scope", "local"}};
      std::cout << j.dump() << "\n";
    }
    return {};
  }
  if (!o.format.empty() && o.format != "table") return fail("unknown --format `" + o.format + "` (table or json)");
  std::vector<std::vector<std::string>> rows = {{"NETWORK ID", "NAME", "DRIVER", "SCOPE"}};
  for (const auto& n : networks) rows.push_back({n.id.substr(0, 12), n.name, n.driver, "local"});
  std::cout << table(rows);
  return {};
}

Status run_inspect(const NetworkOptions& o, const NetworkStore& store) {
  nlohmann::json out = nlohmann::json::array();
  Status status;
  for (const auto& name : o.names) {
    auto n = store.get(name);
    if (!n) {
      if (!status) std::cerr << "brick: " << status.error().full() << "\n";
      status = fail(n.error());
      continue;
    }
    out.push_back(net::inspect_json(*n));
  }
  std::cout << out.dump(4) << "\n";
  return status;
}

Status run_rm(const NetworkOptions& o, NetworkStore& store) {
  Status status;
  for (const auto& name : o.names) {
    auto removed = store.remove(name, o.in_use);
    if (!removed) {
      if (!status) std::cerr << "brick: " << status.error().full() << "\n";
      status = fail(removed.error());
      continue;
    }
    std::cout << *removed << "\n";
  }
  return status;
}

Status run_prune(const NetworkOptions& o, NetworkStore& store) {
  auto removed = BRICK_TRY(store.prune(o.in_use));
  if (!removed.empty()) {
    std::cout << "Deleted Networks:\n";
    for (const auto& name : removed) std::cout << name << "\n";
  }
  return {};
}

}  // namespace

CLI::App* add_network_command(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand("network", "Manage networks");
  auto o = std::make_shared<NetworkOptions>();
  // Each subcommand leaves an action that opens the store under --root.
  auto on = [o, &ctx](CLI::App* sub, Status (*fn)(NetworkOptions&, NetworkStore&)) {
    sub->callback([o, &ctx, fn] {
      ctx.action = [o, &ctx, fn]() -> Status {
        NetworkStore store = BRICK_TRY(NetworkStore::open(ctx.global.root, net::kernel_host(ctx.global.run_root)));
        o->in_use = orchestrator::networks_in_use(ctx.global.root, ctx.global.run_root);
        return fn(*o, store);
      };
    });
  };

  auto* create = cmd->add_subcommand("create", "Create a network");
  create->add_option("-d,--driver", o->spec.driver, "Driver to manage the Network (only \"bridge\")")
      ->type_name("string");
  create->add_option("--subnet", o->spec.subnet, "Subnet in CIDR format that represents a network segment")
      ->type_name("string");
  create->add_option("--gateway", o->spec.gateway, "IPv4 Gateway for the master subnet")->type_name("string");
  create->add_option("--ip-range", o->spec.ip_range, "Allocate container ip from a sub-range")->type_name("string");
  create->add_option("--aux-address", o->aux, "Auxiliary IPv4 addresses used by Network driver")->type_name("map");
  create->add_flag("--internal", o->spec.internal, "Restrict external access to the network");
  create->add_option("--label", o->labels, "Set metadata on a network")->type_name("list");
  create->add_option("-o,--opt", o->options, "Set driver specific options")->type_name("map");
  create->add_option("name", o->names, "NETWORK")->required()->expected(1);
  on(create, [](NetworkOptions& opt, NetworkStore& s) { return run_create(opt, s); });

  auto* ls = cmd->add_subcommand("ls", "List networks");
  ls->alias("list");
  ls->add_option("--format", o->format, "Format output using \"table\" or \"json\"")->type_name("string");
  ls->add_flag("-q,--quiet", o->quiet, "Only display network IDs");
  on(ls, [](NetworkOptions& opt, NetworkStore& s) { return run_ls(opt, s); });

  auto* inspect = cmd->add_subcommand("inspect", "Display detailed information on one or more networks");
  inspect->add_option("names", o->names, "NETWORK...")->required();
  on(inspect, [](NetworkOptions& opt, NetworkStore& s) { return run_inspect(opt, s); });

  auto* rm = cmd->add_subcommand("rm", "Remove one or more networks");
  rm->alias("remove");
  rm->add_option("names", o->names, "NETWORK...")->required();
  on(rm, [](NetworkOptions& opt, NetworkStore& s) { return run_rm(opt, s); });

  auto* prune = cmd->add_subcommand("prune", "Remove all unused networks");
  prune->add_flag("-f,--force", o->force, "Do not prompt for confirmation (brick never prompts)");
  on(prune, [](NetworkOptions& opt, NetworkStore& s) { return run_prune(opt, s); });

  show_help_without_subcommand(cmd, ctx);
  return cmd;
}

}  // namespace brick::cli
