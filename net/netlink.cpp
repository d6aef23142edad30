#include "net/netlink.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>

#include <cstdlib>
#include <cstring>
#include <functional>

namespace brick::net {

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using LinkPtr = std::unique_ptr<rtnl_link, Deleter<rtnl_link, rtnl_link_put>>;
using VethPtr = std::unique_ptr<rtnl_link, Deleter<rtnl_link, rtnl_link_veth_release>>;
using AddrPtr = std::unique_ptr<rtnl_addr, Deleter<rtnl_addr, rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, Deleter<rtnl_route, rtnl_route_put>>;
using NlAddrPtr = std::unique_ptr<nl_addr, Deleter<nl_addr, nl_addr_put>>;
using CachePtr = std::unique_ptr<nl_cache, Deleter<nl_cache, nl_cache_free>>;

// libnl reports its own NLE_* codes, not errno. The kernel's errno is folded
// into them (nl_syserr2nlerr) and libnl offers no way back, so undo the
// mapping for the codes a caller may want to act on; the rest keep libnl's
// text.
int errno_of(int nl_error) {
  switch (-std::abs(nl_error)) {
    case -NLE_EXIST: return EEXIST;
    case -NLE_NODEV: return ENODEV;
    case -NLE_OBJ_NOTFOUND: return ENODEV;
    case -NLE_PERM: return EPERM;
    case -NLE_NOACCESS: return EACCES;
    case -NLE_BUSY: return EBUSY;
    case -NLE_INVAL: return EINVAL;
    case -NLE_NOMEM: return ENOMEM;
    case -NLE_RANGE: return ERANGE;
    case -NLE_AGAIN: return EAGAIN;
    case -NLE_OPNOTSUPP: return EOPNOTSUPP;
    case -NLE_NOADDR: return EADDRNOTAVAIL;
    case -NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    case -NLE_MSGSIZE: return EMSGSIZE;
    default: return 0;
  }
}

Error nl_error(const std::string& what, int nl_err) {
  if (int e = errno_of(nl_err)) return Error::from_errno(what, e);
  return Error(what + ": " + nl_geterror(nl_err));
}

Result<NlAddrPtr> ipv4_nl_addr(Ipv4 address, int prefix_length) {
  uint32_t be = htonl(address);
  NlAddrPtr addr(nl_addr_build(AF_INET, &be, sizeof be));
  if (!addr) return fail(Error::from_errno("allocating a netlink address", ENOMEM));
  nl_addr_set_prefixlen(addr.get(), prefix_length);
  return addr;
}

Ipv4 ipv4_of(nl_addr* addr) {
  if (!addr || nl_addr_get_family(addr) != AF_INET || nl_addr_get_len(addr) != 4) return 0;
  uint32_t be;
  std::memcpy(&be, nl_addr_get_binary_addr(addr), 4);
  return ntohl(be);
}

std::string link_name(int ifindex) { return "link #" + std::to_string(ifindex); }

// The owner of a link just made under `name` through `netlink`. rtnl_link_add
// does not report the new ifindex, so until the lookup succeeds the name is
// the only handle; it is ours (NLM_F_EXCL), so a failed lookup deletes by it.
Result<LinkGuard> adopt_new_link(Netlink& netlink, const std::string& name) {
  LinkGuard by_name(netlink.socket(), name, 0);
  int ifindex = BRICK_TRY(netlink.ifindex_of(name));
  by_name.keep();
  return LinkGuard(netlink.socket(), name, ifindex);
}

// Applies `fill` to an empty change request for `ifindex`. RTM_NEWLINK-based
// rtnl_link_change needs the current link as `orig` to address it.
Status change_link(nl_sock* sk, int ifindex, const std::function<void(rtnl_link*)>& fill, const std::string& what) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sk, ifindex, nullptr, &raw); err < 0)
    return fail(nl_error(what + ": looking up " + link_name(ifindex), err));
  LinkPtr orig(raw);
  LinkPtr changes(rtnl_link_alloc());
  if (!changes) return fail(Error::from_errno(what, ENOMEM));
  fill(changes.get());
  if (int err = rtnl_link_change(sk, orig.get(), changes.get(), 0); err < 0)
    return fail(nl_error(what + " `" + rtnl_link_get_name(orig.get()) + "`", err));
  return {};
}

}  // namespace

