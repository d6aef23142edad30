// Bridge + veth + container namespace over real rtnetlink, inside sandbox.sh's
// private network namespace: build the path a container's traffic takes,
// prove it with a TCP connection across it, then check the guards remove it.
#include "net/netlink.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netlink/route/link.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>

using namespace brick;
using namespace brick::net;

namespace {

std::vector<std::string> link_names(Netlink& netlink) {
  nl_cache* cache = nullptr;
  REQUIRE(rtnl_link_alloc_cache(netlink.socket().get(), AF_UNSPEC, &cache) == 0);
  std::vector<std::string> names;
  for (nl_object* obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj))
    names.emplace_back(rtnl_link_get_name(reinterpret_cast<rtnl_link*>(obj)));
  nl_cache_free(cache);
  std::sort(names.begin(), names.end());
  return names;
}

std::string mac_of(Netlink& netlink, const std::string& name) {
  rtnl_link* link = nullptr;
  REQUIRE(rtnl_link_get_kernel(netlink.socket().get(), 0, name.c_str(), &link) == 0);
  char buf[64];
  std::string mac = nl_addr2str(rtnl_link_get_addr(link), buf, sizeof buf);
  rtnl_link_put(link);
  return mac;
}

bool gone(Netlink& netlink, const std::string& name) {
  auto index = netlink.ifindex_of(name);
  return !index && index.error().errno_value() == ENODEV;
}

// A fresh network namespace held only by the returned fd: unshare moves this
// thread in, we open it, and step back out. It dies with the last fd.
UniqueFd make_netns() {
  UniqueFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  REQUIRE(original);
  REQUIRE(::unshare(CLONE_NEWNET) == 0);
  UniqueFd created(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  REQUIRE(::setns(original.get(), CLONE_NEWNET) == 0);
  REQUIRE(created);
  return created;
}

sockaddr_in endpoint(const char* address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  REQUIRE(inet_pton(AF_INET, address, &sa.sin_addr) == 1);
  return sa;
}

}  // namespace

