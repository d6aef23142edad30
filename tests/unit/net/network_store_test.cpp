// NetworkStore without a kernel: a fake NetworkHost stands in for rtnetlink,
// so subnet choice, records, rollback and in-use checks run without root.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "net/network.hpp"

using namespace brick;
using namespace brick::net;

namespace {

class FakeHost : public NetworkHost {
 public:
  std::vector<Prefix> host_prefixes;
  std::set<std::string> links;
  std::map<std::string, int> mtus;  // as create_bridge was asked
  bool fail_write = false;
  bool fail_rules = false;
  bool fail_teardown = false;
  std::set<std::string> rules;     // bridges whose rules stand
  std::vector<std::string> calls;  // "bridge <name>", "rules <name>", ... in order

  Result<std::vector<Prefix>> prefixes_in_use() override { return host_prefixes; }
  Result<bool> link_exists(const std::string& name) override { return links.contains(name); }
  Status create_bridge(const std::string& name, int mtu, Ipv4, const Prefix&) override {
    links.insert(name);
    mtus[name] = mtu;
    calls.push_back("bridge " + name);
    return {};
  }
  Status delete_link(const std::string& name) override {
    links.erase(name);
    calls.push_back("del-bridge " + name);
    return {};
  }
  Status setup_rules(const Network& n) override {
    if (!links.contains(n.bridge)) return fail("rules for bridge `" + n.bridge + "` before it exists");
    if (fail_rules) return fail(Error("setting up NAT for network `" + n.name + "`: nft refused (injected)", EINVAL));
    rules.insert(n.bridge);
    calls.push_back("rules " + n.bridge);
    return {};
  }
  Status teardown_rules(const Network& n) override {
    if (fail_teardown) return fail(Error("removing NAT rules of bridge `" + n.bridge + "`: injected", EIO));
    rules.erase(n.bridge);  // rules never made are fine too
    calls.push_back("del-rules " + n.bridge);
    return {};
  }
  Status write_record(const std::string& path, std::string_view data) override {
    if (fail_write) return fail(Error("disk full (injected)", ENOSPC));
    return NetworkHost::write_record(path, data);
  }
};

struct Fixture {
  TempDir root = std::move(TempDir::create("netstore").value());
  std::shared_ptr<FakeHost> host = std::make_shared<FakeHost>();
  NetworkStore store = std::move(NetworkStore::open(root.path(), host).value());
};

NetworkSpec spec(const std::string& name) {
  NetworkSpec s;
  s.name = name;
  return s;
}

}  // namespace

TEST_CASE("create chooses distinct subnets, skipping the host's prefixes") {
  Fixture f;
  f.host->host_prefixes = {parse_prefix("10.201.0.0/24").value()};
  auto a = f.store.create(spec("alpha"));
  REQUIRE(a);
  auto b = f.store.create(spec("beta"));
  REQUIRE(b);
  CHECK(a->ipam->subnet().str() == "10.201.1.0/24");
  CHECK(format_ipv4(a->ipam->gateway()) == "10.201.1.1");
  CHECK(b->ipam->subnet().str() == "10.201.2.0/24");
  CHECK(a->id.size() == 64);
  CHECK(a->id != b->id);
  CHECK(a->bridge == "br-" + a->id.substr(0, 12));
  CHECK(a->bridge.size() <= 15);
  CHECK(f.host->links == std::set<std::string>{a->bridge, b->bridge});
  CHECK(f.host->rules == std::set<std::string>{a->bridge, b->bridge});
  CHECK(f.host->calls == std::vector<std::string>{"bridge " + a->bridge, "rules " + a->bridge, "bridge " + b->bridge,
                                                  "rules " + b->bridge});

  auto list = f.store.list();
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "alpha");
  auto by_prefix = f.store.get(b->id.substr(0, 8));
  REQUIRE(by_prefix);
  CHECK(by_prefix->name == "beta");
}