LinkGuard::LinkGuard(LinkGuard&& other) noexcept
    : socket_(std::move(other.socket_)), name_(std::move(other.name_)), ifindex_(other.ifindex_) {}

LinkGuard& LinkGuard::operator=(LinkGuard&& other) noexcept {
  if (this != &other) {
    (void)remove();
    socket_ = std::move(other.socket_);
    name_ = std::move(other.name_);
    ifindex_ = other.ifindex_;
  }
  return *this;
}

// Cleanup on a failure path: the original error is what matters, and a link
// already gone (deleted with its namespace or its peer) is what we wanted.
LinkGuard::~LinkGuard() { (void)remove(); }

Status LinkGuard::remove() {
  if (!socket_) return {};
  NlSocket socket = std::move(socket_);
  LinkPtr link(rtnl_link_alloc());
  if (!link) return fail(Error::from_errno("deleting link `" + name_ + "`", ENOMEM));
  if (ifindex_ > 0)
    rtnl_link_set_ifindex(link.get(), ifindex_);
  else
    rtnl_link_set_name(link.get(), name_.c_str());
  if (int err = rtnl_link_delete(socket.get(), link.get()); err < 0 && errno_of(err) != ENODEV)
    return fail(nl_error("deleting link `" + name_ + "`", err));
  return {};
}

Result<NetnsGuard> NetnsGuard::enter(int netns_fd) {
  UniqueFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original) return fail_errno("opening /proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) != 0) return fail_errno("entering network namespace");
  return NetnsGuard(std::move(original));
}

NetnsGuard::~NetnsGuard() {
  if (!original_) return;
  // A thread left in a container's namespace would make every later host
  // operation on it act on the container instead: there is no safe way on.
  if (::setns(original_.get(), CLONE_NEWNET) != 0) std::abort();
}

Result<Netlink> Netlink::open() {
  NlSocket socket(nl_socket_alloc(), nl_socket_free);
  if (!socket) return fail(Error::from_errno("allocating a netlink socket", ENOMEM));
  if (int err = nl_connect(socket.get(), NETLINK_ROUTE); err < 0) return fail(nl_error("connecting to rtnetlink", err));
  return Netlink(std::move(socket));
}

Result<std::vector<Prefix>> Netlink::ipv4_in_use() {
  std::vector<Prefix> used;
  nl_cache* raw = nullptr;
  if (int err = rtnl_addr_alloc_cache(socket_.get(), &raw); err < 0)
    return fail(nl_error("listing host addresses", err));
  CachePtr addrs(raw);
  for (nl_object* obj = nl_cache_get_first(addrs.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);
    if (rtnl_addr_get_family(addr) != AF_INET) continue;
    used.push_back(Prefix::containing(ipv4_of(rtnl_addr_get_local(addr)), rtnl_addr_get_prefixlen(addr)));
  }
  raw = nullptr;
  if (int err = rtnl_route_alloc_cache(socket_.get(), AF_INET, 0, &raw); err < 0)
    return fail(nl_error("listing host routes", err));
  CachePtr routes(raw);
  for (nl_object* obj = nl_cache_get_first(routes.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* route = reinterpret_cast<rtnl_route*>(obj);
    // The local table holds the host's own /32s and broadcasts, already
    // covered by the addresses; a default route would overlap everything.
    if (rtnl_route_get_table(route) == RT_TABLE_LOCAL) continue;
    nl_addr* dst = rtnl_route_get_dst(route);
    int length = dst ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0;
    if (length == 0) continue;
    used.push_back(Prefix::containing(ipv4_of(dst), length));
  }
  return used;
}

Result<int> Netlink::ifindex_of(const std::string& name) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(socket_.get(), 0, name.c_str(), &raw); err < 0)
    return fail(nl_error("looking up link `" + name + "`", err));
  LinkPtr link(raw);
  return rtnl_link_get_ifindex(link.get());
}

