#include "net/container_network.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace brick::net;

TEST_CASE("a container's network config round-trips through its record") {
  ContainerNetworkConfig c;
  c.mode = "bridge";
  c.networks = {{"demo_default", {"web", "www"}, "10.1.0.5", "", 0},
                {"demo_back", {"web"}, "", "02:42:0a:00:00:09", 7}};
  c.ports = {{"127.0.0.1", 8080, 0, 80, "tcp"}, {"", 0, 0, 53, "udp"}};
  c.hostname = "web";
  c.domainname = "example.org";
  c.dns = {{"10.0.0.2"}, {"corp"}, {"ndots:2"}};
  c.extra_hosts = {{"10.0.0.9", {"db.local"}}, {"host-gateway", {"host.docker.internal"}}};
  auto back = container_network_from_json(to_json(c));
  REQUIRE(back);
  CHECK(*back == c);
}

TEST_CASE("a bad network record is an error naming what is wrong") {
  auto mode = container_network_from_json(nlohmann::json{{"mode", "overlay"}});
  REQUIRE_FALSE(mode);
  CHECK(mode.error().message().find("overlay") != std::string::npos);
  CHECK_FALSE(container_network_from_json(nlohmann::json{{"networks", {{{"network", 5}}}}}));
  CHECK_FALSE(container_network_from_json(nlohmann::json::array()));
  CHECK(container_network_from_json(nlohmann::json{{"mode", "container:db"}}));
}

namespace {

NetworkStatus on(std::string name, std::vector<EndpointStatus> endpoints) {
  NetworkStatus s;
  s.mode = "bridge";
  s.name = name;
  s.hostname = "h-" + name;
  s.endpoints = std::move(endpoints);
  return s;
}

EndpointStatus at(std::string network_id, std::string address, std::vector<std::string> aliases = {}) {
  return {network_id,         network_id, "eth0", std::move(address), "10.0.0.1", "02:42:0a:00:00:02", 24,
          std::move(aliases), 0,          false};
}

}  // namespace

TEST_CASE("a container's network status round-trips through its record") {
  NetworkStatus s = on("web", {at("front", "10.1.0.2", {"www"}), at("back", "10.2.0.3")});
  s.endpoints[1].gw_priority = 5;
  s.endpoints[1].default_route = true;
  s.domainname = "example.org";
  s.extra_hosts = {{"10.0.0.9", {"db.local"}}};
  s.ports = {{"127.0.0.1", 8080, 80, "tcp"}, {"0.0.0.0", 5353, 53, "udp"}};
  s.netns = "/run/brick/netns/abc";
  auto back = network_status_from_json(to_json(s));
  REQUIRE(back);
  CHECK(*back == s);
  CHECK_FALSE(network_status_from_json(nlohmann::json::array()));
  CHECK_FALSE(network_status_from_json(nlohmann::json{{"endpoints", {{{"prefix_length", "x"}}}}}));
}

TEST_CASE("peers are listed per shared network, with aliases, name and hostname") {
  NetworkStatus self = on("app", {at("front", "10.1.0.2"), at("back", "10.2.0.2")});
  std::vector<NetworkStatus> others = {
      on("web", {at("front", "10.1.0.3", {"www", "web-svc"})}),
      on("db", {at("back", "10.2.0.4", {"database"}), at("other", "10.3.0.4")}),
      on("lonely", {at("elsewhere", "10.9.0.2")}),
      self,  // itself is never its own peer
  };
  std::vector<HostEntry> want = {
      {"10.1.0.3", {"www", "web-svc", "web", "h-web"}},
      {"10.2.0.4", {"database", "db", "h-db"}},
  };
  CHECK(peer_entries(self, others) == want);
  // A container with no network has no peers.
  CHECK(peer_entries(on("none", {}), others).empty());
}

