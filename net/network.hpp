// Bridge networks: the records under `<root>/networks/` and the bridges they
// own. The module's public header.
//
//   <root>/networks/<name>.json   one record per network, written atomically
//   <root>/networks/lock          held while any record or bridge changes
//
// brick has no daemon, so the record is the only memory of a network between
// invocations: it holds the chosen subnet and the IPAM allocations, and the
// bridge exists exactly while the record does.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "net/ipam.hpp"

namespace brick::net {

// docker's option keys, read from `driver_opts` / `-o`.
inline constexpr const char* kBridgeNameOption = "com.docker.network.bridge.name";
inline constexpr const char* kMtuOption = "com.docker.network.driver.mtu";

// What `brick network create` or a compose `networks:` entry asks for.
// Addresses stay text here: the store parses them and names the network in
// any error.
struct NetworkSpec {
  std::string name;
  std::string driver = "bridge";
  std::string subnet;    // empty: chosen from the pool
  std::string gateway;   // empty: first host address
  std::string ip_range;  // empty: the whole subnet
  std::map<std::string, std::string> aux_addresses;
  bool internal = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;  // driver_opts
};

struct Network {
  std::string name;
  std::string id;       // 64 hex digits
  std::string created;  // RFC 3339, UTC
  std::string driver = "bridge";
  std::string bridge;  // interface name, at most 15 characters
  bool internal = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
  std::optional<SubnetAllocator> ipam;  // always set in a stored record
  // The address each container (by name) last held here, so a container
  // recreated by a later `up` gets its old address back while it is free.
  // An entry goes when another container takes that address, which bounds
  // the map by the subnet's size.
  std::map<std::string, Ipv4> last_addresses;

  // The MTU option (kMtuOption) as a number; 0, the kernel's default, when
  // absent. Read from `options` rather than stored beside it, so the two
  // cannot disagree.
  int mtu() const;
  nlohmann::json to_json() const;
  static Result<Network> from_json(const nlohmann::json& json);
};

// docker-network-inspect-like JSON object for one network.
nlohmann::json inspect_json(const Network& network);

// Everything the store asks of the kernel, as a seam: the real one talks
// rtnetlink in the calling thread's network namespace; unit tests pass a
// fake, and fault-injection tests wrap the real one.
class NetworkHost {
 public:
  virtual ~NetworkHost() = default;
  // Subnets the host's addresses claim and its routes (no default routes).
  virtual Result<std::vector<Prefix>> prefixes_in_use() = 0;
  virtual Result<bool> link_exists(const std::string& name) = 0;
  // A bridge carrying gateway/subnet-length, up. On failure nothing is left.
  virtual Status create_bridge(const std::string& name, int mtu, Ipv4 gateway, const Prefix& subnet) = 0;
  // Deleting a link that is already gone succeeds.
  virtual Status delete_link(const std::string& name) = 0;
  // The network's NAT and isolation rules (net/nat.hpp), made once its
  // bridge exists. On failure nothing is left.
  virtual Status setup_rules(const Network& network) = 0;
  // Removes them; rules already gone, or never made, are fine.
  virtual Status teardown_rules(const Network& network) = 0;
  // How a record reaches the disk (write_file_atomic); a seam for faults.
  virtual Status write_record(const std::string& path, std::string_view data);
};

// The NetworkHost over rtnetlink, opened on first use, and libnftables; the
// rules' lock lives under `run_root` (--run-root).
std::shared_ptr<NetworkHost> kernel_host(const std::string& run_root);

// Whether a container is attached to the network with this name.
using InUse = std::function<bool(const std::string& network_name)>;

class NetworkStore {
 public:
  // Opens (creating the directory if needed) `<root>/networks`. `pools`
  // empty: default_pools().
  static Result<NetworkStore> open(const std::string& root, std::shared_ptr<NetworkHost> host,
                                   std::vector<Pool> pools = {});
  const std::string& dir() const { return dir_; }

  // Chooses the subnet (avoiding the host's prefixes and other networks),
  // creates the bridge and its NAT/isolation rules, then writes the record.
  // Any failure leaves none of them.
  Result<Network> create(const NetworkSpec& spec);
  // Every network, by name.
  Result<std::vector<Network>> list() const;
  // Makes the bridge and rules of a stored network again when its bridge is
  // missing (brick killed between writing the record and making them, or a
  // bridge deleted by hand); nothing when it exists.
  Status ensure(const std::string& name_or_id);
  // Removes the temp files of record writes a killed brick left (remove()
  // does it too); `down` calls it, since such a network has no record to remove.
  Status sweep();
  // By name, full ID or unique ID prefix.
  Result<Network> get(const std::string& name_or_id) const;
  // Reads the record of `name_or_id` under the store's lock, applies
  // `change` and writes it back atomically; returns the record as written.
  // When `change` fails nothing is written. How attachments take and give
  // back addresses.
  Result<Network> update(const std::string& name_or_id, const std::function<Status(Network&)>& change);
  // Refuses while `in_use` says a container is attached; deletes the rules,
  // the bridge, then the record. Returns the network's name.
  Result<std::string> remove(const std::string& name_or_id, const InUse& in_use = {});
  // Removes every network not in use; returns their names.
  Result<std::vector<std::string>> prune(const InUse& in_use = {});

 private:
  NetworkStore(std::string dir, std::shared_ptr<NetworkHost> host, std::vector<Pool> pools)
      : dir_(std::move(dir)), host_(std::move(host)), pools_(std::move(pools)) {}

  std::string record_path(const std::string& name) const { return dir_ + "/" + name + ".json"; }
  Result<Network> read_record(const std::string& name) const;
  // Caller holds the lock.
  Status remove_locked(const Network& network);
  void sweep_locked() const;
  Result<Network> plan(const NetworkSpec& spec, const std::vector<Network>& others);

  std::string dir_;
  std::shared_ptr<NetworkHost> host_;
  std::vector<Pool> pools_;
};

// Whether `name` is a valid network name (docker's [a-zA-Z0-9][a-zA-Z0-9_.-]*).
bool valid_network_name(std::string_view name);

}  // namespace brick::net