Result<LinkGuard> Netlink::create_bridge(const std::string& name, int mtu, Ipv4 gateway, const Prefix& subnet) {
  const std::string what = "creating bridge `" + name + "`";
  LinkPtr link(rtnl_link_bridge_alloc());
  if (!link) return fail(Error::from_errno(what, ENOMEM));
  rtnl_link_set_name(link.get(), name.c_str());
  if (mtu > 0) rtnl_link_set_mtu(link.get(), mtu);
  // An address of its own, as docker gives its bridges: without one a bridge
  // takes the lowest of its ports' and changes it when that port leaves, and
  // every other container's ARP entry for the gateway is wrong until it
  // times out (one `down` cut another project off its shared network).
  Mac mac_bytes = mac_for(gateway);
  NlAddrPtr mac(nl_addr_build(AF_LLC, mac_bytes.data(), mac_bytes.size()));
  if (!mac) return fail(Error::from_errno(what, ENOMEM));
  rtnl_link_set_addr(link.get(), mac.get());
  // NLM_F_EXCL: an existing bridge of that name belongs to someone else.
  if (int err = rtnl_link_add(socket_.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return fail(nl_error(what, err));
  LinkGuard guard = BRICK_TRY_CTX(adopt_new_link(*this, name), what);
  BRICK_TRY_CTX(add_ipv4_address(guard.ifindex(), gateway, subnet.length), what);
  BRICK_TRY_CTX(set_up(guard.ifindex()), what);
  return guard;
}

Result<VethPair> Netlink::create_veth(const std::string& host_name, const std::string& peer_name, int mtu) {
  const std::string what = "creating veth `" + host_name + "`";
  VethPtr link(rtnl_link_veth_alloc());
  if (!link) return fail(Error::from_errno(what, ENOMEM));
  rtnl_link_set_name(link.get(), host_name.c_str());
  // get_peer takes a reference; the peer is freed with the link by
  // rtnl_link_veth_release.
  LinkPtr peer(rtnl_link_veth_get_peer(link.get()));
  rtnl_link_set_name(peer.get(), peer_name.c_str());
  if (mtu > 0) {
    rtnl_link_set_mtu(link.get(), mtu);
    rtnl_link_set_mtu(peer.get(), mtu);
  }
  if (int err = rtnl_link_add(socket_.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return fail(nl_error(what, err));
  LinkGuard host = BRICK_TRY_CTX(adopt_new_link(*this, host_name), what);
  int peer_ifindex = BRICK_TRY_CTX(ifindex_of(peer_name), what);
  return VethPair{std::move(host), peer_name, peer_ifindex};
}

Status Netlink::attach_to_bridge(int ifindex, int bridge_ifindex) {
  BRICK_TRY(change_link(
      socket_.get(), ifindex, [&](rtnl_link* c) { rtnl_link_set_master(c, bridge_ifindex); },
      "attaching to " + link_name(bridge_ifindex)));
  return set_up(ifindex);
}

Status Netlink::move_to_netns(int ifindex, int netns_fd) {
  return change_link(
      socket_.get(), ifindex, [&](rtnl_link* c) { rtnl_link_set_ns_fd(c, netns_fd); }, "moving into a namespace");
}

Status Netlink::set_up(int ifindex) {
  return change_link(
      socket_.get(), ifindex, [](rtnl_link* c) { rtnl_link_set_flags(c, IFF_UP); }, "bringing up");
}

Status Netlink::add_ipv4_address(int ifindex, Ipv4 address, int prefix_length) {
  const std::string what =
      "adding address " + format_ipv4(address) + "/" + std::to_string(prefix_length) + " to " + link_name(ifindex);
  AddrPtr addr(rtnl_addr_alloc());
  if (!addr) return fail(Error::from_errno(what, ENOMEM));
  NlAddrPtr local = BRICK_TRY_CTX(ipv4_nl_addr(address, prefix_length), what);
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0) return fail(nl_error(what, err));
  rtnl_addr_set_prefixlen(addr.get(), prefix_length);
  // Without an explicit broadcast the kernel sets none, and broadcasts to
  // the subnet (DHCP-style tools, some discovery protocols) go nowhere. /31
  // and /32 have no broadcast address; a length past 32 is left for the
  // kernel to refuse (Prefix::mask() would shift by a negative amount).
  if (prefix_length >= 0 && prefix_length < 31) {
    NlAddrPtr broadcast = BRICK_TRY_CTX(ipv4_nl_addr(Prefix::containing(address, prefix_length).broadcast(), 32), what);
    rtnl_addr_set_broadcast(addr.get(), broadcast.get());
  }
  if (int err = rtnl_addr_add(socket_.get(), addr.get(), NLM_F_EXCL); err < 0) return fail(nl_error(what, err));
  return {};
}

Status Netlink::add_default_route(Ipv4 gateway, int ifindex) {
  const std::string what = "adding default route via " + format_ipv4(gateway);
  RoutePtr route(rtnl_route_alloc());
  if (!route) return fail(Error::from_errno(what, ENOMEM));
  NlAddrPtr dst = BRICK_TRY_CTX(ipv4_nl_addr(0, 0), what);
  NlAddrPtr gw = BRICK_TRY_CTX(ipv4_nl_addr(gateway, 32), what);
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  if (int err = rtnl_route_set_dst(route.get(), dst.get()); err < 0) return fail(nl_error(what, err));
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!nh) return fail(Error::from_errno(what, ENOMEM));
  rtnl_route_nh_set_ifindex(nh, ifindex);
  rtnl_route_nh_set_gateway(nh, gw.get());
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns nh from here
  if (int err = rtnl_route_add(socket_.get(), route.get(), NLM_F_EXCL); err < 0) return fail(nl_error(what, err));
  return {};
}

Status Netlink::delete_link(int ifindex) { return LinkGuard(socket_, link_name(ifindex), ifindex).remove(); }

Status configure_container_interface(int netns_fd, const std::string& peer_name, const ContainerInterface& iface) {
  const std::string what = "configuring `" + iface.name + "` in the container namespace";
  NetnsGuard in_container = BRICK_TRY_CTX(NetnsGuard::enter(netns_fd), what);
  // Opened after setns, so it talks to the container's namespace.
  Netlink netlink = BRICK_TRY_CTX(Netlink::open(), what);
  int ifindex = BRICK_TRY_CTX(netlink.ifindex_of(peer_name), what);
  Mac mac_bytes = iface.mac == Mac{} ? mac_for(iface.address) : iface.mac;
  NlAddrPtr mac(nl_addr_build(AF_LLC, mac_bytes.data(), mac_bytes.size()));
  if (!mac) return fail(Error::from_errno(what, ENOMEM));
  // Rename, MAC and MTU while the link is still down: the kernel refuses to
  // rename a running interface (EBUSY).
  BRICK_TRY_CTX(change_link(
                    netlink.socket().get(), ifindex,
                    [&](rtnl_link* c) {
                      rtnl_link_set_name(c, iface.name.c_str());
                      rtnl_link_set_addr(c, mac.get());
                      if (iface.mtu > 0) rtnl_link_set_mtu(c, iface.mtu);
                    },
                    "renaming to `" + iface.name + "`"),
                what);
  BRICK_TRY_CTX(netlink.add_ipv4_address(ifindex, iface.address, iface.subnet.length), what);
  BRICK_TRY_CTX(netlink.set_up(ifindex), what);
  BRICK_TRY_CTX(netlink.set_up(BRICK_TRY_CTX(netlink.ifindex_of("lo"), what)), what);
  if (iface.gateway != 0) BRICK_TRY_CTX(netlink.add_default_route(iface.gateway, ifindex), what);
  return {};
}

}  // namespace brick::net
