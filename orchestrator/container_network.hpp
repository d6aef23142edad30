// A container's network made real: what its record asks for
// (ContainerState::extensions["network"], net/container_network.hpp) turned
// into a network namespace, attachments, published ports and the
// /etc/hosts, /etc/hostname and /etc/resolv.conf it sees; and undone.
//
// The monitor calls setup from its `prepare` hook (once per monitor: a
// restart by the restart policy keeps everything) and teardown from its
// `finished` hook; `rm` calls teardown again for a record whose monitor was
// killed. Files live in the container's run directory:
//
//   <run-root>/containers/<id>/hosts, hostname, resolv.conf   bound into the container
//   <run-root>/containers/<id>/network.json                   the NetworkStatus, while set up:
//                                                             how peers find each other
//   <run-root>/network.lock                                   held while peers' files change
#pragma once

#include <string>

#include "base/error.hpp"
#include "net/container_network.hpp"
#include "net/network.hpp"
#include "runtime/container_store.hpp"
#include "runtime/spec.hpp"

namespace brick::orchestrator {

// The record's network config; mode "none" when it has none.
Result<net::ContainerNetworkConfig> network_config_of(const runtime::ContainerState& state);
// The record's network status, when its network is set up.
std::optional<net::NetworkStatus> network_status_of(const runtime::ContainerState& state);

// Sets up the network `state` asks for and adds its mounts and namespace
// path to `spec`; records what it made in state.extensions (and saves the
// record). Any failure undoes everything made here and names the network
// or port at fault.
Status setup_container_network(const std::string& root, const std::string& run_root, runtime::ContainerState& state,
                               runtime::ContainerSpec& spec);

// Undoes setup from any process: published ports, attachments, the pinned
// namespace, the peers' hosts entries; drops the status from `state`. What
// is already gone is fine; other failures are reported after everything was
// tried.
Status teardown_container_network(const std::string& root, const std::string& run_root, runtime::ContainerState& state);

// For `network rm/prune`: whether any container record joins the network.
net::InUse networks_in_use(const std::string& root, const std::string& run_root);

}  // namespace brick::orchestrator
