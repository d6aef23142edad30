#include "cli/gpu_cmd.hpp"

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "cli/output.hpp"
#include "gpu/discovery.hpp"
#include "gpu/ledger.hpp"

namespace brick::cli {
namespace {

struct GpuOptions {
  std::string format;
};

std::string mib(uint64_t bytes) { return bytes == 0 ? "-" : std::to_string(bytes / (1024 * 1024)) + "MiB"; }

Status run_ls(const GpuOptions& o, const Context& ctx) {
  if (!o.format.empty() && o.format != "table" && o.format != "json")
    return fail("unsupported --format `" + o.format + "`: use \"table\" or \"json\"");
  const std::string root = gpu::host_root();
  gpu::Discovery found = BRICK_TRY_CTX(gpu::discover_gpus(root), "discovering GPUs");
  std::vector<gpu::LedgerEntry> entries = BRICK_TRY(gpu::Ledger(ctx.global.root).entries());
  auto holders_of = [&](const gpu::GpuInfo& g) {
    std::vector<std::string> out;
    for (const gpu::LedgerEntry& e : entries)
      if ((!e.uuid.empty() && !g.uuid.empty()) ? e.uuid == g.uuid : e.index == g.index)
        out.push_back(e.holder + (e.shared ? " (shared)" : ""));
    return out;
  };
  if (o.format == "json") {
    for (const gpu::GpuInfo& g : found.gpus) {
      nlohmann::json j = {{"Index", g.index},
                          {"UUID", g.uuid},
                          {"Name", g.name},
                          {"MemoryTotal", g.memory_total},
                          {"MemoryFree", g.memory_free},
                          {"MIG", g.mig_enabled},
                          {"Holders", holders_of(g)},
                          {"Source", found.method}};
      std::cout << j.dump() << "\n";
    }
    return {};
  }
  std::vector<std::vector<std::string>> rows = {{"INDEX", "NAME", "UUID", "MEMORY", "FREE", "HOLDER"}};
  for (const gpu::GpuInfo& g : found.gpus) {
    std::vector<std::string> holders = holders_of(g);
    rows.push_back({std::to_string(g.index), g.name, g.uuid.empty() ? "-" : g.uuid, mib(g.memory_total),
                    mib(g.memory_free), holders.empty() ? "-" : join(holders, ", ")});
  }
  std::cout << table(rows);
  return {};
}

}  // namespace

CLI::App* add_gpu_command(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand("gpu", "Manage GPUs");
  auto o = std::make_shared<GpuOptions>();
  auto* ls = cmd->add_subcommand("ls", "List the host's GPUs and which container holds each");
  ls->add_option("--format", o->format, "Format output using \"table\" or \"json\"")->type_name("string");
  ls->callback([o, &ctx] { ctx.action = [o, &ctx] { return run_ls(*o, ctx); }; });
  return cmd;
}

}  // namespace brick::cli
