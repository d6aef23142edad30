// Outbound NAT, network isolation and published ports in a brick-owned
// nftables table (`ip brick`), through libnftables.
//
// Every owner has its own base chains, named from a hash of what owns them,
// so removing an owner's rules is deleting its chains: no rule handles to
// remember between brick invocations, and a later process (after a kill -9)
// removes them by name. The table goes when its last chain does.
//
//   network N (bridge B, subnet S):
//     chain n_<h>_post  nat postrouting:  ip saddr S oifname != B masquerade   (not internal)
//                                         oifname B ip saddr 127.0.0.0/8 masquerade
//     chain n_<h>_fwd   filter forward:   internal: drop B <-> anything else
//                                         else: drop B -> any other brick bridge
//     chain n_<h>_raw   filter prerouting (raw, -300):
//                                         iifname B ip daddr 127.0.0.0/8 drop
//                                         iifname B ip saddr 127.0.0.0/8 drop
//     element B of set `bridges`
//   published ports of owner O (a container):
//     chain p_<h>_pre / p_<h>_out  nat prerouting / output:
//       [ip daddr IP | fib daddr type local] tcp dport HP dnat to C:CP
//
// 127.0.0.1:PORT works by DNAT in the output hook: the rerouted packet keeps
// its 127.0.0.1 source, which the kernel drops as martian unless the bridge
// has route_localnet=1, and which the container could not answer, hence the
// masquerade of 127.0.0.0/8 towards the bridge (docker does the same with
// its userland proxy disabled). No proxy process sits in the data path.
// route_localnet also makes the host accept frames from the bridge addressed
// to 127.0.0.1 (CVE-2020-8558: a container with NET_RAW reaches services
// bound to the host's loopback), hence the raw chain's drops, and internal
// networks get route_localnet only once a port is published on them.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/file.hpp"
#include "net/ipam.hpp"
#include "net/network.hpp"
#include "net/ports.hpp"

namespace brick::net {

inline constexpr const char* kNatTable = "brick";

// Owns a network's NAT and isolation rules (and, unless internal, turns on
// IPv4 forwarding and the bridge's route_localnet). Removes them when
// destroyed unless keep().
class NetworkNat {
 public:
  // Idempotent: a second setup of the same network replaces its rules.
  static Result<NetworkNat> setup(const std::string& run_root, const Network& network);
  NetworkNat(NetworkNat&& other) noexcept;
  NetworkNat& operator=(NetworkNat&&) = delete;
  ~NetworkNat();
  void keep() { active_ = false; }
  Status remove();

 private:
  NetworkNat(std::string run_root, std::string bridge) : run_root_(std::move(run_root)), bridge_(std::move(bridge)) {}
  std::string run_root_, bridge_;
  bool active_ = true;
};

// Removes a network's rules from any process; rules already gone are fine.
Status teardown_network_nat(const std::string& run_root, const std::string& bridge);

// Sets route_localnet=1 on `bridge`, which a port published there needs to
// answer the host's 127.0.0.1 (see above). Idempotent; call it before
// publishing on a network that NetworkNat::setup left without it (internal).
Status allow_loopback_publishing(const std::string& bridge);

// Owns the published ports of one owner (a container name): the DNAT rules
// and the reservations under `<run_root>/ports/` that stop two containers
// from taking one host port.
class PortForwards {
 public:
  // Checks every host port first (a port another process listens on, or
  // another brick container holds, is an error naming it), chooses random
  // and ranged ports, then adds the rules in one transaction. On failure
  // nothing is left. Only IPv4 host addresses.
  static Result<PortForwards> publish(const std::string& run_root, const std::string& owner, Ipv4 container,
                                      const std::vector<PortMapping>& mappings);
  PortForwards(PortForwards&& other) noexcept;
  PortForwards& operator=(PortForwards&&) = delete;
  ~PortForwards();

  const std::vector<PublishedPort>& ports() const { return ports_; }
  void keep() { active_ = false; }
  Status remove();

 private:
  PortForwards(std::string run_root, std::string owner) : run_root_(std::move(run_root)), owner_(std::move(owner)) {}
  std::string run_root_, owner_;
  std::vector<PublishedPort> ports_;
  bool active_ = true;
};

// Removes an owner's published ports from any process; idempotent.
Status unpublish_ports(const std::string& run_root, const std::string& owner);

// The ports an owner holds, from its reservations (for `brick port`).
Result<std::vector<PublishedPort>> published_ports(const std::string& run_root, const std::string& owner);

// The text of the brick table ("" when there is none), for tests and
// diagnostics.
Result<std::string> nat_table_text();

}  // namespace brick::net
