// What a container needs to use the GPUs the ledger gave it: device nodes,
// the driver's libraries and tools bound read-only, and the NVIDIA
// environment, as ContainerEdits. With a CDI spec for nvidia.com/gpu on the
// host, that spec's edits are used instead.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "gpu/discovery.hpp"
#include "gpu/edits.hpp"

namespace brick::gpu {

// compose's capabilities (gpu, compute, utility, graphics, video, display,
// compat32, all) as NVIDIA_DRIVER_CAPABILITIES: `gpu` alone (or nothing)
// means docker's default compute,utility; `all` every one. Unknown names fail.
Result<std::vector<std::string>> driver_capabilities(const std::vector<std::string>& capabilities);

// brick's own injection under `root`: /dev/nvidia<minor> of each chosen GPU
// (major/minor read from root/dev), nvidiactl (required), nvidia-uvm,
// nvidia-uvm-tools and nvidia-modeset (where they exist); the libraries of
// each capability found through root/etc/ld.so.cache (their directories in
// ldconfig_dirs, for the container's ldconfig); nvidia-smi and
// friends for `utility`; NVIDIA_VISIBLE_DEVICES, NVIDIA_DRIVER_CAPABILITIES
// and CUDA_VISIBLE_DEVICES. Fails when `chosen` is empty or a required node
// or library is missing.
Result<ContainerEdits> nvidia_edits(const std::string& root, const std::vector<GpuInfo>& chosen,
                                    const std::vector<std::string>& capabilities);

// The edits for `chosen`: from the host's CDI specs when one defines
// nvidia.com/gpu devices named by index or UUID, else nvidia_edits().
Result<ContainerEdits> gpu_edits(const std::string& root, const std::vector<GpuInfo>& chosen,
                                 const std::vector<std::string>& capabilities);

}  // namespace brick::gpu
