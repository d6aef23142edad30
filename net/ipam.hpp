// IPv4 address management for bridge networks: prefixes, choosing a free
// subnet from a pool, and handing out addresses inside one subnet. Pure code
// (no kernel calls), so it is unit-tested without root; the caller supplies
// the host's addresses and routes (net/netlink.hpp lists them).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace brick::net {

// Addresses are held in host byte order so arithmetic (next address,
// broadcast) is plain integer arithmetic.
using Ipv4 = uint32_t;

Result<Ipv4> parse_ipv4(std::string_view text);
std::string format_ipv4(Ipv4 address);

struct Prefix {
  Ipv4 network = 0;  // host bits are always zero
  int length = 0;    // 0..32

  Ipv4 mask() const { return length == 0 ? 0 : ~Ipv4{0} << (32 - length); }
  Ipv4 broadcast() const { return network | ~mask(); }
  bool contains(Ipv4 address) const { return (address & mask()) == network; }
  // "10.201.3.0/24".
  std::string str() const;
  bool operator==(const Prefix&) const = default;

  // The prefix of length `length` that holds `address` (host bits cleared):
  // how an interface address such as 192.168.1.5/24 claims its subnet.
  static Prefix containing(Ipv4 address, int length);
};

// Parses "a.b.c.d/len". Host bits must be zero ("10.0.0.1/24" is rejected):
// a typo there usually means the user meant a different subnet.
Result<Prefix> parse_prefix(std::string_view text);

// Two prefixes overlap when either contains the other's network.
bool overlaps(const Prefix& a, const Prefix& b);

// A pool is a base prefix carved into subnets of `subnet_length`.
struct Pool {
  Prefix base;
  int subnet_length = 24;
};

// The default pool: 10.201.0.0/16 in /24s, 256 networks. Chosen to stay
// clear of docker's defaults (172.17.0.0/16 for docker0, then 172.18-31/16
// and 192.168.0.0/16 in /20s for user networks) and of podman's (10.88.0.0/16,
// then 10.89.x.0/24 upwards), so brick, docker and podman can share a host.
// Whatever the host already routes is skipped anyway (choose_subnet).
std::vector<Pool> default_pools();

// The first subnet, in pool order, that overlaps none of `in_use` (host
// addresses, host routes and subnets of other networks). Default routes
// (length 0) must not be passed: they would overlap everything.
Result<Prefix> choose_subnet(const std::vector<Pool>& pools, const std::vector<Prefix>& in_use);

// Docker-style MAC for a container address: 02:42 (locally administered,
// unicast) followed by the four address bytes, so it is stable per address
// and unique within the subnet.
std::array<uint8_t, 6> mac_for(Ipv4 address);

// The compose `ipam.config[]` entry of one network.
struct SubnetConfig {
  Prefix subnet;
  std::optional<Ipv4> gateway;                // default: first host address
  std::optional<Prefix> ip_range;             // dynamic addresses come only from here
  std::map<std::string, Ipv4> aux_addresses;  // reserved, never handed out
};

// Addresses of one subnet: who holds which. Persisted as JSON inside the
// network record, so it survives between brick invocations (brick has no
// daemon) and is rewritten under the record's lock.
class SubnetAllocator {
 public:
  // Validates the config: gateway, ip_range and aux addresses lie in the
  // subnet; the subnet has room for a gateway and one host (length <= 30).
  static Result<SubnetAllocator> create(const SubnetConfig& config);

  const Prefix& subnet() const { return subnet_; }
  Ipv4 gateway() const { return gateway_; }

  // The lowest free address of ip_range (or of the subnet), skipping the
  // network and broadcast addresses, the gateway, aux addresses and every
  // address held. Lowest-first keeps addresses predictable in tests and logs.
  Result<Ipv4> allocate(const std::string& owner);
  // A fixed address (compose `ipv4_address`): anywhere in the subnet, even
  // outside ip_range (as docker allows), but not reserved and not held.
  Status allocate_static(Ipv4 address, const std::string& owner);
  // Frees an address; releasing one that is not held is an error, because it
  // means two records disagree about who owns it.
  Status release(Ipv4 address);
  // Frees every address `owner` holds; returns how many.
  size_t release_owner(const std::string& owner);

  const std::map<Ipv4, std::string>& allocations() const { return allocations_; }

  nlohmann::json to_json() const;
  static Result<SubnetAllocator> from_json(const nlohmann::json& json);

 private:
  SubnetAllocator() = default;
  // Why `address` may not be handed out, or nullopt when it may.
  std::optional<std::string> reserved_reason(Ipv4 address) const;

  Prefix subnet_;
  Ipv4 gateway_ = 0;
  std::optional<Prefix> ip_range_;
  std::map<std::string, Ipv4> aux_;
  std::map<Ipv4, std::string> allocations_;
};

}  // namespace brick::net
