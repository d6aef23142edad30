// What a container asks of the network, as plain data the container record
// keeps (runtime's ContainerState::extensions["network"]) so that the
// monitor, at each start, and `rm`/`down`, in any later process, know what to
// set up and undo. `brick run --network/-p/--dns/--add-host` and compose's
// translate both fill it; orchestrator/container_network.cpp carries it out.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "net/ports.hpp"
#include "net/resolv.hpp"

namespace brick::net {

// The key of ContainerState::extensions that holds a ContainerNetworkConfig.
inline constexpr const char* kNetworkExtension = "network";

// One network the container joins.
struct NetworkJoin {
  std::string network;               // a stored network's name
  std::vector<std::string> aliases;  // names it answers to there (compose: the service name, then aliases)
  std::string ipv4_address;          // "" = assigned by IPAM
  std::string mac_address;           // "" = derived from the address (mac_for); else as parse_mac reads it
  int gw_priority = 0;               // compose `gw_priority`: see pick_default_route
  bool operator==(const NetworkJoin&) const = default;
};

struct ContainerNetworkConfig {
  // "none" (only lo), "host" (no network namespace), "bridge" (the networks
  // below), "container:NAME" (another container's namespace: compose's
  // `service:` resolves to it).
  std::string mode = "none";
  // mode "bridge": joined in this order, eth0, eth1, ...; the one
  // pick_default_route names carries the default route.
  std::vector<NetworkJoin> networks;
  std::vector<PortMapping> ports;  // published on the first network's address
  std::string hostname, domainname;
  DnsSpec dns;
  // The address `host-gateway` (kHostGateway) is kept as the word: it
  // becomes the default-route network's gateway once joined (host_gateway).
  std::vector<HostEntry> extra_hosts;
  bool operator==(const ContainerNetworkConfig&) const = default;
};

// Which of `networks` (in join order; internal[i]: whether networks[i] is an
// internal network) carries the default route, as docker picks it: the
// highest gw_priority among the non-internal ones; on a tie the one joined
// first (compose joins by `priority`, then by name). nullopt: all internal.
std::optional<size_t> pick_default_route(const std::vector<NetworkJoin>& networks, const std::vector<bool>& internal);

nlohmann::json to_json(const ContainerNetworkConfig& config);
// Fails, naming the field, on a value of the wrong type or an unknown mode.
Result<ContainerNetworkConfig> container_network_from_json(const nlohmann::json& json);

// The key of ContainerState::extensions that holds a NetworkStatus while
// the container's network is set up (for ps, inspect, port).
inline constexpr const char* kNetworkStatusExtension = "network_status";

// One network as a container joined it.
struct EndpointStatus {
  std::string network, network_id, interface;
  std::string address, gateway, mac;  // "10.89.0.2", "10.89.0.1", "02:42:0a:59:00:02"
  int prefix_length = 0;
  std::vector<std::string> aliases;
  int gw_priority = 0;
  bool default_route = false;  // the container's default route goes via `gateway`
  bool operator==(const EndpointStatus&) const = default;
};

// What a container's network setup made, and what its peers need to list
// it in their /etc/hosts (hence the names and extra hosts it carries).
struct NetworkStatus {
  std::string mode;  // as configured
  std::string name;  // the container's
  std::string hostname, domainname;
  std::vector<HostEntry> extra_hosts;     // `host-gateway` resolved
  std::vector<EndpointStatus> endpoints;  // mode bridge, in join order
  std::vector<PublishedPort> ports;
  std::string netns;  // the namespace joined: a pin, or another container's
  bool operator==(const NetworkStatus&) const = default;
};

nlohmann::json to_json(const NetworkStatus& status);

// What `host-gateway` stands for: the gateway (the bridge's address: the
// host as the container sees it) of the endpoint with the default route,
// else of the first endpoint (only internal networks); "" without any.
std::string host_gateway(const NetworkStatus& status);
Result<NetworkStatus> network_status_from_json(const nlohmann::json& json);

// The /etc/hosts lines `self` gets for its peers: for every network it
// joined, each other container on that network (by network ID) with its
// address there, its aliases, its name and its hostname.
std::vector<HostEntry> peer_entries(const NetworkStatus& self, const std::vector<NetworkStatus>& others);

// The whole /etc/hosts of `self`: localhost, extra hosts, its own addresses
// with its hostname (127.0.0.1 without a network), then peer_entries.
std::string container_hosts_file(const NetworkStatus& self, const std::vector<NetworkStatus>& others);

}  // namespace brick::net
