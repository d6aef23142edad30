// parse_project's error messages: every problem at once, each as
// `FILE:LINE:COL: path: message`, in document order.
#include <catch2/catch.hpp>

#include "compose/parse_project.hpp"

using namespace brick::compose;

namespace {

std::string errors_of(const std::string& yaml) {
  auto root = parse_yaml(yaml, "compose.yaml");
  REQUIRE(root);
  Diagnostics diags;
  ParseContext ctx{"demo", "/srv/demo", {}};
  parse_project(*root, ctx, diags);
  std::string out;
  for (const auto& e : diags.errors()) out += e.str() + "\n";
  return out;
}

}  // namespace

TEST_CASE("type and value errors say what was expected", "[model]") {
  struct Case {
    const char* yaml;
    const char* errors;
  };
  const Case cases[] = {
      {"services:\n  web:\n    image: x\n    logging:\n      - driver: json-file\n",
       "compose.yaml:5:7: services.web.logging: expected a mapping, got a sequence\n"},
      {"services:\n  web:\n    image: x\n    enviroment: {A: 1}\n",
       "compose.yaml:4:5: services.web: unknown key `enviroment` (did you mean `environment`?)\n"},
      {"service:\n  web:\n    image: x\n", "compose.yaml:1:1: unknown key `service` (did you mean `services`?)\n"},
      {"services:\n  web:\n    image: x\n    zzzz: 1\n", "compose.yaml:4:5: services.web: unknown key `zzzz`\n"},
      {"services:\n  web:\n    image: x\n    restart: sometimes\n",
       "compose.yaml:4:14: services.web.restart: `sometimes` is not a restart policy (no, always, on-failure[:N], "
       "unless-stopped)\n"},
      {"services:\n  web:\n    image: x\n    privileged: maybe\n",
       "compose.yaml:4:17: services.web.privileged: expected a boolean (true or false), got `maybe`\n"},
      {"services:\n  web:\n    image: x\n    cpu_shares: lots\n",
       "compose.yaml:4:17: services.web.cpu_shares: expected an integer, got `lots`\n"},
      {"services:\n  web:\n    image: x\n    healthcheck:\n      test: [CMD]\n      intervl: 5s\n",
       "compose.yaml:6:7: services.web.healthcheck: unknown key `intervl` (did you mean `interval`?)\n"},
      {"services:\n  web:\n    image: x\n    ports:\n      - {target: 80, publish: 8080}\n",
       "compose.yaml:5:22: services.web.ports[0]: unknown key `publish` (did you mean `published`?)\n"},
      {"services:\n  web:\n    image: x\n    ulimits:\n      nofile: {soft: 10, hard: 5}\n",
       "compose.yaml:5:15: services.web.ulimits.nofile: soft limit 10 is above hard limit 5\n"},
      {"services:\n  web:\n    image: x\n    extra_hosts: [nohost]\n",
       "compose.yaml:4:19: services.web.extra_hosts[0]: `nohost` is not an extra host: missing the IP (`host:ip`)\n"},
      {"services:\n  web:\n    build: {context: ., dockerfil: D}\n",
       "compose.yaml:3:25: services.web.build: unknown key `dockerfil` (did you mean `dockerfile`?)\n"},
      {"services:\n  web:\n    command: x\n",
       "compose.yaml:2:3: services.web: service `web` has neither an `image` nor a `build` to make one\n"},
      {"services:\n  'bad name':\n    image: x\n",
       "compose.yaml:2:3: services.bad name: `bad name` is not a valid service name (letters, digits, `.`, `_` and "
       "`-` only)\n"},
      {"services: {}\nnetworks:\n  front:\n    ipam: {config: [{subnet: 10.0.0.0/8, gatway: 10.0.0.1}]}\n",
       "compose.yaml:4:42: networks.front.ipam.config[0]: unknown key `gatway` (did you mean `gateway`?)\n"},
      {"services: {}\nsecrets:\n  pw: {name: x}\n",
       "compose.yaml:3:7: secrets.pw: needs `file`, `environment` or `external`\n"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    CHECK(errors_of(c.yaml) == c.errors);
  }
}

TEST_CASE("cross-reference errors name the referring service", "[model]") {
  struct Case {
    const char* yaml;
    const char* errors;
  };
  const Case cases[] = {
      {"services:\n  api:\n    image: x\n    networks:\n      - backend\n      - frontnet\n"
       "networks:\n  backend:\n  frontend:\n",
       "compose.yaml:6:9: services.api.networks: service `api` refers to undefined network `frontnet`\n"},
      {"services:\n  db:\n    image: x\n    secrets:\n      - db_password\nsecrets:\n  db_pasword:\n    file: /x\n",
       "compose.yaml:5:9: services.db.secrets[0]: service `db` refers to undefined secret `db_password`\n"},
      {"services:\n  proxy:\n    image: x\n    configs:\n      - source: nginx_conf\n        target: /etc/n\n",
       "compose.yaml:5:9: services.proxy.configs[0]: service `proxy` refers to undefined config `nginx_conf`\n"},
      {"services:\n  web:\n    image: x\n    depends_on:\n      - db\n      - cache\n  db:\n    image: x\n",
       "compose.yaml:6:9: services.web.depends_on: service `web` depends on undefined service `cache`\n"},
      {"services:\n  app:\n    image: x\n    network_mode: service:vpn\n",
       "compose.yaml:4:19: services.app.network_mode: service `app` uses the network of undefined service `vpn`\n"},
      {"services:\n  vpn:\n    image: x\n  app:\n    image: x\n    network_mode: service:vpn\n    networks:\n"
       "      - default\n",
       "compose.yaml:6:19: services.app: `network_mode` and `networks` cannot be combined\n"},
      {"services:\n  a:\n    image: x\n    links: [b, 'c:alias']\n    volumes_from: [b, 'container:x']\n"
       "  b:\n    image: x\n",
       "compose.yaml:4:16: services.a.links[1]: service `a` links to undefined service `c`\n"},
      {"services:\n  a:\n    image: x\n    container_name: one\n    scale: 2\n",
       "compose.yaml:4:21: services.a.container_name: a container name must be unique, but this service runs 2 "
       "replicas\n"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    CHECK(errors_of(c.yaml) == c.errors);
  }
}

TEST_CASE("every error is reported at once, in document order", "[model]") {
  std::string yaml =
      "services:\n"
      "  web:\n"
      "    image: x\n"
      "    restrat: always\n"
      "    networks: [nowhere]\n"
      "  worker:\n"
      "    image: x\n"
      "    depends_on:\n"
      "      - queue\n"
      "    tty: maybe\n"
      "bogus: 1\n";
  CHECK(errors_of(yaml) ==
        "compose.yaml:4:5: services.web: unknown key `restrat` (did you mean `restart`?)\n"
        "compose.yaml:5:16: services.web.networks: service `web` refers to undefined network `nowhere`\n"
        "compose.yaml:9:9: services.worker.depends_on: service `worker` depends on undefined service `queue`\n"
        "compose.yaml:10:10: services.worker.tty: expected a boolean (true or false), got `maybe`\n"
        "compose.yaml:11:1: unknown key `bogus`\n");
}

TEST_CASE("device requests: count and device_ids are exclusive", "[model]") {
  CHECK(errors_of("services:\n  t:\n    image: x\n    deploy:\n      resources:\n        reservations:\n"
                  "          devices:\n            - driver: nvidia\n              count: 1\n"
                  "              device_ids: [\"0\"]\n              capabilities: [gpu]\n") ==
        "compose.yaml:8:15: services.t.deploy.resources.reservations.devices[0]: `count` and `device_ids` are "
        "exclusive\n");
}

TEST_CASE("errors that come from the unit parsers", "[model]") {
  struct Case {
    const char* yaml;
    const char* errors;
  };
  const Case cases[] = {
      {"services:\n  web:\n    image: x\n    ports:\n      - \"8080:80\"\n      - \"80:abc\"\n",
       "compose.yaml:6:9: services.web.ports[1]: `80:abc` is not a port\n"},
      {"services:\n  web:\n    image: x\n    ports:\n      - \"70000:80\"\n",
       "compose.yaml:5:9: services.web.ports[0]: `70000:80`: port 70000 is out of range (1-65535)\n"},
      {"services:\n  api:\n    image: x\n    healthcheck:\n      test: [CMD, x]\n      interval: 10\n"
       "      timeout: 5 seconds\n",
       "compose.yaml:6:17: services.api.healthcheck.interval: `10` is not a duration (did you mean `10s`?)\n"
       "compose.yaml:7:16: services.api.healthcheck.timeout: `5 seconds` is not a duration\n"},
      {"services:\n  t:\n    image: x\n    shm_size: 8 gigs\n",
       "compose.yaml:4:15: services.t.shm_size: `8 gigs` is not a size\n"},
      {"services:\n  db:\n    image: x\n    volumes:\n      - pgdata:/var/lib/postgresql/data\nvolumes:\n  pg-data:\n",
       "compose.yaml:5:9: services.db.volumes[0]: service `db` refers to undefined volume `pgdata`\n"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    CHECK(errors_of(c.yaml) == c.errors);
  }
}
