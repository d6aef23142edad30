#include "orchestrator/release.hpp"

#include "gpu/ledger.hpp"
#include "orchestrator/container_network.hpp"
#include "orchestrator/gpu_grant.hpp"

namespace brick::orchestrator {

Status release_gpus(const std::string& root, const runtime::ContainerState& state) {
  auto it = state.extensions.find(kGpuExtension);
  if (it == state.extensions.end() || !it->is_object()) return {};
  const std::string holder = it->value("holder", "");
  if (holder.empty()) return {};
  BRICK_TRY_CTX(gpu::Ledger(root).release(holder), "releasing the GPUs of `" + holder + "`");
  return {};
}

Status release_container(const std::string& root, const std::string& run_root, runtime::ContainerState& state) {
  Status network = teardown_container_network(root, run_root, state);
  Status gpus = release_gpus(root, state);
  return network ? gpus : network;
}

}  // namespace brick::orchestrator
