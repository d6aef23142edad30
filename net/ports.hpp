// Published ports as docker's `-p` and compose's short and long `ports`
// syntax describe them. Pure parsing; net/nat.hpp makes them real.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace brick::net {

// One container port and where it is published. A host range with a single
// container port ("8000-8010:80") means any one free port of the range.
struct PortMapping {
  std::string host_ip;          // empty: every host address
  uint16_t host_port = 0;       // 0: a random free port
  uint16_t host_port_last = 0;  // > host_port: choose a free one in [host_port, host_port_last]
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp or udp
  bool operator==(const PortMapping&) const = default;
};

// `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO]`, with an IPv6
// host IP in brackets and an empty HOST_PORT meaning random
// ("127.0.0.1::80"). Equal-length ranges pair up port by port
// ("8000-8001:80-81" gives two mappings); a bare container range publishes
// each port on a random host port.
Result<std::vector<PortMapping>> parse_port_spec(std::string_view spec);

// compose's long syntax: target, published (number, range or empty for
// random), host_ip and protocol (empty: tcp).
Result<std::vector<PortMapping>> port_from_long(uint16_t target, std::string_view published, std::string_view host_ip,
                                                std::string_view protocol);

// A mapping as made: the host port is known.
struct PublishedPort {
  std::string host_ip;  // "0.0.0.0" for every address
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string protocol = "tcp";
  bool operator==(const PublishedPort&) const = default;
};

// docker ps's form: "0.0.0.0:8080->80/tcp".
std::string format_published(const PublishedPort& port);

}  // namespace brick::net
