#include "net/attach.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <vector>

#include "base/scope_exit.hpp"

namespace brick::net {
namespace {

// FNV-1a, 64 bits: stable across builds and processes (std::hash is not
// promised to be), which the derived interface names rely on.
uint64_t fnv1a(std::string_view data, uint64_t hash = 0xcbf29ce484222325ull) {
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::string hash_hex(const std::string& network_id, const std::string& owner, size_t digits) {
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  uint64_t h = fnv1a(owner, fnv1a(std::string_view("\0", 1), fnv1a(network_id)));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, digits);
}

// Takes an address for `owner` in the record: the static one, else the one
// the owner held last if it is free, else the lowest free. Drops every
// address the owner still holds from a run that died before detaching.
Status take_address(Network& n, const std::string& owner, const std::optional<Ipv4>& wanted, Ipv4& out) {
  n.ipam->release_owner(owner);
  if (wanted) {
    BRICK_TRY(n.ipam->allocate_static(*wanted, owner));
    out = *wanted;
  } else if (auto last = n.last_addresses.find(owner);
             last != n.last_addresses.end() && n.ipam->allocate_static(last->second, owner)) {
    out = last->second;
  } else {
    // Lowest free, but not an address another owner is remembered with,
    // while any other is free: that owner is likely to come back.
    std::vector<Ipv4> held_back;
    for (const auto& [other, address] : n.last_addresses)
      if (other != owner && n.ipam->allocate_static(address, "(remembered for `" + other + "`)"))
        held_back.push_back(address);
    auto fresh = n.ipam->allocate(owner);
    for (Ipv4 address : held_back) (void)n.ipam->release(address);
    out = fresh ? *fresh : BRICK_TRY(n.ipam->allocate(owner));
  }
  n.last_addresses.erase(owner);
  // Whoever remembered this address loses it: keeps the map bounded.
  std::erase_if(n.last_addresses, [&](const auto& entry) { return entry.second == out; });
  return {};
}

Status give_back(const NetworkStore& store, const std::string& network, const std::string& owner) {
  // Nothing held (the usual case for the second teardown after the
  // monitor's own): no record rewrite. Only this owner's attach, which
  // cannot run meanwhile, would give it an address.
  Network now = BRICK_TRY(store.get(network));
  if (!now.ipam) return {};
  const auto& held = now.ipam->allocations();
  if (std::none_of(held.begin(), held.end(), [&](const auto& a) { return a.second == owner; })) return {};
  // update() needs a mutable store; its methods touch only its own files.
  NetworkStore s = store;
  auto updated = s.update(network, [&](Network& n) -> Status {
    for (const auto& [address, holder] : n.ipam->allocations())
      if (holder == owner) n.last_addresses[owner] = address;
    n.ipam->release_owner(owner);
    return {};
  });
  if (!updated) return fail(updated.error());
  return {};
}

Status delete_link_named(const std::string& name) {
  Netlink netlink = BRICK_TRY(Netlink::open());
  auto index = netlink.ifindex_of(name);
  if (!index) return index.error().errno_value() == ENODEV ? Status{} : fail(index.error());
  return netlink.delete_link(*index);
}

}  // namespace

std::string host_veth_name(const std::string& network_id, const std::string& owner) {
  return "vb" + hash_hex(network_id, owner, 13);
}

std::string format_mac(Ipv4 address) { return format_mac(mac_for(address)); }

Result<Attachment> attach(const NetworkStore& store_in, int netns_fd, const AttachOptions& options) {
  auto run = [&]() -> Result<Attachment> {
    NetworkStore store = store_in;
    Network before = BRICK_TRY(store.get(options.network));
    const std::string host_name = host_veth_name(before.id, options.owner);
    // A brick killed mid-attach (or a container that died without detach)
    // left this owner's veth behind: it has our derived name, so it is ours.
    BRICK_TRY_CTX(delete_link_named(host_name), "removing the stale veth `" + host_name + "`");

    Ipv4 address = 0;
    Network n = BRICK_TRY_CTX(
        store.update(before.id,
                     [&](Network& r) { return take_address(r, options.owner, options.ipv4_address, address); }),
        "allocating an address");
    AttachmentInfo info;
    info.network = n.name;
    info.network_id = n.id;
    info.bridge = n.bridge;
    info.host_veth = host_name;
    info.interface = options.interface;
    const Mac mac = options.mac ? *options.mac : mac_for(address);
    info.mac = format_mac(mac);
    info.subnet = n.ipam->subnet();
    info.address = address;
    info.gateway = n.ipam->gateway();
    info.internal = n.internal;
    info.default_route = options.default_route && !n.internal;
    // From here on the Attachment's destructor gives the address back and
    // deletes the veth (once it exists, by its derived name).
    Attachment attachment(store, options.owner, info);

    Netlink netlink = BRICK_TRY(Netlink::open());
    int bridge = BRICK_TRY_CTX(netlink.ifindex_of(n.bridge), "finding bridge `" + n.bridge + "`");
    // The peer's temporary name must not clash in the host namespace; the
    // container sees it only after the rename.
    const std::string peer_name = "vp" + hash_hex(n.id, options.owner, 13);
    VethPair veth = BRICK_TRY(netlink.create_veth(host_name, peer_name, n.mtu()));
    BRICK_TRY_CTX(netlink.attach_to_bridge(veth.host.ifindex(), bridge), "attaching `" + host_name + "`");
    BRICK_TRY_CTX(netlink.move_to_netns(veth.peer_ifindex, netns_fd), "moving `" + peer_name + "`");
    ContainerInterface iface{options.interface, info.subnet, address, info.default_route ? info.gateway : 0,
                             n.mtu(),           mac};
    BRICK_TRY(configure_container_interface(netns_fd, peer_name, iface));
    // The Attachment deletes by name from now on (from any namespace).
    veth.host.keep();
    return attachment;
  };
  return BRICK_TRY_CTX(run(), "attaching `" + options.owner + "` to network `" + options.network + "`");
}

Attachment::~Attachment() {
  // Cleanup after a failure: the first error is what the caller reports.
  if (active_) (void)detach();
}

Status Attachment::detach() {
  if (!active_) return {};
  active_ = false;
  return net::detach(store_, info_.network_id, owner_);
}

Status detach(const NetworkStore& store, const std::string& network, const std::string& owner) {
  auto run = [&]() -> Status {
    Network n = BRICK_TRY(store.get(network));
    const std::string host_name = host_veth_name(n.id, owner);
    Status link = delete_link_named(host_name);
    // The address goes back even when the link could not be deleted: a link
    // left over is removed by the next attach of this owner.
    BRICK_TRY(give_back(store, n.id, owner));
    if (!link) return fail(link.error().context("deleting veth `" + host_name + "`"));
    return {};
  };
  BRICK_TRY_CTX(run(), "detaching `" + owner + "` from network `" + network + "`");
  return {};
}

}  // namespace brick::net
