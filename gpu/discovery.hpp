// Finding the host's NVIDIA GPUs: NVML first (dlopen, so brick runs and
// builds without the driver), then /proc/driver/nvidia/gpus/*/information,
// then the /dev/nvidiaN nodes. Everything is read under a host root so tests
// point it at a fake tree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace brick::gpu {

struct GpuInfo {
  unsigned index = 0;  // as nvidia-smi numbers them
  std::string uuid;    // GPU-...; "" when unknown (the /dev fallback)
  std::string name;    // model
  std::string pci_bus_id;
  uint64_t memory_total = 0;  // bytes; 0 when unknown (procfs and /dev fallbacks)
  uint64_t memory_free = 0;
  bool mig_enabled = false;
  int minor = -1;  // /dev/nvidia<minor>
};

struct Discovery {
  std::string method;  // "nvml", "procfs", "dev" or "none"
  std::string driver_version;
  std::vector<GpuInfo> gpus;  // by index
  std::string nvml_error;     // why NVML was not used, when it was not
};

// BRICK_HOST_ROOT, or "/" when unset or empty.
std::string host_root();

// Discovers GPUs under `root`. No GPU is not an error (method "none"); a
// driver that is present but answers garbage is.
Result<Discovery> discover_gpus(const std::string& root);

// The pieces, for tests.
Result<Discovery> discover_nvml(const std::string& root);
Result<Discovery> discover_procfs(const std::string& root);
Result<Discovery> discover_dev(const std::string& root);

// NVIDIA's character-device major.
inline constexpr unsigned kNvidiaMajor = 195;

}  // namespace brick::gpu