TEST_CASE("user-given subnet, gateway, ip_range, options and labels are kept") {
  Fixture f;
  NetworkSpec s = spec("custom");
  s.subnet = "192.168.77.0/24";
  s.gateway = "192.168.77.254";
  s.ip_range = "192.168.77.128/25";
  s.internal = true;
  s.labels = {{"a", "b"}};
  s.options = {{kBridgeNameOption, "brick-custom"}, {kMtuOption, "1400"}};
  REQUIRE(f.store.create(s));
  auto n = f.store.get("custom");
  REQUIRE(n);
  CHECK(n->bridge == "brick-custom");
  CHECK(n->mtu() == 1400);
  CHECK(f.host->mtus.at("brick-custom") == 1400);
  CHECK(n->internal);
  CHECK(n->labels.at("a") == "b");
  auto j = inspect_json(*n);
  CHECK(j["IPAM"]["Config"][0]["Subnet"] == "192.168.77.0/24");
  CHECK(j["IPAM"]["Config"][0]["Gateway"] == "192.168.77.254");
  CHECK(j["IPAM"]["Config"][0]["IPRange"] == "192.168.77.128/25");
  CHECK(j["Internal"] == true);
  CHECK(j["Options"][kMtuOption] == "1400");

  NetworkSpec overlap = spec("other");
  overlap.subnet = "192.168.77.0/25";
  auto err = f.store.create(overlap);
  REQUIRE_FALSE(err);
  CHECK(err.error().message().find("overlaps network `custom`") != std::string::npos);
}

TEST_CASE("bad specs are refused with the network named and nothing created") {
  Fixture f;
  struct Case {
    NetworkSpec spec;
    const char* expect;
  };
  std::vector<Case> cases;
  cases.push_back({spec("-bad"), "invalid network name"});
  NetworkSpec driver = spec("n1");
  driver.driver = "overlay";
  cases.push_back({driver, "driver `overlay`"});
  NetworkSpec mtu = spec("n2");
  mtu.options = {{kMtuOption, "big"}};
  cases.push_back({mtu, "not an MTU"});
  NetworkSpec ifname = spec("n3");
  ifname.options = {{kBridgeNameOption, "a-very-long-bridge-name"}};
  cases.push_back({ifname, "not an interface name"});
  NetworkSpec gw = spec("n4");
  gw.gateway = "10.0.0.1";
  cases.push_back({gw, "need --subnet"});
  NetworkSpec host_bits = spec("n5");
  host_bits.subnet = "10.9.0.1/24";
  cases.push_back({host_bits, "subnet `10.9.0.1/24`"});
  for (const auto& c : cases) {
    auto r = f.store.create(c.spec);
    INFO(c.spec.name);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("network `" + c.spec.name + "`") != std::string::npos);
    CHECK(r.error().message().find(c.expect) != std::string::npos);
  }
  CHECK(f.host->links.empty());
  CHECK(f.store.list()->empty());
}

TEST_CASE("duplicate names and stray bridges are errors that name them") {
  Fixture f;
  REQUIRE(f.store.create(spec("dup")));
  auto again = f.store.create(spec("dup"));
  REQUIRE_FALSE(again);
  CHECK(again.error().message().find("already exists") != std::string::npos);

  f.host->links.insert("stray0");
  NetworkSpec s = spec("stray");
  s.options = {{kBridgeNameOption, "stray0"}};
  auto r = f.store.create(s);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("bridge `stray0` already exists but belongs to no brick network") !=
        std::string::npos);
  CHECK(f.host->links.contains("stray0"));  // not ours: left alone
}

TEST_CASE("the record is written before the bridge: a failed write makes nothing") {
  Fixture f;
  f.host->fail_write = true;
  auto r = f.store.create(spec("doomed"));
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("creating network `doomed`") != std::string::npos);
  CHECK(f.host->links.empty());
  CHECK(f.host->rules.empty());
  CHECK(f.store.list()->empty());
  CHECK(f.host->calls.empty());
}

TEST_CASE("ensure() completes a network whose bridge is missing (brick killed mid-create)") {
  Fixture f;
  auto n = f.store.create(spec("half"));
  REQUIRE(n);
  f.host->links.clear();  // as if killed after the record, before the bridge
  f.host->rules.clear();
  f.host->calls.clear();
  REQUIRE(f.store.ensure("half"));
  CHECK(f.host->links.contains(n->bridge));
  CHECK(f.host->rules.contains(n->bridge));
  REQUIRE(f.host->calls.size() == 2);
  CHECK(f.host->calls[0] == "bridge " + n->bridge);
  CHECK(f.host->calls[1] == "rules " + n->bridge);
  // Complete already: nothing is touched.
  f.host->calls.clear();
  REQUIRE(f.store.ensure("half"));
  CHECK(f.host->calls.empty());
  CHECK_FALSE(f.store.ensure("nope"));
}

