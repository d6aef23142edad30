// IPAM without a kernel: parsing, overlap, subnet choice against in-use
// prefixes, address allocation rules and the JSON round trip.
#include "net/ipam.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace brick;
using namespace brick::net;

namespace {

Prefix P(const char* text) {
  auto prefix = parse_prefix(text);
  INFO(text);
  REQUIRE(prefix);
  return *prefix;
}

Ipv4 A(const char* text) {
  auto address = parse_ipv4(text);
  INFO(text);
  REQUIRE(address);
  return *address;
}

}  // namespace

TEST_CASE("parse_ipv4 accepts dotted quads and rejects everything else") {
  CHECK(format_ipv4(A("10.201.3.4")) == "10.201.3.4");
  CHECK(A("255.255.255.255") == 0xffffffffu);
  CHECK(A("0.0.0.0") == 0u);
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "01.2.3.4", "1.2.3.4 ", "a.b.c.d", "1..2.3", "1.2.3.4/24"}) {
    INFO(bad);
    CHECK_FALSE(parse_ipv4(bad));
  }
}

TEST_CASE("parse_prefix round-trips and refuses host bits") {
  CHECK(P("172.30.0.0/16").str() == "172.30.0.0/16");
  CHECK(P("0.0.0.0/0").mask() == 0u);
  CHECK(P("10.0.0.7/32").broadcast() == A("10.0.0.7"));
  auto bad = parse_prefix("10.0.0.1/24");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("10.0.0.0/24") != std::string::npos);
  for (const char* text : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "10.0.0.0/-1"}) {
    INFO(text);
    CHECK_FALSE(parse_prefix(text));
  }
  CHECK(Prefix::containing(A("192.168.1.77"), 24) == P("192.168.1.0/24"));
}

TEST_CASE("overlaps is symmetric and covers containment") {
  struct Case {
    const char *a, *b;
    bool overlap;
  };
  for (const Case& c : std::initializer_list<Case>{{"10.0.0.0/8", "10.1.2.0/24", true},
                                                   {"10.1.2.0/24", "10.1.2.128/25", true},
                                                   {"10.1.2.0/24", "10.1.3.0/24", false},
                                                   {"192.168.0.0/16", "192.169.0.0/16", false},
                                                   {"10.1.2.3/32", "10.1.2.0/30", true}}) {
    INFO(c.a << " vs " << c.b);
    CHECK(overlaps(P(c.a), P(c.b)) == c.overlap);
    CHECK(overlaps(P(c.b), P(c.a)) == c.overlap);
  }
}

