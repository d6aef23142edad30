#include "net/container_network.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace brick::net;

TEST_CASE("a container's network config round-trips through its record") {
  ContainerNetworkConfig c;
  c.mode = "bridge";
  c.networks = {{"demo_default", {"web", "www"}, "10.1.0.5", ""}, {"demo_back", {"web"}, "", "02:42:0a:00:00:09"}};
  c.ports = {{"127.0.0.1", 8080, 0, 80, "tcp"}, {"", 0, 0, 53, "udp"}};
  c.hostname = "web";
  c.domainname = "example.org";
  c.dns = {{"10.0.0.2"}, {"corp"}, {"ndots:2"}};
  c.extra_hosts = {{"10.0.0.9", {"db.local"}}};
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
