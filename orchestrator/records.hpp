// The pure mappings between compose's view and the runtime's records: what a
// DesiredContainer becomes in CreateOptions (and the network and mounts
// records kept beside it), what a container record reads as to the planner,
// and how a depends_on condition reads a dependency's record.
#pragma once

#include <optional>
#include <string>

#include "compose/project.hpp"
#include "net/container_network.hpp"
#include "net/network.hpp"
#include "orchestrator/plan.hpp"
#include "orchestrator/translate.hpp"
#include "runtime/container.hpp"
#include "volumes/container_mounts.hpp"

namespace brick::orchestrator {

// A record's status as the planner sees it; a running status whose monitor
// died reads as exited once observe_container() corrected it.
ObservedStatus observed_state(const runtime::ContainerState& record);
ObservedContainer observed_container(const runtime::ContainerState& record);

// Where a dependency stands for a depends_on condition.
enum class Readiness { waiting, ready, failed };
struct ConditionCheck {
  Readiness readiness = Readiness::waiting;
  std::string reason;  // when failed: "exited with code 1", "is unhealthy", ...
};
// service_started: running (or already exited, as compose accepts);
// service_healthy: health `healthy` (no healthcheck: fails, as compose does);
// service_completed_successfully: exited 0 (another code fails).
ConditionCheck check_condition(const std::string& condition, const runtime::ContainerState& dependency);

// The bridge a compose network becomes: its IPAM's first pool, internal,
// driver_opts, labels plus compose's project and network labels.
Result<net::NetworkSpec> network_spec(const compose::Project& project, const compose::Network& network);

// The network record (ContainerState::extensions["network"]): mode "bridge"
// with the networks in order, "none", "host", or `service:X` as
// "container:<X's first container>".
net::ContainerNetworkConfig network_config(const compose::Project& project, const DesiredContainer& desired,
                                           const std::string& domainname);

// The mounts record (ContainerState::extensions["mounts"]), the volumes it
// creates labelled with the project and the volume's key.
volumes::ContainerMounts container_mounts(const compose::Project& project, const DesiredContainer& desired);

// docker compose's recreate keeps a container's anonymous volumes: each
// anonymous volume request of `desired` whose target `old` had an anonymous
// volume at takes that volume by name. Returns the names taken.
std::vector<std::string> keep_anonymous_volumes(const runtime::ContainerState& old, DesiredContainer& desired);

// Everything but the image's layers, which the caller resolves.
runtime::CreateOptions create_options(const compose::Project& project, const DesiredContainer& desired);

}  // namespace brick::orchestrator