TEST_CASE("the default pool avoids docker's and podman's defaults") {
  for (const Pool& pool : default_pools()) {
    for (const char* theirs : {"172.17.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "10.88.0.0/16", "10.89.0.0/16"}) {
      INFO(pool.base.str() << " vs " << theirs);
      CHECK_FALSE(overlaps(pool.base, P(theirs)));
    }
  }
}

TEST_CASE("choose_subnet skips whatever the host and other networks use") {
  std::vector<Pool> pools = {{P("10.201.0.0/16"), 24}};
  CHECK(choose_subnet(pools, {}).value() == P("10.201.0.0/24"));
  // A host address (as its /24), a route covering two /24s, another network.
  std::vector<Prefix> used = {P("10.201.0.0/24"), P("10.201.2.0/23"), P("10.201.1.0/24"), P("192.168.1.0/24")};
  CHECK(choose_subnet(pools, used).value() == P("10.201.4.0/24"));
  // A route wider than the whole pool exhausts it; the next pool is used.
  pools.push_back({P("10.202.0.0/23"), 24});
  CHECK(choose_subnet(pools, {P("10.201.0.0/16")}).value() == P("10.202.0.0/24"));
  auto none = choose_subnet(pools, {P("10.0.0.0/8")});
  REQUIRE_FALSE(none);
  CHECK(none.error().message().find("no free subnet") != std::string::npos);
  // A whole-space pool must not wrap around at 255.255.255.0.
  CHECK(choose_subnet({{P("255.255.255.0/24"), 24}}, {P("255.255.255.0/24")}).has_value() == false);
  CHECK_FALSE(choose_subnet({{P("10.0.0.0/24"), 16}}, {}));
}

TEST_CASE("mac_for is docker's 02:42 scheme") {
  auto mac = mac_for(A("172.17.0.2"));
  CHECK(mac == std::array<uint8_t, 6>{0x02, 0x42, 0xac, 0x11, 0x00, 0x02});
}

TEST_CASE("allocate skips network, gateway, aux, broadcast and held addresses") {
  SubnetConfig config{P("10.9.0.0/29"), std::nullopt, std::nullopt, {{"router", A("10.9.0.3")}}};
  auto ipam = SubnetAllocator::create(config);
  REQUIRE(ipam);
  CHECK(ipam->gateway() == A("10.9.0.1"));
  CHECK(ipam->allocate("a").value() == A("10.9.0.2"));
  CHECK(ipam->allocate("b").value() == A("10.9.0.4"));
  REQUIRE(ipam->allocate_static(A("10.9.0.5"), "c"));
  CHECK(ipam->allocate("d").value() == A("10.9.0.6"));
  auto full = ipam->allocate("e");  // .7 is broadcast
  REQUIRE_FALSE(full);
  CHECK(full.error().message() == "allocating an address for `e`: subnet `10.9.0.0/29` is full");
  REQUIRE(ipam->release(A("10.9.0.4")));
  CHECK(ipam->allocate("e").value() == A("10.9.0.4"));
  REQUIRE(ipam->release(A("10.9.0.4")));
  CHECK_FALSE(ipam->release(A("10.9.0.4")));  // already released: the records disagree
  CHECK(ipam->release_owner("a") == 1);
  CHECK(ipam->allocations().size() == 2);
}

TEST_CASE("allocate_static explains why an address is refused") {
  auto ipam = SubnetAllocator::create({P("10.9.0.0/24"), A("10.9.0.254"), std::nullopt, {{"dns", A("10.9.0.53")}}});
  REQUIRE(ipam);
  REQUIRE(ipam->allocate_static(A("10.9.0.10"), "web"));
  struct Case {
    const char* address;
    const char* reason;
  };
  for (const Case& c : std::initializer_list<Case>{{"10.9.0.0", "network address"},
                                                   {"10.9.0.255", "broadcast address"},
                                                   {"10.9.0.254", "gateway"},
                                                   {"10.9.0.53", "aux address `dns`"},
                                                   {"10.9.0.10", "held by `web`"},
                                                   {"10.9.1.1", "not in subnet `10.9.0.0/24`"}}) {
    auto status = ipam->allocate_static(A(c.address), "db");
    INFO(c.address);
    REQUIRE_FALSE(status);
    CHECK(status.error().message().find(c.reason) != std::string::npos);
  }
  // The gateway is not .1 here, so .1 is an ordinary address.
  CHECK(ipam->allocate("db").value() == A("10.9.0.1"));
}

TEST_CASE("ip_range limits dynamic addresses but not static ones") {
  auto ipam = SubnetAllocator::create({P("10.9.0.0/24"), std::nullopt, P("10.9.0.128/30"), {}});
  REQUIRE(ipam);
  CHECK(ipam->allocate("a").value() == A("10.9.0.128"));
  CHECK(ipam->allocate("b").value() == A("10.9.0.129"));
  CHECK(ipam->allocate("c").value() == A("10.9.0.130"));
  CHECK(ipam->allocate("d").value() == A("10.9.0.131"));
  auto full = ipam->allocate("e");
  REQUIRE_FALSE(full);
  CHECK(full.error().message().find("ip_range `10.9.0.128/30` is full") != std::string::npos);
  CHECK(ipam->allocate_static(A("10.9.0.20"), "e"));
}

TEST_CASE("SubnetAllocator::create validates its config") {
  CHECK_FALSE(SubnetAllocator::create({P("10.9.0.0/31"), std::nullopt, std::nullopt, {}}));
  CHECK_FALSE(SubnetAllocator::create({P("10.9.0.0/24"), A("10.9.1.1"), std::nullopt, {}}));
  CHECK_FALSE(SubnetAllocator::create({P("10.9.0.0/24"), A("10.9.0.255"), std::nullopt, {}}));
  CHECK_FALSE(SubnetAllocator::create({P("10.9.0.0/24"), std::nullopt, P("10.9.0.0/23"), {}}));
  CHECK_FALSE(SubnetAllocator::create({P("10.9.0.0/24"), std::nullopt, P("10.8.0.0/25"), {}}));
  CHECK_FALSE(SubnetAllocator::create({P("10.9.0.0/24"), std::nullopt, std::nullopt, {{"x", A("10.8.0.1")}}}));
}

TEST_CASE("allocator state round-trips through JSON") {
  auto ipam = SubnetAllocator::create({P("10.9.0.0/24"), std::nullopt, P("10.9.0.64/26"), {{"dns", A("10.9.0.53")}}});
  REQUIRE(ipam);
  REQUIRE(ipam->allocate("web-1"));
  REQUIRE(ipam->allocate_static(A("10.9.0.7"), "db-1"));
  nlohmann::json json = ipam->to_json();
  CHECK(json["allocations"]["10.9.0.64"] == "web-1");
  auto loaded = SubnetAllocator::from_json(nlohmann::json::parse(json.dump()));
  REQUIRE(loaded);
  CHECK(loaded->to_json() == json);
  CHECK(loaded->allocate("web-2").value() == A("10.9.0.65"));
}

TEST_CASE("corrupt JSON state is an Error, not an exception") {
  for (const char* text : {R"([])", R"({"gateway":"10.9.0.1"})", R"({"subnet":"10.9.0.0/24","gateway":1})",
                           R"({"subnet":"10.9.0.0/24","gateway":"10.9.0.1","allocations":[]})",
                           R"({"subnet":"10.9.0.0/24","gateway":"10.9.0.1","allocations":{"10.9.0.2":3}})",
                           R"({"subnet":"10.9.0.0/24","gateway":"10.9.0.1","allocations":{"10.9.0.1":"x"}})",
                           R"({"subnet":"10.9.0.0/24","gateway":"10.9.0.1","aux_addresses":{"a":"nope"}})"}) {
    INFO(text);
    auto loaded = SubnetAllocator::from_json(nlohmann::json::parse(text));
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message().rfind("loading IPAM state: ", 0) == 0);
  }
}