TEST_CASE("a container's hosts file: localhost, extra hosts, itself, then its peers") {
  NetworkStatus self = on("app", {at("front", "10.1.0.2")});
  self.domainname = "corp";
  self.extra_hosts = {{"192.0.2.7", {"gw.local"}}};
  std::string text = container_hosts_file(self, {on("web", {at("front", "10.1.0.3", {"www"})})});
  CHECK(text.starts_with("127.0.0.1\tlocalhost\n"));
  auto extra = text.find("192.0.2.7\tgw.local\n");
  auto own = text.find("10.1.0.2\th-app.corp h-app\n");
  auto peer = text.find("10.1.0.3\twww web h-web\n");
  REQUIRE(extra != std::string::npos);
  REQUIRE(own != std::string::npos);
  REQUIRE(peer != std::string::npos);
  CHECK(extra < own);
  CHECK(own < peer);
  // Mode none: the hostname on 127.0.0.1 and nothing else of a network.
  NetworkStatus none;
  none.mode = "none";
  none.name = "solo";
  none.hostname = "solo-host";
  std::string alone = container_hosts_file(none, {on("web", {at("front", "10.1.0.3")})});
  CHECK(alone.find("127.0.0.1\tsolo-host\n") != std::string::npos);
  CHECK(alone.find("10.1.0.3") == std::string::npos);
}

namespace {

NetworkJoin join(std::string network, int gw_priority = 0) { return {std::move(network), {}, "", "", gw_priority}; }

}  // namespace

TEST_CASE("the default route goes via the non-internal network with the highest gw_priority") {
  struct Case {
    const char* name;
    std::vector<NetworkJoin> networks;
    std::vector<bool> internal;
    std::optional<size_t> want;
  };
  const Case cases[] = {
      {"one network", {join("a")}, {false}, 0},
      {"no priorities: the first joined", {join("a"), join("b")}, {false, false}, 0},
      {"the highest gw_priority wins over join order", {join("a"), join("b", 1)}, {false, false}, 1},
      {"negative priorities count", {join("a", -1), join("b")}, {false, false}, 1},
      {"a tie: the first joined of the highest", {join("a"), join("b", 3), join("c", 3)}, {false, false, false}, 1},
      {"internal networks never carry it", {join("a", 9), join("b")}, {true, false}, 1},
      {"only internal networks: none", {join("a"), join("b")}, {true, true}, std::nullopt},
      {"no networks: none", {}, {}, std::nullopt},
  };
  for (const Case& c : cases) {
    SECTION(c.name) { CHECK(pick_default_route(c.networks, c.internal) == c.want); }
  }
}

TEST_CASE("host-gateway is the gateway of the default-route network") {
  NetworkStatus s = on("web", {at("a", "10.1.0.2"), at("b", "10.2.0.3")});
  s.endpoints[0].gateway = "10.1.0.1";
  s.endpoints[1].gateway = "10.2.0.1";
  SECTION("the endpoint with the default route") {
    s.endpoints[1].default_route = true;
    CHECK(host_gateway(s) == "10.2.0.1");
  }
  SECTION("none has it (only internal networks): the first") { CHECK(host_gateway(s) == "10.1.0.1"); }
  SECTION("no endpoints: none") { CHECK(host_gateway(on("x", {})).empty()); }

  std::vector<HostEntry> hosts = {{"10.9.9.9", {"db"}}, {"host-gateway", {"host.docker.internal"}}};
  CHECK(needs_host_gateway(hosts));
  SECTION("resolved in place") {
    REQUIRE(resolve_host_gateway(hosts, "10.2.0.1"));
    CHECK(hosts[0] == HostEntry{"10.9.9.9", {"db"}});
    CHECK(hosts[1] == HostEntry{"10.2.0.1", {"host.docker.internal"}});
    CHECK_FALSE(needs_host_gateway(hosts));
  }
  SECTION("without a gateway: an error naming the entry") {
    auto r = resolve_host_gateway(hosts, "");
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("host.docker.internal:host-gateway") != std::string::npos);
  }
}
