#include "compose/serialize.hpp"

#include <catch2/catch.hpp>

using namespace brick::compose;
using Json = nlohmann::ordered_json;

namespace {

Project small_project() {
  Project p;
  p.name = "demo";
  Service web;
  web.name = "web";
  web.image = "nginx:1.25";
  web.command = std::vector<std::string>{"nginx", "-g", "daemon off;"};
  web.environment = {{"MODE", "prod"}, {"PASSTHROUGH", std::nullopt}};
  PortConfig port;
  port.target = 80;
  port.published = "8080";
  web.ports.push_back(port);
  ServiceVolume data;
  data.type = "volume";
  data.source = "data";
  data.target = "/data";
  web.volumes.push_back(data);
  web.depends_on["cache"].condition = "service_healthy";
  web.depends_on["cache"].restart = true;
  web.mem_limit = 536870912;
  p.services["web"] = web;
  Service cache;
  cache.name = "cache";
  cache.image = "redis:7";
  cache.networks["back"] = std::nullopt;
  p.services["cache"] = cache;
  Network back;
  back.key = "back";
  back.name = "demo_back";
  p.networks["back"] = back;
  Volume vol;
  vol.key = "data";
  vol.name = "demo_data";
  p.volumes["data"] = vol;
  return p;
}

}  // namespace

TEST_CASE("to_json prints the canonical long form in compose-go's key order", "[serialize]") {
  Json j = to_json(small_project());
  std::vector<std::string> top;
  for (const auto& [k, _] : j.items()) top.push_back(k);
  CHECK(top == std::vector<std::string>{"name", "services", "networks", "volumes"});

  const Json& web = j["services"]["web"];
  std::vector<std::string> keys;
  for (const auto& [k, _] : web.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"command", "depends_on", "environment", "image", "mem_limit", "networks",
                                         "ports", "volumes"});
  CHECK(web["environment"]["PASSTHROUGH"].is_null());
  CHECK(web["mem_limit"] == "536870912");
  CHECK(web["ports"][0] == Json::parse(R"({"mode":"ingress","target":80,"published":"8080","protocol":"tcp"})"));
  CHECK(web["depends_on"]["cache"].dump() == R"({"condition":"service_healthy","restart":true,"required":true})");
  CHECK(web["volumes"][0]["volume"] == Json::object());
  // No networks and no network_mode: the implicit default network.
  CHECK(web["networks"].dump() == R"({"default":null})");
  CHECK(j["networks"]["default"]["name"] == "demo_default");
  CHECK(j["services"]["cache"]["networks"].dump() == R"({"back":null})");
}

TEST_CASE("to_json in JSON flavour sorts top-level keys and always carries command", "[serialize]") {
  Json j = to_json(small_project(), OutputFormat::Json);
  std::vector<std::string> top;
  for (const auto& [k, _] : j.items()) top.push_back(k);
  CHECK(top == std::vector<std::string>{"name", "networks", "services", "volumes"});
  CHECK(j["services"]["cache"]["command"].is_null());
  CHECK(j["services"]["cache"]["entrypoint"].is_null());
  Project cleared = small_project();
  cleared.services["cache"].command = std::vector<std::string>{};
  CHECK(to_json(cleared, OutputFormat::Json)["services"]["cache"]["command"] == Json::array());
  CHECK_FALSE(to_json(cleared)["services"]["cache"].contains("command"));
  CHECK(to_json_text(Json{{"a", "<&>"}}) == "{\n  \"a\": \"\\u003c\\u0026\\u003e\"\n}");
}

