#include "orchestrator/gpu_grant.hpp"

#include <algorithm>

#include "base/strings.hpp"
#include "engine/spec_options.hpp"
#include "gpu/cdi.hpp"
#include "gpu/inject.hpp"
#include "orchestrator/release.hpp"
#include "runtime/container.hpp"

namespace brick::orchestrator {

namespace {

// nvidia-ctk's CDI specs ask for `nvidia-ctk hook update-ldcache --folder
// DIR` (newer: `nvidia-cdi-hook update-ldcache`): what spawn does itself for
// ld_library_dirs. Returns whether `hook` is that one, its folders added.
bool take_update_ldcache(const gpu::Hook& hook, std::vector<std::string>& dirs) {
  if (hook.hook_name != "createContainer") return false;
  auto verb = std::find(hook.args.begin(), hook.args.end(), "update-ldcache");
  if (verb == hook.args.end()) return false;
  for (auto it = verb + 1; it != hook.args.end(); ++it) {
    std::string dir;
    if (*it == "--folder" && it + 1 != hook.args.end())
      dir = *++it;
    else if (it->starts_with("--folder="))
      dir = it->substr(9);
    if (!dir.empty() && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  return true;
}

// The spec's list for a CDI hookName (gpu/cdi.cpp accepts only these).
std::vector<runtime::Hook>& hook_list(runtime::Hooks& hooks, const std::string& name) {
  if (name == "prestart") return hooks.prestart;
  if (name == "createRuntime") return hooks.create_runtime;
  if (name == "createContainer") return hooks.create_container;
  if (name == "startContainer") return hooks.start_container;
  if (name == "poststart") return hooks.poststart;
  return hooks.poststop;
}

}  // namespace

void apply_edits(const gpu::ContainerEdits& edits, runtime::ContainerSpec& spec) {
  for (const gpu::DeviceNode& n : edits.device_nodes) {
    runtime::LinuxDevice d;
    d.path = n.path;
    d.type = n.type;
    d.major = n.major;
    d.minor = n.minor;
    d.file_mode = n.file_mode;
    d.uid = n.uid;
    d.gid = n.gid;
    if (std::find(spec.linux.devices.begin(), spec.linux.devices.end(), d) == spec.linux.devices.end())
      spec.linux.devices.push_back(d);
    spec.linux.resources.devices.push_back({true, n.type, n.major, n.minor, n.permissions});
  }
  for (const gpu::MountEdit& m : edits.mounts) {
    std::vector<std::string> options = m.options;
    const bool bind = m.type.empty() || m.type == "bind";
    if (bind && std::find(options.begin(), options.end(), "bind") == options.end() &&
        std::find(options.begin(), options.end(), "rbind") == options.end())
      options.push_back("bind");
    spec.mounts.push_back({m.container_path, bind ? "bind" : m.type, m.host_path, options});
  }
  for (const std::string& e : edits.env) set_env(spec.process.env, e);
  for (uint32_t gid : edits.additional_gids)
    if (std::find(spec.process.user.additional_gids.begin(), spec.process.user.additional_gids.end(), gid) ==
        spec.process.user.additional_gids.end())
      spec.process.user.additional_gids.push_back(gid);
  for (const std::string& dir : edits.ldconfig_dirs)
    if (std::find(spec.ld_library_dirs.begin(), spec.ld_library_dirs.end(), dir) == spec.ld_library_dirs.end())
      spec.ld_library_dirs.push_back(dir);
  for (const gpu::Hook& h : edits.hooks) {
    if (take_update_ldcache(h, spec.ld_library_dirs)) continue;
    runtime::Hook hook{h.path, h.args, h.env, h.timeout};
    std::vector<runtime::Hook>& list = hook_list(spec.hooks, h.hook_name);
    if (std::find(list.begin(), list.end(), hook) == list.end()) list.push_back(std::move(hook));
  }
}

Result<GpuGrant> grant_gpus(const std::string& root, const std::string& host_root,
                            const std::vector<gpu::GpuRequest>& requests, const std::vector<std::string>& cdi_devices,
                            runtime::ContainerSpec& spec, const gpu::HolderAlive& alive) {
  GpuGrant grant;
  if (requests.empty() && cdi_devices.empty()) return grant;
  // Everything that can fail without reserving first: discovery, CDI names.
  gpu::ContainerEdits edits;
  if (!cdi_devices.empty()) {
    gpu::CdiRegistry registry = BRICK_TRY(gpu::CdiRegistry::load(host_root));
    edits.append(BRICK_TRY(registry.resolve(cdi_devices)));
  }
  std::vector<gpu::GpuInfo> gpus;
  if (!requests.empty()) gpus = BRICK_TRY(gpu::discover_gpus(host_root)).gpus;

  gpu::Ledger ledger(root);
  std::vector<std::string> holders;
  auto release = [&] {
    for (const std::string& h : holders) (void)ledger.release(h);
  };
  for (const gpu::GpuRequest& request : requests) {
    auto chosen = ledger.reserve(gpus, request, alive);
    if (!chosen) {
      release();
      return fail(std::move(chosen).error());
    }
    if (std::find(holders.begin(), holders.end(), request.holder) == holders.end()) holders.push_back(request.holder);
    auto caps = gpu::driver_capabilities(request.capabilities);
    auto more = caps ? gpu::gpu_edits(host_root, *chosen, *caps) : Result<gpu::ContainerEdits>(fail(caps.error()));
    if (!more) {
      release();
      return fail(std::move(more).error());
    }
    edits.append(*more);
    grant.gpus.insert(grant.gpus.end(), chosen->begin(), chosen->end());
  }
  apply_edits(edits, spec);
  return grant;
}

Status grant_container_devices(const std::string& root, const std::string& run_root,
                               const runtime::ContainerStore& store, const DesiredContainer& d,
                               runtime::ContainerState& state) {
  if (d.gpus.empty() && d.cdi_devices.empty() && d.devices.empty()) return {};
  auto undo = [&](Error e) -> Status {
    (void)runtime::remove_container(store, state.id, true);
    (void)release_container(root, run_root, state);
    return fail(std::move(e));
  };
  auto spec = store.load_spec(state.id);
  if (!spec) return undo(std::move(spec).error());
  if (auto s = engine::with_devices(*spec, d.devices); !s)
    return undo(std::move(s).error().context("service `" + d.service + "`"));
  auto alive = [&store](const std::string& holder) {
    return static_cast<bool>(store.find(holder.substr(holder.rfind('/') + 1)));
  };
  auto grant = grant_gpus(root, gpu::host_root(), d.gpus, d.cdi_devices, *spec, alive);
  if (!grant) return undo(std::move(grant).error());
  if (!d.gpus.empty()) state.extensions[kGpuExtension] = {{"holder", d.gpus.front().holder}};
  Status saved = store.save_spec(state.id, *spec);
  if (saved) saved = store.save(state);
  if (!saved) {
    if (!d.gpus.empty()) (void)gpu::Ledger(root).release(d.gpus.front().holder);
    return undo(std::move(saved).error());
  }
  return {};
}

}  // namespace brick::orchestrator
