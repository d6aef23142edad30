// Link, address and route work over rtnetlink (libnl), never by running `ip`.
//
// A netlink socket belongs to the network namespace it was created in, not to
// the thread's current one: a Netlink opened in the host namespace keeps
// talking to the host namespace after a setns(). Work inside a container
// namespace therefore opens its own Netlink while a NetnsGuard is active.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "net/ipam.hpp"
#include "net/mac.hpp"

struct nl_sock;

namespace brick::net {

using NlSocket = std::shared_ptr<nl_sock>;

// Deletes a link by ifindex when destroyed, unless keep(). Holds the socket
// it was created through, so deletion reaches the right namespace whatever
// namespace the destroying thread is in. Deleting one end of a veth pair
// deletes both, wherever the peer has been moved. An ifindex of 0 deletes by
// name (a link just created, whose ifindex is not known yet).
class LinkGuard {
 public:
  LinkGuard() = default;
  LinkGuard(NlSocket socket, std::string name, int ifindex)
      : socket_(std::move(socket)), name_(std::move(name)), ifindex_(ifindex) {}
  LinkGuard(LinkGuard&& other) noexcept;
  LinkGuard& operator=(LinkGuard&& other) noexcept;
  ~LinkGuard();

  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }
  // Success: the link now belongs to a network or container record.
  void keep() { socket_.reset(); }
  // Deletes now, reporting failure (the destructor can only ignore it).
  Status remove();

 private:
  NlSocket socket_;
  std::string name_;
  int ifindex_ = 0;
};

// Host end (stays in the calling namespace) and peer end of a veth pair. The
// guard is on the host end only: deleting it takes the peer along.
struct VethPair {
  LinkGuard host;
  std::string peer_name;
  int peer_ifindex = 0;
};

// Switches the calling thread into a network namespace and back on scope
// exit. setns(CLONE_NEWNET) is per-thread: other threads stay where they are,
// and the guard must be destroyed on the thread that made it.
class NetnsGuard {
 public:
  static Result<NetnsGuard> enter(int netns_fd);
  NetnsGuard(NetnsGuard&& other) noexcept = default;
  NetnsGuard& operator=(NetnsGuard&&) = delete;
  ~NetnsGuard();

 private:
  explicit NetnsGuard(UniqueFd original) : original_(std::move(original)) {}
  UniqueFd original_;
};

// How the container end of a veth is set up inside its namespace.
struct ContainerInterface {
  std::string name = "eth0";
  Prefix subnet;  // for the address's prefix length
  Ipv4 address = 0;
  Ipv4 gateway = 0;  // 0: no default route (an internal network, or not the chosen one)
  int mtu = 0;       // 0: leave the kernel's default
  Mac mac{};         // all zeros: mac_for(address)
};

class Netlink {
 public:
  // A rtnetlink socket in the calling thread's current network namespace.
  static Result<Netlink> open();

  // The host's IPv4 interface addresses, each as the subnet it claims
  // (192.168.1.5/24 -> 192.168.1.0/24), and its IPv4 routes outside the
  // local table, without default routes. Together: what IPAM must avoid.
  Result<std::vector<Prefix>> ipv4_in_use();

  // A bridge with the gateway address (gateway/subnet length), brought up.
  Result<LinkGuard> create_bridge(const std::string& name, int mtu, Ipv4 gateway, const Prefix& subnet);
  // A veth pair; both ends down, both in the calling namespace.
  Result<VethPair> create_veth(const std::string& host_name, const std::string& peer_name, int mtu);
  // Enslaves a link to a bridge and brings it up.
  Status attach_to_bridge(int ifindex, int bridge_ifindex);
  // Moves a link into the network namespace `netns_fd` refers to. The link
  // keeps its name there; it vanishes from this namespace.
  Status move_to_netns(int ifindex, int netns_fd);
  Status set_up(int ifindex);
  Status add_ipv4_address(int ifindex, Ipv4 address, int prefix_length);
  Status add_default_route(Ipv4 gateway, int ifindex);
  // The ifindex of a link by name; ENODEV when there is none.
  Result<int> ifindex_of(const std::string& name);
  Status delete_link(int ifindex);

  const NlSocket& socket() const { return socket_; }

 private:
  explicit Netlink(NlSocket socket) : socket_(std::move(socket)) {}
  NlSocket socket_;
};

// Inside the namespace `netns_fd` (entered on this thread only, left again
// before returning): renames the link `peer_name` to iface.name, gives it
// iface.mac (or the address's, mac_for), the address and MTU, brings it and lo up, and adds
// a default route via the gateway unless it is 0.
Status configure_container_interface(int netns_fd, const std::string& peer_name, const ContainerInterface& iface);

}  // namespace brick::net
