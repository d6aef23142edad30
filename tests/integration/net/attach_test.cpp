// Containers on bridge networks, end to end (root, inside sandbox.sh):
// busybox containers from spawn_container attached in before_start, names
// from the written /etc/hosts, isolation between networks, an internal
// network, published ports from loopback, another address and an "outside
// host" namespace, masquerade out, and nothing left once all is undone.
#include "net/attach.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "integration/busybox.hpp"
#include "net/nat.hpp"
#include "net/netlink.hpp"
#include "net/netns.hpp"
#include "net/resolv.hpp"
#include "runtime/spawn.hpp"

using namespace brick;
using namespace brick::testing;
using namespace brick::net;
using brick::runtime::ChildProcess;

namespace {

namespace fs = std::filesystem;

TempDir web_rootfs() {
  TempDir dir = busybox_rootfs();
  for (const char* site : {"web", "outside"}) {
    fs::create_directories(dir.path() + "/www/" + site);
    REQUIRE(write_file_atomic(dir.path() + "/www/" + site + "/index.html", std::string("hello from ") + site + "\n"));
  }
  return dir;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE(v);
  return v;
}

// One container: its own /etc/hosts (bind-mounted, rewritten in place).
struct Box {
  std::string name;
  std::string hosts;  // host-side path of its /etc/hosts
  ChildProcess process;
  std::optional<Attachment> attachment;
  UniqueFd output;  // read end of its stdout+stderr, when captured
};

struct World {
  TempDir rootfs = web_rootfs();
  TempDir scratch = *TempDir::create("brick-net");
  std::string run_root = env("BRICK_RUN_ROOT");
  NetworkStore store = *NetworkStore::open(env("BRICK_ROOT"), kernel_host(run_root));

  // Starts `args` in a fresh network namespace; `before` runs in
  // before_start with the child's pid (attach there).
  Box start(const std::string& name, std::vector<std::string> args,
            const std::function<Status(Box&, pid_t)>& before = {}) {
    Box box;
    box.name = name;
    box.hosts = scratch.path() + "/" + name + ".hosts";
    REQUIRE(rewrite_in_place(box.hosts, ""));
    runtime::ContainerSpec spec = runtime::default_spec();
    spec.root.path = rootfs.path();
    spec.hostname = name;
    spec.process.args = std::move(args);
    spec.mounts.push_back({"/etc/hosts", "bind", box.hosts, {"bind"}});
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    runtime::SpawnOptions options;
    options.stdout_fd = options.stderr_fd = write_end.get();
    if (before) options.before_start = [&](pid_t pid) { return before(box, pid); };
    auto child = runtime::spawn_container(spec, options);
    INFO((child ? "" : child.error().message()));
    REQUIRE(child);
    box.process = std::move(*child);
    box.output = std::move(read_end);
    return box;
  }

