// NetworkStore over real rtnetlink inside sandbox.sh's private namespace:
// two networks get distinct subnets and live bridges carrying their gateways;
// removing them deletes bridges and records; a failure after the bridge was
// made leaves neither.
#include <sys/mount.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "net/nat.hpp"
#include "net/netlink.hpp"
#include "net/network.hpp"

using namespace brick;
using namespace brick::net;

namespace {

// sandbox.sh unshares the network but keeps the host's /sys mount, and sysfs
// shows the network namespace of whoever mounted it. A fresh sysfs, mounted in
// the sandbox's private mount namespace, shows this one's links.
void mount_own_sysfs() {
  static bool done = [] { return ::mount("sysfs", "/sys", "sysfs", 0, nullptr) == 0; }();
  REQUIRE(done);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool bridge_up(const std::string& name) {
  auto flags = read_file("/sys/class/net/" + name + "/flags");
  return flags && (std::stoul(*flags, nullptr, 16) & 1) && exists("/sys/class/net/" + name + "/bridge");
}

// sandbox.sh gives every test run its own.
std::string run_root() {
  const char* r = std::getenv("BRICK_RUN_ROOT");
  return r ? r : "/run/brick";
}

// The real host, but the record write fails: the bridge already exists then.
// The record and the bridge are made for real; the rules step fails.
class FailingRules : public NetworkHost {
 public:
  std::shared_ptr<NetworkHost> real = kernel_host(run_root());
  Result<std::vector<Prefix>> prefixes_in_use() override { return real->prefixes_in_use(); }
  Result<bool> link_exists(const std::string& n) override { return real->link_exists(n); }
  Status create_bridge(const std::string& n, int mtu, Ipv4 gw, const Prefix& s) override {
    BRICK_TRY(real->create_bridge(n, mtu, gw, s));
    created = exists("/sys/class/net/" + n);
    return {};
  }
  Status delete_link(const std::string& n) override { return real->delete_link(n); }
  Status setup_rules(const Network&) override { return fail(Error("injected", EIO)); }
  Status teardown_rules(const Network& n) override { return real->teardown_rules(n); }
  bool created = false;
};

NetworkSpec spec(const std::string& name, std::map<std::string, std::string> options = {}) {
  NetworkSpec s;
  s.name = name;
  s.options = std::move(options);
  return s;
}

}  // namespace

TEST_CASE("two networks: distinct subnets, bridges up with gateways, removed cleanly") {
  mount_own_sysfs();
  TempDir root = TempDir::create("netinteg").value();
  auto netlink = Netlink::open();
  REQUIRE(netlink);
  auto store = NetworkStore::open(root.path(), kernel_host(run_root()));
  REQUIRE(store);

  auto a = store->create(spec("alpha"));
  INFO((a ? "" : a.error().full()));
  REQUIRE(a);
  NetworkSpec bspec = spec("beta", {{kBridgeNameOption, "brick-beta"}, {kMtuOption, "1400"}});
  auto b = store->create(bspec);
  REQUIRE(b);
  CHECK(a->ipam->subnet() != b->ipam->subnet());
  CHECK(bridge_up(a->bridge));
  CHECK(bridge_up("brick-beta"));
  CHECK(read_file("/sys/class/net/brick-beta/mtu").value() == "1400\n");

  // The gateways are on the bridges: IPAM now sees both subnets as taken.
  auto in_use = netlink->ipv4_in_use();
  REQUIRE(in_use);
  auto has = [&](const Prefix& p) { return std::find(in_use->begin(), in_use->end(), p) != in_use->end(); };
  CHECK(has(a->ipam->subnet()));
  CHECK(has(b->ipam->subnet()));
  CHECK(exists(store->dir() + "/alpha.json"));
  // Each network has its NAT and isolation rules.
  std::string table = nat_table_text().value();
  CHECK(table.find("ip saddr " + a->ipam->subnet().str() + " oifname != \"" + a->bridge + "\" masquerade") !=
        std::string::npos);
  CHECK(table.find("ip saddr " + b->ipam->subnet().str() + " oifname != \"brick-beta\" masquerade") !=
        std::string::npos);

  // A stray bridge with a name a record would want is refused by name.
  NetworkSpec clash = spec("gamma", {{kBridgeNameOption, "brick-beta"}});
  auto c = store->create(clash);
  REQUIRE_FALSE(c);
  CHECK(c.error().message().find("brick-beta") != std::string::npos);

  REQUIRE(store->remove("alpha"));
  REQUIRE(store->remove(b->id.substr(0, 12)));
  CHECK_FALSE(exists("/sys/class/net/" + a->bridge));
  CHECK_FALSE(exists("/sys/class/net/brick-beta"));
  CHECK_FALSE(exists(store->dir() + "/alpha.json"));
  CHECK(store->list()->empty());
  CHECK(nat_table_text().value() == "");
}

TEST_CASE("a failure after the bridge exists leaves no bridge and no record") {
  mount_own_sysfs();
  TempDir root = TempDir::create("netinteg").value();
  auto host = std::make_shared<FailingRules>();
  auto store = NetworkStore::open(root.path(), host);
  REQUIRE(store);
  NetworkSpec doomed = spec("doomed", {{kBridgeNameOption, "brick-doomed"}});
  auto r = store->create(doomed);
  REQUIRE_FALSE(r);
  CHECK(host->created);
  CHECK_FALSE(exists("/sys/class/net/brick-doomed"));
  CHECK(nat_table_text().value() == "");
  CHECK_FALSE(exists(store->dir() + "/doomed.json"));
}

TEST_CASE("a bridge that exists without a record is an error naming it") {
  mount_own_sysfs();
  TempDir root = TempDir::create("netinteg").value();
  auto netlink = Netlink::open();
  REQUIRE(netlink);
  auto stray =
      netlink->create_bridge("stray0", 0, parse_ipv4("10.250.0.1").value(), parse_prefix("10.250.0.0/24").value());
  REQUIRE(stray);
  auto store = NetworkStore::open(root.path(), kernel_host(run_root()));
  REQUIRE(store);
  auto r = store->create(spec("s", {{kBridgeNameOption, "stray0"}}));
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("bridge `stray0` already exists") != std::string::npos);
  CHECK(exists("/sys/class/net/stray0"));  // not ours: left alone
}