TEST_CASE("a failure to set up the rules takes the bridge back out") {
  Fixture f;
  f.host->fail_rules = true;
  auto r = f.store.create(spec("norules"));
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("creating network `norules`") != std::string::npos);
  CHECK(r.error().message().find("nft refused") != std::string::npos);
  CHECK(f.host->links.empty());
  CHECK(f.host->rules.empty());
  CHECK(f.store.list()->empty());
  // The same name works once the rules can be made.
  f.host->fail_rules = false;
  REQUIRE(f.store.create(spec("norules")));
}

TEST_CASE("remove and prune take the rules down before the bridge, a failure keeps the network") {
  Fixture f;
  auto a = f.store.create(spec("a"));
  REQUIRE(a);
  auto b = f.store.create(spec("b"));
  REQUIRE(b);

  f.host->fail_teardown = true;
  auto r = f.store.remove("a");
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("removing network `a`") != std::string::npos);
  CHECK(r.error().message().find(a->bridge) != std::string::npos);
  CHECK(f.host->links.contains(a->bridge));  // still whole: `rm` can be retried
  CHECK(f.store.get("a"));
  f.host->fail_teardown = false;

  f.host->calls.clear();
  REQUIRE(f.store.remove("a"));
  CHECK(f.host->calls == std::vector<std::string>{"del-rules " + a->bridge, "del-bridge " + a->bridge});

  // A network whose rules were never made (one from before brick made
  // them, or rules already removed by hand) still goes.
  f.host->rules.erase(b->bridge);
  f.host->calls.clear();
  auto pruned = f.store.prune();
  REQUIRE(pruned);
  CHECK(*pruned == std::vector<std::string>{"b"});
  CHECK(f.host->calls == std::vector<std::string>{"del-rules " + b->bridge, "del-bridge " + b->bridge});
  CHECK(f.host->links.empty());
  CHECK(f.host->rules.empty());
  CHECK(f.store.list()->empty());
}

TEST_CASE("remove refuses while in use, prune keeps networks in use") {
  Fixture f;
  REQUIRE(f.store.create(spec("busy")));
  REQUIRE(f.store.create(spec("idle")));
  InUse in_use = [](const std::string& name) { return name == "busy"; };
  auto r = f.store.remove("busy", in_use);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("network `busy`") != std::string::npos);
  CHECK(r.error().message().find("network busy has active endpoints") != std::string::npos);

  auto pruned = f.store.prune(in_use);
  REQUIRE(pruned);
  CHECK(*pruned == std::vector<std::string>{"idle"});
  REQUIRE(f.store.list()->size() == 1);
  REQUIRE(f.host->links.size() == 1);

  auto removed = f.store.remove("busy");
  REQUIRE(removed);
  CHECK(*removed == "busy");
  CHECK(f.host->links.empty());
  CHECK(f.store.list()->empty());
  auto missing = f.store.remove("busy");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message().find("not found") != std::string::npos);
}

TEST_CASE("records round-trip through JSON, IPAM allocations included") {
  Fixture f;
  auto n = f.store.create(spec("rt"));
  REQUIRE(n);
  REQUIRE(n->ipam->allocate("c1"));
  auto back = Network::from_json(nlohmann::json::parse(n->to_json().dump()));
  REQUIRE(back);
  CHECK(back->to_json() == n->to_json());
  CHECK(back->ipam->allocations().size() == 1);
  CHECK_FALSE(Network::from_json(nlohmann::json::parse(R"({"Name":"x"})")));
}

TEST_CASE("stale temp files of killed record writes go with remove() and sweep()") {
  Fixture f;
  REQUIRE(f.store.create(spec("half")));
  const std::string stale = f.store.dir() + "/half.json.tmp-Ab12Cd";
  REQUIRE(brick::write_file_atomic(stale, "{"));
  const std::string other = f.store.dir() + "/halfway.json.tmp-Ab12Cd";
  REQUIRE(brick::write_file_atomic(other, "{"));
  REQUIRE(f.store.remove("half"));
  CHECK(::access(stale.c_str(), F_OK) != 0);
  CHECK(::access(other.c_str(), F_OK) != 0);  // any: writers hold the lock remove() holds
  // A network killed before its first record has only its temp file: sweep().
  REQUIRE(brick::write_file_atomic(other, "{"));
  REQUIRE(f.store.sweep());
  CHECK(::access(other.c_str(), F_OK) != 0);
  CHECK(f.store.list()->empty());
}
