// The names and records a later brick process relies on to find an
// attachment again: derived veth names, MACs, remembered addresses.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "net/attach.hpp"
#include "net/network.hpp"

using namespace brick::net;

TEST_CASE("host veth names are stable, fit IFNAMSIZ and differ per owner and network", "[attach]") {
  const std::string net_a(64, 'a'), net_b(64, 'b');
  std::string name = host_veth_name(net_a, "demo-web-1");
  CHECK(name.size() == 15);
  CHECK(name.rfind("vb", 0) == 0);
  CHECK(host_veth_name(net_a, "demo-web-1") == name);
  CHECK(host_veth_name(net_a, "demo-web-2") != name);
  CHECK(host_veth_name(net_b, "demo-web-1") != name);
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  CHECK(host_veth_name("ab", "c") != host_veth_name("a", "bc"));
}

TEST_CASE("MACs are docker's 02:42 followed by the address", "[attach]") {
  CHECK(format_mac(*parse_ipv4("10.201.0.2")) == "02:42:0a:c9:00:02");
  CHECK(format_mac(*parse_ipv4("172.17.255.254")) == "02:42:ac:11:ff:fe");
}

TEST_CASE("remembered addresses survive the network record's round trip", "[attach]") {
  SubnetConfig config;
  config.subnet = *parse_prefix("10.201.7.0/24");
  Network n;
  n.name = "front";
  n.id = std::string(64, 'c');
  n.created = "2026-11-23T00:00:00Z";
  n.bridge = "br-cccccccccccc";
  n.ipam = *SubnetAllocator::create(config);
  n.last_addresses["demo-db-1"] = *parse_ipv4("10.201.7.9");
  auto json = n.to_json();
  CHECK(json["LastAddresses"]["demo-db-1"] == "10.201.7.9");
  auto back = Network::from_json(json);
  REQUIRE(back);
  CHECK(back->last_addresses == n.last_addresses);
  // Records written before the field existed still load.
  json.erase("LastAddresses");
  REQUIRE(Network::from_json(json));
  json["LastAddresses"] = {{"x", "not-an-address"}};
  CHECK_FALSE(Network::from_json(json));
}
