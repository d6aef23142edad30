// Attaching a container's network namespace to a stored bridge network: an
// address from the network's IPAM (persisted in its record under the store's
// lock), a veth pair with the host end on the bridge and the other end moved
// into the namespace as eth0, eth1, ..., with a docker-style MAC, the address,
// `lo` up and (unless internal or not wanted) a default route via the gateway.
//
// brick has no daemon, so what an attachment made must be findable from a
// later process: the host veth's name is derived from the network ID and the
// owner (host_veth_name), and the address is recorded under the owner's name.
// detach() undoes both from any process, and is idempotent.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "base/error.hpp"
#include "net/ipam.hpp"
#include "net/mac.hpp"
#include "net/netlink.hpp"
#include "net/network.hpp"

namespace brick::net {

struct AttachOptions {
  std::string network;  // name or ID of a stored network
  // Who holds the address: the container's name. Addresses are stable per
  // owner across detach/attach while nobody else took them.
  std::string owner;
  std::optional<Ipv4> ipv4_address;  // compose `ipv4_address`
  std::optional<Mac> mac;            // compose `mac_address`; default: mac_for(address)
  std::string interface = "eth0";    // name inside the container
  // Whether this network carries the container's default route (the caller
  // picks one network by gw_priority, pick_default_route). Internal networks
  // never do.
  bool default_route = true;
};

// What an attachment made: for the container record, /etc/hosts and ports.
struct AttachmentInfo {
  std::string network;     // name
  std::string network_id;  // 64 hex digits
  std::string bridge;
  std::string host_veth;
  std::string interface;
  std::string mac;  // "02:42:0a:c9:00:02"
  Prefix subnet;
  Ipv4 address = 0;
  Ipv4 gateway = 0;
  bool internal = false;
  bool default_route = false;  // whether the default route was set here
};

// Owns the host veth and the address of one attachment; both are undone when
// it is destroyed unless keep() was called. Deleting the host veth removes the
// container end too; the namespace itself belongs to the caller.
class Attachment {
 public:
  Attachment(Attachment&& other) noexcept
      : store_(std::move(other.store_)),
        owner_(std::move(other.owner_)),
        info_(std::move(other.info_)),
        active_(std::exchange(other.active_, false)) {}
  Attachment& operator=(Attachment&&) = delete;
  ~Attachment();

  const AttachmentInfo& info() const { return info_; }
  // Success: the container record owns it now; undo with net::detach().
  void keep() { active_ = false; }
  // Removes the veth and releases the address now, reporting failure.
  Status detach();

 private:
  friend Result<Attachment> attach(const NetworkStore&, int, const AttachOptions&);
  Attachment(NetworkStore store, std::string owner, AttachmentInfo info)
      : store_(std::move(store)), owner_(std::move(owner)), info_(std::move(info)) {}
  NetworkStore store_;
  std::string owner_;
  AttachmentInfo info_;
  bool active_ = true;
};

// Attaches the network namespace `netns_fd` (an fd of /proc/<pid>/ns/net or
// of a pinned namespace) to a network. Runs in the caller's network
// namespace, which holds the bridge; the caller's thread is back in it on
// return. Stale leftovers of an earlier attachment of the same owner (a
// killed brick) are removed first. Any failure leaves nothing behind.
Result<Attachment> attach(const NetworkStore& store, int netns_fd, const AttachOptions& options);

// Undoes an attachment from any process: deletes the host veth (and with it
// the container end) and releases the owner's address, remembering it for the
// owner's next attach. What is already gone is not an error.
Status detach(const NetworkStore& store, const std::string& network, const std::string& owner);

// The host end's interface name: "vb" and 13 hex digits of a hash of the
// network ID and the owner, so a later process finds it again.
std::string host_veth_name(const std::string& network_id, const std::string& owner);

// "02:42:0a:c9:00:02" for an address (mac_for as text).
std::string format_mac(Ipv4 address);

}  // namespace brick::net