TEST_CASE("to_json prints what is set and omits Go zero values", "[serialize]") {
  Project p;
  p.name = "x";
  Service s;
  s.name = "s";
  s.network_mode = "host";
  s.privileged = false;
  s.init = false;
  s.cpus = 1.0;
  FileReference tok;
  tok.source = "tok";
  tok.target = "/run/secrets/tok";
  tok.mode = 0440;
  s.secrets.push_back(tok);
  s.ulimits["nofile"] = Ulimit{1024, 2048, false};
  s.ulimits["nproc"] = Ulimit{65535, 65535, true};
  DeployConfig d;
  d.limits.memory = 1024;
  DeviceRequest gpu;
  gpu.capabilities = {"gpu"};
  gpu.driver = "nvidia";
  gpu.count = -1;
  d.reservations.devices.push_back(gpu);
  s.deploy = d;
  p.services["s"] = s;
  Json j = to_json(p)["services"]["s"];
  CHECK_FALSE(j.contains("privileged"));
  CHECK(j["init"] == false);
  CHECK(j["cpus"] == 1);
  CHECK_FALSE(j.contains("networks"));
  CHECK(j["secrets"][0]["mode"] == "0440");
  CHECK(j["ulimits"]["nofile"].dump() == R"({"soft":1024,"hard":2048})");
  CHECK(j["ulimits"]["nproc"] == 65535);
  CHECK(j["deploy"].dump() ==
        R"({"resources":{"limits":{"memory":"1024"},"reservations":{"devices":[{"capabilities":["gpu"],)"
        R"("driver":"nvidia","count":-1}]}}})");
}

TEST_CASE("to_yaml writes block style the way go-yaml does", "[serialize]") {
  Json doc = Json::parse(R"({
    "name": "demo",
    "services": {"web": {
      "command": ["sh", "-c", "echo hi"],
      "environment": {"A": "1", "B": null, "C": "yes", "D": "", "E": "*star", "F": "a: b", "G": "plain text"},
      "networks": {"default": null},
      "ports": [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}],
      "volumes": [{"type": "bind", "source": "/src", "target": "/app", "bind": {"create_host_path": true}},
                  {"type": "volume", "source": "data", "target": "/data", "volume": {}}],
      "read_only": true, "cpus": 0.5, "tmpfs": []
    }}})");
  CHECK(to_yaml(doc) == R"(name: demo
services:
  web:
    command:
      - sh
      - -c
      - echo hi
    environment:
      A: "1"
      B: null
      C: "yes"
      D: ""
      E: '*star'
      F: 'a: b'
      G: plain text
    networks:
      default: null
    ports:
      - mode: ingress
        target: 80
        published: "8080"
        protocol: tcp
    volumes:
      - type: bind
        source: /src
        target: /app
        bind:
          create_host_path: true
      - type: volume
        source: data
        target: /data
        volume: {}
    read_only: true
    cpus: 0.5
    tmpfs: []
)");
}

TEST_CASE("to_yaml quotes strings that would read back as another type", "[serialize]") {
  auto one = [](const std::string& s) { return to_yaml(Json{{"k", s}}); };
  CHECK(one("8080") == "k: \"8080\"\n");
  CHECK(one("1.5") == "k: \"1.5\"\n");
  CHECK(one("0x1F") == "k: \"0x1F\"\n");
  CHECK(one("true") == "k: \"true\"\n");
  CHECK(one("null") == "k: \"null\"\n");
  CHECK(one("off") == "k: \"off\"\n");
  CHECK(one("1:20") == "k: \"1:20\"\n");
  CHECK(one("2024-01-02") == "k: \"2024-01-02\"\n");
  CHECK(one("8080:80") == "k: 8080:80\n");
  CHECK(one("-") == "k: '-'\n");
  CHECK(one("it's: here") == "k: 'it''s: here'\n");
  CHECK(one("tab\there") == "k: \"tab\\there\"\n");
  CHECK(one("CMD-SHELL") == "k: CMD-SHELL\n");
  CHECK(one("curl -f http://localhost/ || exit 1") == "k: curl -f http://localhost/ || exit 1\n");
  CHECK(one("line1\nline2") == "k: |-\n  line1\n  line2\n");
  CHECK(one("line1\n") == "k: |\n  line1\n");
}