  // Attaches in before_start and writes the box's /etc/hosts with `peers`.
  std::function<Status(Box&, pid_t)> attach_to(const std::string& network, std::vector<HostEntry> peers = {},
                                               std::vector<std::string> names = {}) {
    return [=, this](Box& box, pid_t pid) -> Status {
      UniqueFd ns(::open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns) return fail_errno("opening the netns");
      AttachOptions o;
      o.network = network;
      o.owner = box.name;
      box.attachment.emplace(BRICK_TRY(attach(store, ns.get(), o)));
      HostsSpec hosts;
      hosts.hostname = box.name;
      hosts.own = {{format_ipv4(box.attachment->info().address), names}};
      hosts.peers = peers;
      return rewrite_in_place(box.hosts, hosts_file(hosts));
    };
  }
};

// Waits for a box and returns its output and exit code.
std::pair<std::string, int> finish(Box& box) {
  auto status = box.process.wait();
  REQUIRE(status);
  auto out = read_fd(box.output.get());
  REQUIRE(out);
  return {*out, status->exit_code()};
}

// A client that tries `url` for up to ~3 s (the server may still be starting).
// `timeout` rather than wget's -T: busybox 1.35's wget -T crashes (SIGSEGV).
std::vector<std::string> fetch(const std::string& url, int tries = 30) {
  return {"sh", "-c",
          "i=0; while [ $i -lt " + std::to_string(tries) + " ]; do timeout 1 wget -q -O - " + url +
              " && exit 0; i=$((i+1)); sleep 0.1; done; exit 1"};
}

// GET / from the test's own namespace (the sandbox host).
std::string http_get(const std::string& ip, uint16_t port, int tries = 30) {
  for (int attempt = 0; attempt < tries; ++attempt) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    timeval tv{1, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
      std::string req = "GET / HTTP/1.0\r\n\r\n";
      if (::write(fd.get(), req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
        auto body = read_fd(fd.get());
        if (body && !body->empty()) return *body;
      }
    }
    ::usleep(100'000);
  }
  return "";
}

std::vector<std::string> links() {
  std::vector<std::string> out;
  if (auto* names = ::if_nameindex()) {
    for (auto* n = names; n->if_index != 0; ++n) out.push_back(n->if_name);
    ::if_freenameindex(names);
  }
  return out;
}

Network make_network(NetworkStore& store, const std::string& name, bool internal = false) {
  NetworkSpec spec;
  spec.name = name;
  spec.internal = internal;
  auto n = store.create(spec);
  INFO((n ? "" : n.error().message()));
  REQUIRE(n);
  return *n;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("containers on one network reach each other by name; other networks and the outside cannot", "[attach]") {
  World w;
  Network front = make_network(w.store, "front");
  Network back = make_network(w.store, "back");
  Network sealed = make_network(w.store, "sealed", true);
  std::optional<NetworkNat> nat_front, nat_back, nat_sealed;
  for (auto [nat, net] : {std::pair{&nat_front, &front}, {&nat_back, &back}, {&nat_sealed, &sealed}}) {
    auto made = NetworkNat::setup(w.run_root, *net);
    INFO((made ? "" : made.error().message()));
    REQUIRE(made);
    nat->emplace(std::move(*made));
  }

  // The server's namespace is pinned and attached through the pin.
  std::optional<PinnedNetns> pin;
  Box web = w.start("web", {"httpd", "-f", "-p", "80", "-h", "/www/web"}, [&](Box& box, pid_t pid) -> Status {
    pin.emplace(BRICK_TRY(PinnedNetns::pin(w.run_root, box.name, pid)));
    UniqueFd ns = BRICK_TRY(pin->open());
    AttachOptions o;
    o.network = "front";
    o.owner = box.name;
    box.attachment.emplace(BRICK_TRY(attach(w.store, ns.get(), o)));
    return {};
  });
  const AttachmentInfo& info = web.attachment->info();
  CHECK(info.interface == "eth0");
  CHECK(info.address == front.ipam->gateway() + 1);
  CHECK(info.mac == format_mac(info.address));
  CHECK(fs::exists(pinned_netns_path(w.run_root, "web")));
  const std::string web_ip = format_ipv4(info.address);
  HostEntry web_entry{web_ip, {"web", "web-alias", "demo-web-1"}};

  SECTION("by service name and alias over TCP, with eth0, its MAC and a default route") {
    Box client = w.start("client",
                         {"sh", "-c",
                          "ip -o link show eth0; ip route; (" + fetch("http://web/")[2] +
                              ") && timeout 2 wget -q -O - http://web-alias/"},
                         w.attach_to("front", {web_entry}));
    auto [out, code] = finish(client);
    INFO(out);
    CHECK(code == 0);
    CHECK(contains(out, "hello from web\nhello from web\n"));
    CHECK(contains(out, format_mac(client.attachment->info().address)));
    CHECK(contains(out, "default via " + format_ipv4(front.ipam->gateway()) + " dev eth0"));
  }

  SECTION("not from another network, though forwarding is on") {
    Box client = w.start("stranger", fetch("http://" + web_ip + "/", 2), w.attach_to("back"));
    auto [out, code] = finish(client);
    INFO(out);
    CHECK(code != 0);
    CHECK_FALSE(contains(out, "hello"));
  }

  SECTION("an internal network has no default route and no way out") {
    Box client =
        w.start("hermit", {"sh", "-c", "ip route; " + fetch("http://" + web_ip + "/", 2)[2]}, w.attach_to("sealed"));
    auto [out, code] = finish(client);
    INFO(out);
    CHECK(code != 0);
    CHECK_FALSE(contains(out, "default"));
    CHECK(contains(out, sealed.ipam->subnet().str() + " dev eth0"));
  }

  // Everything undone: links, addresses, rules, pins, allocations.
  web.process = {};
  REQUIRE(web.attachment->detach());
  REQUIRE(pin->unpin());
  for (auto* nat : {&nat_front, &nat_back, &nat_sealed}) REQUIRE((*nat)->remove());
  for (const char* name : {"front", "back", "sealed"}) {
    auto n = w.store.get(name);
    REQUIRE(n);
    CHECK(n->ipam->allocations().empty());
    REQUIRE(w.store.remove(name));
  }
  CHECK(links() == std::vector<std::string>{"lo"});
  auto in_use = Netlink::open()->ipv4_in_use();
  REQUIRE(in_use);
  for (const auto& p : *in_use) CHECK(p.str().rfind("10.201.", 0) != 0);
  CHECK(*nat_table_text() == "");
  CHECK(fs::is_empty(w.run_root + "/netns"));
}

TEST_CASE("a published port answers on loopback, on another address and from an outside host; NAT goes out",
          "[attach][ports]") {
  World w;
  Network front = make_network(w.store, "front");
  auto nat = NetworkNat::setup(w.run_root, front);
  REQUIRE(nat);

  // The "outside host": its own namespace joined to the sandbox by a veth,
  // 192.0.2.1 (sandbox) <-> 192.0.2.2 (outside), with no route to the
  // container subnet: only masquerade lets a container's packets come back.
  Netlink nl = *Netlink::open();
  std::optional<VethPair> wire;
  Box outside = w.start("outside", {"httpd", "-f", "-p", "80", "-h", "/www/outside"}, [&](Box&, pid_t pid) -> Status {
    wire.emplace(BRICK_TRY(nl.create_veth("vout0", "vout1", 0)));
    BRICK_TRY(nl.add_ipv4_address(wire->host.ifindex(), *parse_ipv4("192.0.2.1"), 24));
    BRICK_TRY(nl.set_up(wire->host.ifindex()));
    UniqueFd ns(::open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
    BRICK_TRY(nl.move_to_netns(wire->peer_ifindex, ns.get()));
    Prefix subnet = *parse_prefix("192.0.2.0/24");
    return configure_container_interface(ns.get(), "vout1", {"eth0", subnet, *parse_ipv4("192.0.2.2"), 0, 0});
  });

  Box web = w.start("web", {"httpd", "-f", "-p", "80", "-h", "/www/web"}, w.attach_to("front"));
  auto published =
      PortForwards::publish(w.run_root, "web", web.attachment->info().address, *parse_port_spec("18080:80"));
  INFO((published ? "" : published.error().message()));
  REQUIRE(published);
  auto loopback_only =
      PortForwards::publish(w.run_root, "web-local", web.attachment->info().address, *parse_port_spec("127.0.0.1::80"));
  REQUIRE(loopback_only);
  REQUIRE(loopback_only->ports().size() == 1);
  const uint16_t random_port = loopback_only->ports()[0].host_port;
  CHECK(random_port != 0);
  CHECK(*published_ports(w.run_root, "web") == std::vector<PublishedPort>{{"0.0.0.0", 18080, 80, "tcp"}});

  CHECK(contains(http_get("127.0.0.1", 18080), "hello from web"));
  CHECK(contains(http_get("192.0.2.1", 18080), "hello from web"));
  CHECK(contains(http_get("127.0.0.1", random_port), "hello from web"));
  // Bound to 127.0.0.1 only: not on the other address.
  CHECK_FALSE(contains(http_get("192.0.2.1", random_port, 2), "hello"));

  SECTION("an outside host reaches the published port through the sandbox's address") {
    UniqueFd ns(::open(("/proc/" + std::to_string(outside.process.pid()) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(ns);
    std::string got;
    // setns is per thread: a helper thread enters, the test thread stays.
    std::thread([&] {
      auto in = NetnsGuard::enter(ns.get());
      if (in) got = http_get("192.0.2.1", 18080);
    }).join();
    CHECK(contains(got, "hello from web"));
  }

  SECTION("UDP is published too, on 127.0.0.1") {
    // busybox has no UDP listener: a helper thread listens inside the web
    // container's namespace instead.
    UniqueFd ns(::open(("/proc/" + std::to_string(web.process.pid()) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(ns);
    UniqueFd listener;
    std::thread([&] {
      auto in = NetnsGuard::enter(ns.get());
      if (!in) return;
      listener.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      sockaddr_in any{};
      any.sin_family = AF_INET;
      any.sin_port = htons(9000);
      if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) listener.reset();
    }).join();
    REQUIRE(listener);
    timeval tv{2, 0};
    ::setsockopt(listener.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto udp = PortForwards::publish(w.run_root, "udp", web.attachment->info().address,
                                     *parse_port_spec("127.0.0.1:19000:9000/udp"));
    REQUIRE(udp);
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(19000);
    ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    REQUIRE(::sendto(fd.get(), "ping", 4, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 4);
    char buf[16] = {};
    CHECK(::recv(listener.get(), buf, sizeof buf, 0) == 4);
    CHECK(std::string(buf) == "ping");
    REQUIRE(udp->remove());
  }

  SECTION("a container reaches the outside host through masquerade") {
    Box client = w.start("client", fetch("http://192.0.2.2/"), w.attach_to("front"));
    auto [out, code] = finish(client);
    INFO(out);
    CHECK(code == 0);
    CHECK(contains(out, "hello from outside"));
  }

  SECTION("a port in use, or published already, is refused before anything is made") {
    UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(18081);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(listener.get(), 1) == 0);
    std::string before = *nat_table_text();
    auto taken =
        PortForwards::publish(w.run_root, "other", web.attachment->info().address, *parse_port_spec("18082:80"));
    REQUIRE(taken);
    auto clash =
        PortForwards::publish(w.run_root, "late", web.attachment->info().address, *parse_port_spec("18081:81"));
    REQUIRE_FALSE(clash);
    CHECK(clash.error().message() ==
          "publishing ports of `late`: host port 0.0.0.0:18081/tcp is already in use by another program: Address "
          "already in use");
    auto twice =
        PortForwards::publish(w.run_root, "late", web.attachment->info().address, *parse_port_spec("18082:82"));
    REQUIRE_FALSE(twice);
    CHECK(contains(twice.error().message(), "host port 18082/tcp is already published by `other`"));
    REQUIRE(taken->remove());
    CHECK(*nat_table_text() == before);
    CHECK(published_ports(w.run_root, "late")->empty());
  }

  REQUIRE(published->remove());
  REQUIRE(loopback_only->remove());
  CHECK_FALSE(contains(http_get("127.0.0.1", 18080, 2), "hello"));
  web.process = {};
  outside.process = {};
  REQUIRE(web.attachment->detach());
  REQUIRE(wire->host.remove());
  REQUIRE(nat->remove());
  REQUIRE(w.store.remove("front"));
  CHECK(links() == std::vector<std::string>{"lo"});
  CHECK(*nat_table_text() == "");
  CHECK(fs::is_empty(w.run_root + "/ports"));
}

// bench/net_attach_bench.sh runs this (hidden from the suite): the time of
// attach() into a fresh namespace, the same work as the CNI bridge plugin's
// ADD (veth, bridge port, IPAM, address, MAC, route, lo up).
TEST_CASE("attach time", "[.bench]") {
  World w;
  make_network(w.store, "bench");
  const int rounds = std::getenv("ROUNDS") ? std::atoi(std::getenv("ROUNDS")) : 100;
  std::vector<double> attach_ms, detach_ms;
  for (int i = 0; i < rounds; ++i) {
    // A namespace with no process in it: a helper thread unshares, keeps an
    // fd of its new namespace and dies (setns is per thread).
    UniqueFd ns;
    std::thread([&] {
      if (::unshare(CLONE_NEWNET) == 0) ns.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    }).join();
    REQUIRE(ns);
    AttachOptions o;
    o.network = "bench";
    o.owner = "c" + std::to_string(i);
    auto t0 = std::chrono::steady_clock::now();
    auto a = attach(w.store, ns.get(), o);
    auto t1 = std::chrono::steady_clock::now();
    REQUIRE(a);
    REQUIRE(a->detach());
    auto t2 = std::chrono::steady_clock::now();
    attach_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    detach_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  std::sort(attach_ms.begin(), attach_ms.end());
  std::sort(detach_ms.begin(), detach_ms.end());
  std::printf("brick attach median %.2f ms p90 %.2f ms; detach median %.2f ms (%d rounds)\n",
              attach_ms[attach_ms.size() / 2], attach_ms[attach_ms.size() * 9 / 10], detach_ms[detach_ms.size() / 2],
              rounds);
  REQUIRE(w.store.remove("bench"));
}

namespace {
// iperf3's received throughput in Gbit/s, run with `prefix` (nsenter ...).
double iperf_gbits(const std::string& prefix, const std::string& target) {
  std::string cmd = prefix + " iperf3 -J -t 3 -c " + target + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ::pclose(p);
  auto json = nlohmann::json::parse(out, nullptr, false);
  INFO(out);
  REQUIRE(json.contains("end"));
  return json["end"]["sum_received"]["bits_per_second"].get<double>() / 1e9;
}
}  // namespace

// bench/net_attach_bench.sh runs this too: TCP throughput container to
// container, host to container directly, and through a published port.
TEST_CASE("iperf3 throughput", "[.iperf]") {
  World w;
  Network n = make_network(w.store, "perf");
  auto nat = NetworkNat::setup(w.run_root, n);
  REQUIRE(nat);
  Box server = w.start("server", {"sleep", "60"}, w.attach_to("perf"));
  Box client = w.start("client", {"sleep", "60"}, w.attach_to("perf"));
  const std::string server_ip = format_ipv4(server.attachment->info().address);
  const std::string in_server = "nsenter --net=/proc/" + std::to_string(server.process.pid()) + "/ns/net";
  const std::string in_client = "nsenter --net=/proc/" + std::to_string(client.process.pid()) + "/ns/net";
  REQUIRE(std::system((in_server + " iperf3 -s -D -I " + w.scratch.path() + "/iperf.pid").c_str()) == 0);
  ::usleep(300'000);
  auto ports =
      PortForwards::publish(w.run_root, "server", server.attachment->info().address, *parse_port_spec("15201:5201"));
  REQUIRE(ports);
  const std::string gateway = format_ipv4(n.ipam->gateway());
  double c2c = iperf_gbits(in_client, server_ip);
  double direct = iperf_gbits("", server_ip);
  double via_loopback = iperf_gbits("", "127.0.0.1 -p 15201");
  double via_address = iperf_gbits("", gateway + " -p 15201");
  std::printf(
      "iperf3 Gbit/s: container->container %.1f; host->container direct %.1f; published port via 127.0.0.1 %.1f "
      "(%.0f%%), via %s %.1f (%.0f%%)\n",
      c2c, direct, via_loopback, 100 * via_loopback / direct, gateway.c_str(), via_address, 100 * via_address / direct);
  auto pid = read_file(w.scratch.path() + "/iperf.pid");
  if (pid) ::kill(std::atoi(pid->c_str()), SIGTERM);
  REQUIRE(ports->remove());
  server.process = {};
  client.process = {};
  REQUIRE(server.attachment->detach());
  REQUIRE(client.attachment->detach());
  REQUIRE(nat->remove());
  REQUIRE(w.store.remove("perf"));
}

namespace {
// A network namespace with no process in it: a helper thread unshares and
// keeps an fd of its new namespace (setns/unshare are per thread).
UniqueFd fresh_netns() {
  UniqueFd ns;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) == 0) ns.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  }).join();
  REQUIRE(ns);
  return ns;
}
}  // namespace

TEST_CASE("an owner gets its address back, and a crashed attach is cleaned by the next one", "[attach]") {
  World w;
  Network n = make_network(w.store, "stable");
  AttachOptions o;
  o.network = "stable";
  o.owner = "demo-db-1";
  UniqueFd first_ns = fresh_netns();
  auto first = attach(w.store, first_ns.get(), o);
  REQUIRE(first);
  const Ipv4 address = first->info().address;
  CHECK(first->info().host_veth == host_veth_name(n.id, "demo-db-1"));
  CHECK(first->info().host_veth.size() == 15);
  REQUIRE(first->detach());

  // Someone else attaches meanwhile and takes the lowest free address.
  AttachOptions other = o;
  other.owner = "demo-web-1";
  UniqueFd other_ns = fresh_netns();
  auto web = attach(w.store, other_ns.get(), other);
  REQUIRE(web);
  CHECK(web->info().address != address);

  // The owner comes back: same address. Then brick "dies" holding it.
  UniqueFd second_ns = fresh_netns();
  auto second = attach(w.store, second_ns.get(), o);
  REQUIRE(second);
  CHECK(second->info().address == address);
  second->keep();

  // The next run of the same owner removes the leftover veth and address.
  UniqueFd third_ns = fresh_netns();
  auto third = attach(w.store, third_ns.get(), o);
  REQUIRE(third);
  CHECK(third->info().address == address);
  CHECK(w.store.get("stable")->ipam->allocations().size() == 2);

  // A static address that is taken is an error, and leaves nothing.
  AttachOptions clash = o;
  clash.owner = "demo-cache-1";
  clash.ipv4_address = address;
  UniqueFd clash_ns = fresh_netns();
  auto refused = attach(w.store, clash_ns.get(), clash);
  REQUIRE_FALSE(refused);
  CHECK(contains(refused.error().message(), "is held by `demo-db-1`"));

  REQUIRE(third->detach());
  REQUIRE(web->detach());
  CHECK(w.store.get("stable")->ipam->allocations().empty());
  REQUIRE(w.store.remove("stable"));
  CHECK(links() == std::vector<std::string>{"lo"});
}
