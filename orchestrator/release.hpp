// What a container holds outside its record, given back when it is removed:
// its network (published ports, veths and addresses, the pinned namespace,
// the peers' hosts entries) and its GPUs in the ledger. Its monitor gives
// the network back itself when the container is done; this is for every
// path that removes a record (`rm`, `compose down`, a recreate, `--rm`),
// including records whose monitor was killed. Idempotent.
#pragma once

#include <string>

#include "base/error.hpp"
#include "runtime/container_store.hpp"

namespace brick::orchestrator {

// The GPUs the record's holder (extensions["gpu"]) has in the ledger.
Status release_gpus(const std::string& root, const runtime::ContainerState& state);

// Both, every step tried; the first failure is returned.
Status release_container(const std::string& root, const std::string& run_root, runtime::ContainerState& state);

}  // namespace brick::orchestrator
