// What `compose up` observes and what `down`, `stop`, `start`, `kill` and
// `rm` do to a project's containers, found by their compose labels.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "compose/project.hpp"
#include "orchestrator/execute.hpp"
#include "orchestrator/plan.hpp"
#include "runtime/container_store.hpp"

namespace brick::orchestrator {

// Networks, volumes and container records under `root` (containers as
// observe_container() corrects them). Only reads: a store that does not
// exist yet is not created.
Result<Observed> observe(const std::string& root, const std::string& run_root);

// The project's containers, newest first; one-off (`compose run`) ones only
// when `oneoff`; only those of `services` unless empty.
Result<std::vector<runtime::ContainerState>> project_containers(const runtime::ContainerStore& store,
                                                                const std::string& project,
                                                                const std::vector<std::string>& services = {},
                                                                bool oneoff = false);

// Groups `containers` for stopping: those of services the project does not
// have first, then dependents before what they need (the graph's stop
// levels). Pure.
std::vector<std::vector<runtime::ContainerState>> stop_order(const compose::Project& project,
                                                             std::vector<runtime::ContainerState> containers);
// The reverse, for starting.
std::vector<std::vector<runtime::ContainerState>> start_order(const compose::Project& project,
                                                              std::vector<runtime::ContainerState> containers);

struct StopOptions {
  std::optional<int> timeout;  // -t; none: each container's stop grace period
  int signal = 0;              // 0: each container's stop signal
  bool kill = false;           // send `signal` and do not wait (compose kill)
  size_t parallel = 0;         // containers at once (--parallel, COMPOSE_PARALLEL_LIMIT); 0: no limit
  Progress progress;
};
// Stops (or kills) the groups in order, each group's containers in parallel
// (up to `parallel` at once).
Status stop_groups(const runtime::ContainerStore& store,
                   const std::vector<std::vector<runtime::ContainerState>>& groups, const StopOptions& options);

struct DownOptions {
  bool volumes = false;  // -v: the project's named volumes and the containers' anonymous ones
  bool remove_orphans = false;
  std::optional<int> timeout;
  size_t parallel = 0;  // containers stopped or removed at once; 0: no limit
  Progress progress;
};
// Stops and removes the project's containers in reverse dependency order,
// then its networks and, with `volumes`, its volumes. Whatever a killed `up`
// left half-made (a record without a monitor, a network without containers)
// goes the same way.
Status down(const compose::Project& project, const std::string& root, const std::string& run_root,
            const DownOptions& options);

}  // namespace brick::orchestrator