TEST_CASE("bridge, veth and container interface carry TCP, and the guards remove them") {
  auto opened = Netlink::open();
  REQUIRE(opened);
  Netlink& netlink = *opened;
  // Refuse to touch a namespace that is not sandbox.sh's fresh one.
  REQUIRE(link_names(netlink) == std::vector<std::string>{"lo"});

  const Prefix subnet = parse_prefix("10.99.0.0/24").value();
  const Ipv4 gateway = parse_ipv4("10.99.0.1").value();
  const Ipv4 address = parse_ipv4("10.99.0.2").value();
  UniqueFd netns = make_netns();

  auto bridge = netlink.create_bridge("brt0", 1500, gateway, subnet);
  REQUIRE(bridge);
  auto veth = netlink.create_veth("vbt0", "vbt0p", 1500);
  REQUIRE(veth);
  REQUIRE(netlink.attach_to_bridge(veth->host.ifindex(), bridge->ifindex()));
  REQUIRE(netlink.move_to_netns(veth->peer_ifindex, netns.get()));
  CHECK(gone(netlink, "vbt0p"));
  auto configured = configure_container_interface(netns.get(), "vbt0p", {"eth0", subnet, address, gateway, 1500});
  INFO((configured ? "" : configured.error().message()));
  REQUIRE(configured);

  // Errors name the interface and keep errno.
  auto again = netlink.create_veth("vbt0", "vbt0q", 0);
  REQUIRE_FALSE(again);
  CHECK(again.error().errno_value() == EEXIST);
  CHECK(again.error().message() == "creating veth `vbt0`: File exists");

  // What IPAM sees: the bridge's subnet, never a default route.
  auto host_used = netlink.ipv4_in_use();
  REQUIRE(host_used);
  CHECK(std::count(host_used->begin(), host_used->end(), subnet) >= 1);
  {
    auto in_container = NetnsGuard::enter(netns.get());
    REQUIRE(in_container);
    auto inner = Netlink::open();
    REQUIRE(inner);
    CHECK(link_names(*inner) == std::vector<std::string>{"eth0", "lo"});
    CHECK(mac_of(*inner, "eth0") == "02:42:0a:63:00:02");
    auto used = inner->ipv4_in_use();
    REQUIRE(used);
    CHECK(std::count(used->begin(), used->end(), subnet) >= 1);
    CHECK(std::none_of(used->begin(), used->end(), [](const Prefix& p) { return p.length == 0; }));
  }

  // A listener made inside the container namespace (a socket belongs to the
  // namespace it is created in), reached from the sandbox over the bridge.
  UniqueFd listener;
  {
    auto in_container = NetnsGuard::enter(netns.get());
    REQUIRE(in_container);
    listener.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(listener);
    sockaddr_in sa = endpoint("10.99.0.2", 8080);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(listener.get(), 1) == 0);
  }
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(client);
  timeval timeout{5, 0};  // a broken path fails in 5 s instead of hanging
  REQUIRE(::setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) == 0);
  REQUIRE(::setsockopt(listener.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) == 0);
  sockaddr_in target = endpoint("10.99.0.2", 8080);
  int connected = ::connect(client.get(), reinterpret_cast<sockaddr*>(&target), sizeof target);
  INFO("connect: " << std::strerror(errno));
  REQUIRE(connected == 0);
  sockaddr_in peer{};
  socklen_t peer_len = sizeof peer;
  UniqueFd accepted(::accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC));
  REQUIRE(accepted);
  // The sandbox reaches the container from the bridge's address.
  CHECK(ntohl(peer.sin_addr.s_addr) == gateway);
  REQUIRE(::send(client.get(), "x", 1, 0) == 1);
  char byte = 0;
  REQUIRE(::recv(accepted.get(), &byte, 1, 0) == 1);
  CHECK(byte == 'x');

  // Deleting the host end takes the container end along.
  REQUIRE(veth->host.remove());
  REQUIRE(bridge->remove());
  CHECK(gone(netlink, "vbt0"));
  CHECK(gone(netlink, "brt0"));
  auto in_container = NetnsGuard::enter(netns.get());
  REQUIRE(in_container);
  auto inner = Netlink::open();
  REQUIRE(inner);
  CHECK(gone(*inner, "eth0"));
}

TEST_CASE("a guard deletes its link unless kept") {
  auto netlink = Netlink::open();
  REQUIRE(netlink);
  const Prefix subnet = parse_prefix("10.98.0.0/24").value();
  {
    auto bridge = netlink->create_bridge("brt1", 0, subnet.network + 1, subnet);
    REQUIRE(bridge);
    CHECK_FALSE(gone(*netlink, "brt1"));
  }
  CHECK(gone(*netlink, "brt1"));
  {
    auto veth = netlink->create_veth("vbt1", "vbt1p", 0);
    REQUIRE(veth);
    veth->host.keep();
  }
  REQUIRE_FALSE(gone(*netlink, "vbt1"));
  REQUIRE(netlink->delete_link(netlink->ifindex_of("vbt1").value()));
  CHECK(gone(*netlink, "vbt1"));
  CHECK(gone(*netlink, "vbt1p"));
  // A bridge whose name is taken fails with context, and the existing one,
  // not ours, stays.
  auto first = netlink->create_bridge("brt2", 0, subnet.network + 1, subnet);
  REQUIRE(first);
  auto clash = netlink->create_bridge("brt2", 0, subnet.network + 1, subnet);
  REQUIRE_FALSE(clash);
  CHECK(clash.error().message() == "creating bridge `brt2`: File exists");
  CHECK_FALSE(gone(*netlink, "brt2"));
  // A bridge made but refused its address (the kernel rejects /33): the
  // guard removes the half-made bridge.
  auto half = netlink->create_bridge("brt3", 0, subnet.network + 1, Prefix{subnet.network, 33});
  REQUIRE_FALSE(half);
  CHECK(half.error().errno_value() == EINVAL);
  CHECK(half.error().message().find("creating bridge `brt3`") != std::string::npos);
  CHECK(gone(*netlink, "brt3"));
}
