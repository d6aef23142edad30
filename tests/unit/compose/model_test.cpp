// parse_project: every service key in its spec forms becomes the typed,
// normalized model.
#include <catch2/catch.hpp>
#include <fstream>

#include "base/temp_dir.hpp"
#include "compose/parse_project.hpp"

using namespace brick::compose;

namespace {

struct Parsed {
  Project project;
  Diagnostics diags;
};

Parsed parse(const std::string& yaml, ParseContext ctx = {}) {
  if (ctx.project_name.empty()) ctx.project_name = "demo";
  if (ctx.working_dir.empty()) ctx.working_dir = "/srv/demo";
  Parsed out;
  auto root = parse_yaml(yaml, "compose.yaml");
  REQUIRE(root);
  out.project = parse_project(*root, ctx, out.diags);
  return out;
}

std::string all_errors(const Diagnostics& d) {
  std::string out;
  for (const auto& e : d.errors()) out += e.str() + "\n";
  return out;
}

const Service& svc(const Parsed& p, const std::string& name) {
  const Service* s = p.project.service(name);
  REQUIRE(s);
  return *s;
}

}  // namespace

TEST_CASE("command and entrypoint: a string is split like a shell, a list is kept", "[model]") {
  auto p = parse(
      "services:\n"
      "  a: {image: x, command: echo \"hello world\" 'a b' c\\ d}\n"
      "  b: {image: x, command: [\"sh\", \"-c\", \"x y\"], entrypoint: []}\n"
      "  c: {image: x, entrypoint: /bin/tini --}\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  CHECK(svc(p, "a").command == std::vector<std::string>{"echo", "hello world", "a b", "c d"});
  CHECK(svc(p, "b").command == std::vector<std::string>{"sh", "-c", "x y"});
  CHECK(svc(p, "b").entrypoint == std::vector<std::string>{});
  CHECK(svc(p, "c").entrypoint == std::vector<std::string>{"/bin/tini", "--"});
  CHECK_FALSE(svc(p, "c").command);
}

TEST_CASE("environment and labels as list or map, bare keys pass through", "[model]") {
  ParseContext ctx;
  ctx.environment = {{"FROM_HOST", "h"}};
  auto p = parse(
      "services:\n"
      "  a:\n    image: x\n    environment: [A=1, B=, FROM_HOST, UNSET]\n    labels: [l1=v, l2]\n"
      "  b:\n    image: x\n    environment: {A: 1, B: ~, FROM_HOST: ~, C: true}\n    labels: {l: 2}\n",
      ctx);
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  OptionalStringMap want_a = {{"A", "1"}, {"B", ""}, {"FROM_HOST", "h"}, {"UNSET", std::nullopt}};
  CHECK(svc(p, "a").environment == want_a);
  CHECK(svc(p, "a").labels == StringMap{{"l1", "v"}, {"l2", ""}});
  OptionalStringMap want_b = {{"A", "1"}, {"B", std::nullopt}, {"FROM_HOST", "h"}, {"C", "true"}};
  CHECK(svc(p, "b").environment == want_b);
  CHECK(svc(p, "b").labels == StringMap{{"l", "2"}});
}

TEST_CASE("an implicit default network is added and joined", "[model]") {
  auto p = parse(
      "services:\n"
      "  web: {image: x}\n"
      "  vpn: {image: x, network_mode: host}\n"
      "  api: {image: x, networks: [back]}\n"
      "networks:\n  back:\n  ext: {external: true}\n  named: {name: custom}\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  CHECK(svc(p, "web").networks.count("default") == 1);
  CHECK(svc(p, "vpn").networks.empty());
  CHECK(svc(p, "api").networks.size() == 1);
  REQUIRE(p.project.networks.count("default"));
  CHECK(p.project.networks.at("default").name == "demo_default");
  CHECK(p.project.networks.at("back").name == "demo_back");
  CHECK(p.project.networks.at("ext").name == "ext");
  CHECK(p.project.networks.at("ext").external);
  CHECK(p.project.networks.at("named").name == "custom");
}

TEST_CASE("no service on default: no default network", "[model]") {
  auto p = parse("services:\n  a: {image: x, networks: {front: }}\nnetworks:\n  front:\n");
  REQUIRE_FALSE(p.diags.has_errors());
  CHECK(p.project.networks.count("default") == 0);
  CHECK(svc(p, "a").networks.at("front") == std::nullopt);
}

TEST_CASE("top-level networks with ipam, legacy external name", "[model]") {
  auto p = parse(
      "services: {}\n"
      "networks:\n"
      "  front:\n    driver: bridge\n    internal: true\n    attachable: true\n    enable_ipv6: false\n"
      "    driver_opts: {com.docker.network.bridge.name: br0}\n    labels: [a=b]\n"
      "    ipam:\n      driver: default\n      config:\n        - subnet: 172.28.0.0/16\n"
      "          ip_range: 172.28.5.0/24\n          gateway: 172.28.5.254\n"
      "          aux_addresses: {host1: 172.28.1.5}\n"
      "  old:\n    external:\n      name: real-net\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  const Network& n = p.project.networks.at("front");
  CHECK(n.driver == "bridge");
  CHECK(n.internal);
  CHECK(n.attachable);
  CHECK(n.enable_ipv6 == false);
  CHECK(n.driver_opts.at("com.docker.network.bridge.name") == "br0");
  CHECK(n.labels.at("a") == "b");
  REQUIRE(n.ipam);
  REQUIRE(n.ipam->config.size() == 1);
  CHECK(n.ipam->config[0].subnet == "172.28.0.0/16");
  CHECK(n.ipam->config[0].gateway == "172.28.5.254");
  CHECK(n.ipam->config[0].aux_addresses.at("host1") == "172.28.1.5");
  CHECK(p.project.networks.at("old").external);
  CHECK(p.project.networks.at("old").name == "real-net");
  CHECK(p.diags.warnings().size() == 1);
}

TEST_CASE("volumes, secrets and configs at top level", "[model]") {
  auto p = parse(
      "services: {}\n"
      "volumes:\n  data:\n  shared: {external: true, name: team}\n  local: {driver: local, driver_opts: {type: "
      "tmpfs}}\n"
      "secrets:\n  pw: {file: ./pw.txt}\n  tok: {environment: TOKEN}\n  ext: {external: true}\n"
      "configs:\n  app: {content: 'x=1'}\n  nginx: {file: /etc/nginx.conf, name: ngx}\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  CHECK(p.project.volumes.at("data").name == "demo_data");
  CHECK(p.project.volumes.at("shared").name == "team");
  CHECK(p.project.volumes.at("local").driver_opts.at("type") == "tmpfs");
  CHECK(p.project.secrets.at("pw").file == "/srv/demo/pw.txt");
  CHECK(p.project.secrets.at("pw").name == "demo_pw");
  CHECK(p.project.secrets.at("tok").environment == "TOKEN");
  CHECK(p.project.secrets.at("ext").name == "ext");
  CHECK(p.project.configs.at("app").content == "x=1");
  CHECK(p.project.configs.at("nginx").name == "ngx");
}

TEST_CASE("long-form ports, networks, depends_on, secrets", "[model]") {
  auto p = parse(
      "services:\n"
      "  db: {image: x}\n"
      "  web:\n    image: x\n"
      "    ports:\n      - target: 80\n        published: \"8000-8010\"\n        host_ip: 127.0.0.1\n"
      "        protocol: UDP\n        mode: host\n        name: http\n        app_protocol: http\n"
      "      - {target: 443, published: 8443}\n"
      "    networks:\n      front:\n        aliases: [w]\n        ipv4_address: 10.0.0.5\n        priority: 10\n"
      "    depends_on:\n      db: {condition: service_healthy, restart: true}\n"
      "      gone: {condition: service_started, required: false}\n"
      "    secrets:\n      - pw\n      - {source: pw, target: /run/pw, uid: '1000', mode: 0440}\n"
      "networks: {front: }\nsecrets: {pw: {file: /pw}}\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  const Service& web = svc(p, "web");
  REQUIRE(web.ports.size() == 2);
  CHECK(web.ports[0].target == 80);
  CHECK(web.ports[0].published == "8000-8010");
  CHECK(web.ports[0].host_ip == "127.0.0.1");
  CHECK(web.ports[0].protocol == "udp");
  CHECK(web.ports[0].mode == "host");
  CHECK(web.ports[0].name == "http");
  CHECK(web.ports[1].published == "8443");
  CHECK(web.ports[1].protocol == "tcp");
  const auto& front = web.networks.at("front");
  REQUIRE(front);
  CHECK(front->aliases == std::vector<std::string>{"w"});
  CHECK(front->ipv4_address == "10.0.0.5");
  CHECK(front->priority == 10);
  CHECK(web.depends_on.at("db").condition == "service_healthy");
  CHECK(web.depends_on.at("db").restart);
  CHECK(web.depends_on.at("db").required);
  CHECK_FALSE(web.depends_on.at("gone").required);
  REQUIRE(web.secrets.size() == 2);
  CHECK(web.secrets[0].source == "pw");
  CHECK(web.secrets[1].target == "/run/pw");
  CHECK(web.secrets[1].uid == "1000");
  CHECK(web.secrets[1].mode == 0440u);
  CHECK(p.diags.warnings().size() == 1);  // the optional dependency that is missing
}

TEST_CASE("depends_on list form means service_started and required", "[model]") {
  auto p = parse("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x}\n");
  REQUIRE_FALSE(p.diags.has_errors());
  const auto& d = svc(p, "a").depends_on.at("b");
  CHECK(d.condition == "service_started");
  CHECK(d.required);
  CHECK_FALSE(d.restart);
}

TEST_CASE("healthcheck forms", "[model]") {
  auto p = parse(
      "services:\n"
      "  a: {image: x, healthcheck: {test: curl -f http://x, retries: 3}}\n"
      "  b: {image: x, healthcheck: {test: [CMD, curl, -f, http://x]}}\n"
      "  c: {image: x, healthcheck: {disable: true}}\n"
      "  d: {image: x, healthcheck: {test: [NONE]}}\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  CHECK(svc(p, "a").healthcheck->test == std::vector<std::string>{"CMD-SHELL", "curl -f http://x"});
  CHECK(svc(p, "a").healthcheck->retries == 3u);
  CHECK(svc(p, "b").healthcheck->test.size() == 4);
  CHECK(svc(p, "c").healthcheck->disable);
  CHECK(svc(p, "d").healthcheck->test == std::vector<std::string>{"NONE"});
  CHECK_FALSE(svc(p, "d").healthcheck->disable);
}

TEST_CASE("gpus and device reservations", "[model]") {
  auto p = parse(
      "services:\n"
      "  a: {image: x, gpus: all}\n"
      "  b:\n    image: x\n    gpus:\n      - driver: nvidia\n        device_ids: ['0', '1']\n"
      "  c:\n    image: x\n    deploy:\n      resources:\n        reservations:\n          devices:\n"
      "            - {driver: nvidia, count: all, capabilities: [gpu]}\n"
      "            - {count: 2, capabilities: [gpu, compute], options: {virtualization: false}}\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  REQUIRE(svc(p, "a").gpus);
  REQUIRE(svc(p, "a").gpus->size() == 1);
  CHECK(svc(p, "a").gpus->at(0).count == -1);
  CHECK(svc(p, "a").gpus->at(0).capabilities.empty());  // implied, printed as written
  CHECK(svc(p, "b").gpus->at(0).device_ids == std::vector<std::string>{"0", "1"});
  CHECK(svc(p, "b").gpus->at(0).capabilities.empty());
  const auto& devs = svc(p, "c").deploy->reservations.devices;
  REQUIRE(devs.size() == 2);
  CHECK(devs[0].count == -1);
  CHECK(devs[0].driver == "nvidia");
  CHECK(devs[1].count == 2);
  CHECK(devs[1].options.at("virtualization") == "false");
}

TEST_CASE("ulimits, extra_hosts, booleans and integers", "[model]") {
  auto p = parse(
      "services:\n"
      "  a:\n    image: x\n    ulimits: {nproc: 65535, nofile: {soft: 20000, hard: 40000}}\n"
      "    extra_hosts: ['somehost:162.242.195.82', 'v6=[::1]', 'multi:1.2.3.4,5.6.7.8']\n"
      "    privileged: true\n    read_only: 'false'\n    init: True\n    pids_limit: -1\n"
      "    cpu_shares: 512\n    oom_score_adj: -500\n    scale: 2\n"
      "  b:\n    image: x\n    extra_hosts: {db: 10.0.0.2}\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  const Service& a = svc(p, "a");
  CHECK(a.ulimits.at("nproc").soft == 65535);
  CHECK(a.ulimits.at("nproc").hard == 65535);
  CHECK(a.ulimits.at("nofile").soft == 20000);
  CHECK(a.ulimits.at("nofile").hard == 40000);
  CHECK(a.extra_hosts ==
        std::vector<std::string>{"multi=1.2.3.4", "multi=5.6.7.8", "somehost=162.242.195.82", "v6=::1"});
  CHECK(svc(p, "b").extra_hosts == std::vector<std::string>{"db=10.0.0.2"});
  CHECK(a.privileged == true);
  CHECK(a.read_only == false);
  CHECK(a.init == true);
  CHECK(a.pids_limit == -1);
  CHECK(a.cpu_shares == 512);
  CHECK(a.oom_score_adj == -500);
  CHECK(a.replicas() == 2);
}

TEST_CASE("build contexts and bind sources resolve against the working dir", "[model]") {
  ParseContext ctx;
  ctx.environment = {{"HOME", "/home/me"}};
  auto p = parse(
      "services:\n"
      "  a: {build: ./app}\n"
      "  b: {build: {context: https://github.com/x/y.git, dockerfile: D, args: [V=1]}}\n"
      "  c:\n    image: x\n    volumes:\n      - type: bind\n        source: ./data\n        target: /data\n"
      "        bind: {create_host_path: true, propagation: rshared}\n"
      "      - type: volume\n        source: vol\n        target: /v\n        read_only: true\n"
      "        volume: {nocopy: true, subpath: sub}\n"
      "      - type: tmpfs\n        target: /t\n        tmpfs: {size: 1024, mode: 1777}\n"
      "      - {type: bind, source: ~/cache, target: /c}\n"
      "volumes: {vol: }\n",
      ctx);
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  CHECK(svc(p, "a").build->context == "/srv/demo/app");
  CHECK(svc(p, "b").build->context == "https://github.com/x/y.git");
  CHECK(svc(p, "b").build->dockerfile == "D");
  CHECK(svc(p, "b").build->args.at("V") == "1");
  const auto& v = svc(p, "c").volumes;
  REQUIRE(v.size() == 4);
  CHECK(v[0].source == "/srv/demo/data");
  CHECK(v[0].bind_create_host_path == true);
  CHECK(v[0].bind_propagation == "rshared");
  CHECK(v[1].read_only);
  CHECK(v[1].volume_nocopy == true);
  CHECK(v[1].volume_subpath == "sub");
  CHECK(v[2].tmpfs_size == 1024);
  CHECK(v[3].source == "/home/me/cache");
}

TEST_CASE("version is obsolete, x- keys and include are ignored", "[model]") {
  auto p = parse(
      "version: '3.8'\nx-common: &c {a: 1}\ninclude: [other.yaml]\nname: whatever\nservices:\n  a:\n    image: x\n    "
      "x-meta: 1\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  REQUIRE(p.diags.warnings().size() == 1);
  CHECK(p.diags.warnings()[0].str() ==
        "compose.yaml:1:1: version: the attribute `version` is obsolete, it will be ignored");
  CHECK(p.project.name == "demo");
}

TEST_CASE("swarm-only keys load with a warning", "[model]") {
  auto p = parse(
      "services:\n  a:\n    image: x\n    deploy:\n      mode: global\n      placement: {constraints: [a=b]}\n"
      "      update_config: {parallelism: 2}\n    credential_spec: {file: x}\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  CHECK(p.diags.warnings().size() == 4);
}

TEST_CASE("env_file values merge under environment", "[model]") {
  auto dir = brick::TempDir::create().value();
  std::ofstream(dir.path() + "/a.env") << "A=from_file\nB=from_file\n";
  ParseContext ctx;
  ctx.working_dir = dir.path();
  auto p = parse(
      "services:\n  a:\n    image: x\n    env_file: [a.env, {path: missing.env, required: false}]\n"
      "    environment: {B: mine}\n",
      ctx);
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  CHECK(svc(p, "a").environment.at("A") == "from_file");
  CHECK(svc(p, "a").environment.at("B") == "mine");
  CHECK(svc(p, "a").env_files == std::vector<std::string>{dir.path() + "/a.env"});
}

TEST_CASE("short syntax goes through the unit parsers", "[model]") {
  auto p = parse(
      "services:\n  a:\n    image: x\n    ports: ['8080:80', 9000]\n    volumes: ['./d:/d:ro', 'vol:/v']\n"
      "    shm_size: 1g\n    mem_limit: 512m\n    stop_grace_period: 1m30s\n    cpus: 0.5\n"
      "    devices: ['/dev/fuse:/dev/fuse']\n"
      "volumes: {vol: }\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  const Service& a = svc(p, "a");
  REQUIRE(a.ports.size() == 2);
  CHECK(a.ports[0].target == 80);
  CHECK(a.ports[0].published == "8080");
  CHECK(a.ports[1].target == 9000);
  REQUIRE(a.volumes.size() == 2);
  CHECK(a.volumes[0].type == "bind");
  CHECK(a.volumes[0].source == "/srv/demo/d");
  CHECK(a.volumes[0].read_only);
  CHECK(a.volumes[1].type == "volume");
  CHECK(a.shm_size == int64_t{1} << 30);
  CHECK(a.mem_limit == 512 * 1024 * 1024);
  CHECK(a.stop_grace_period == std::chrono::seconds(90));
  CHECK(a.cpus == 0.5);
  REQUIRE(a.devices.size() == 1);
  CHECK(a.devices[0].target == "/dev/fuse");
}

TEST_CASE("normalizations docker compose config prints", "[model]") {
  auto p = parse(
      "services:\n"
      "  a:\n    build: .\n    links: ['db:database']\n    volumes_from: ['db:ro']\n    secrets: [pw]\n"
      "    configs: [cf]\n"
      "    deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}\n"
      "  b: {image: x, network_mode: 'service:db', depends_on: {db: {condition: service_healthy}}}\n"
      "  db: {image: x}\n"
      "secrets: {pw: {file: /pw}}\nconfigs: {cf: {file: /cf}}\n");
  INFO(all_errors(p.diags));
  REQUIRE_FALSE(p.diags.has_errors());
  const Service& a = svc(p, "a");
  CHECK(a.build->dockerfile == "Dockerfile");
  CHECK(a.secrets[0].target == "/run/secrets/pw");
  CHECK_FALSE(a.configs[0].target);
  CHECK(a.depends_on.at("db").restart);  // from links, which come first
  CHECK(a.deploy->reservations.devices[0].count == -1);
  CHECK(svc(p, "b").depends_on.at("db").condition == "service_healthy");  // written wins
}
