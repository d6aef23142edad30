// What a container asks of the network, as plain data the container record
// keeps (runtime's ContainerState::extensions["network"]) so that the
// monitor, at each start, and `rm`/`down`, in any later process, know what to
// set up and undo. `brick run --network/-p/--dns/--add-host` and compose's
// translate both fill it; cli/container_network.cpp carries it out.
#pragma once

#include <nlohmann/json_fwd.hpp>
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
  std::string mac_address;           // "" = derived from the address
  bool operator==(const NetworkJoin&) const = default;
};

struct ContainerNetworkConfig {
  // "none" (only lo), "host" (no network namespace), "bridge" (the networks
  // below), "container:NAME" (another container's namespace: compose's
  // `service:` resolves to it).
  std::string mode = "none";
  // mode "bridge": joined in this order, eth0, eth1, ...; the first
  // non-internal one carries the default route.
  std::vector<NetworkJoin> networks;
  std::vector<PortMapping> ports;  // published on the first network's address
  std::string hostname, domainname;
  DnsSpec dns;
  std::vector<HostEntry> extra_hosts;  // `host-gateway` already replaced
  bool operator==(const ContainerNetworkConfig&) const = default;
};

nlohmann::json to_json(const ContainerNetworkConfig& config);
// Fails, naming the field, on a value of the wrong type or an unknown mode.
Result<ContainerNetworkConfig> container_network_from_json(const nlohmann::json& json);

}  // namespace brick::net
