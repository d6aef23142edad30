// Giving a container its GPUs: reserve them in the ledger, then apply what
// using them means (gpu/'s ContainerEdits, from the host's CDI specs or
// brick's own NVIDIA injection) to its ContainerSpec. `brick run --gpus` and
// `compose up` both come through here.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "gpu/discovery.hpp"
#include "gpu/edits.hpp"
#include "gpu/ledger.hpp"
#include "orchestrator/translate.hpp"
#include "runtime/container_store.hpp"
#include "runtime/spec.hpp"

namespace brick::orchestrator {

// The key of ContainerState::extensions holding {"holder": "..."}: whose
// ledger entries go when the container is removed.
inline constexpr const char* kGpuExtension = "gpu";

// Device nodes into linux.devices and the device cgroup's allow-list, mounts
// as read-only-as-given binds, env replacing same-named keys, additional
// gids, library directories into ld_library_dirs (for the container's
// ldconfig; also those of an nvidia-ctk `update-ldcache` createContainer
// hook, which brick does itself), every other CDI hook into the spec's hooks
// of its hookName (spawn and the monitor run them).
void apply_edits(const gpu::ContainerEdits& edits, runtime::ContainerSpec& spec);

struct GpuGrant {
  std::vector<gpu::GpuInfo> gpus;  // every GPU reserved, in request order
};

// Reserves each request (its holder names the container) among the GPUs
// found under `host_root`, applies their edits and those of the CDI device
// names `cdi_devices` to `spec`. Fails before changing anything on a host
// without a matching GPU or CDI device; a later failure releases what this
// call reserved.
Result<GpuGrant> grant_gpus(const std::string& root, const std::string& host_root,
                            const std::vector<gpu::GpuRequest>& requests, const std::vector<std::string>& cdi_devices,
                            runtime::ContainerSpec& spec, const gpu::HolderAlive& alive);

// A created container's `devices:` and GPUs (d.devices, d.gpus under their
// holder, d.cdi_devices) granted and written into its stored spec, the
// holder into its record, so removing it frees them. A failure removes the
// container and what it reserved: nothing of it is left. `compose up` and
// `compose run` both come through here.
Status grant_container_devices(const std::string& root, const std::string& run_root,
                               const runtime::ContainerStore& store, const DesiredContainer& d,
                               runtime::ContainerState& state);

}  // namespace brick::orchestrator
