#include "orchestrator/translate.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "images/archive.hpp"
#include "project_util.hpp"

using namespace brick;
using namespace brick::orchestrator;
using brick::orchestrator::testing::load;

namespace {

images::ImageConfig busybox() {
  images::ImageConfig image;
  image.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"};
  image.cmd = {"sh"};
  image.labels = {{"org.example.from-image", "yes"}};
  return image;
}

Result<DesiredContainer> translate_service(const compose::Project& p, const std::string& service,
                                           const images::ImageConfig& image, uint64_t number = 1,
                                           HardLimits limits = {}) {
  TranslateInput in;
  in.project = &p;
  in.service = p.service(service);
  REQUIRE(in.service != nullptr);
  in.image = &image;
  in.image_id = "sha256:abc";
  in.number = number;
  in.hard_limits = std::move(limits);
  in.version = "0.1.0";
  return translate(in);
}

DesiredContainer must_translate(const compose::Project& p, const std::string& service, const images::ImageConfig& image,
                                uint64_t number = 1) {
  auto c = translate_service(p, service, image, number);
  if (!c) FAIL(c.error().full());
  return *c;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

TEST_CASE("entrypoint and command merge with the image's as docker does") {
  struct Case {
    const char* name;
    const char* service;  // entrypoint/command lines of the service
    std::vector<std::string> image_entrypoint, image_cmd;
    const char* args;
  };
  const Case cases[] = {
      {"image defaults", "", {}, {"sh"}, "sh"},
      {"image entrypoint and cmd", "", {"/init"}, {"serve"}, "/init serve"},
      {"command replaces cmd only", "    command: [echo, hi]\n", {"/init"}, {"serve"}, "/init echo hi"},
      {"entrypoint drops image cmd", "    entrypoint: [/bin/true]\n", {"/init"}, {"serve"}, "/bin/true"},
      {"entrypoint and command", "    entrypoint: [env]\n    command: [ls]\n", {"/init"}, {"serve"}, "env ls"},
      {"empty entrypoint keeps image cmd", "    entrypoint: []\n", {"/init"}, {"serve"}, "serve"},
      {"empty entrypoint with command", "    entrypoint: []\n    command: [id]\n", {"/init"}, {"serve"}, "id"},
      {"string command is shell-split", "    command: echo \"a b\"\n", {}, {"sh"}, "echo a b"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto p = load(std::string("services:\n  s:\n    image: busybox\n") + c.service);
      images::ImageConfig image = busybox();
      image.entrypoint = c.image_entrypoint;
      image.cmd = c.image_cmd;
      CHECK(joined(must_translate(p, "s", image).spec.process.args) == c.args);
    }
  }
}

TEST_CASE("a service without any command is an error naming it") {
  auto p = load("services:\n  s:\n    image: scratch\n");
  images::ImageConfig image;
  auto c = translate_service(p, "s", image);
  REQUIRE_FALSE(c);
  CHECK(c.error().message() == "service `s`: no command specified (neither the service nor its image sets one)");
}

TEST_CASE("environment is the image's, then the service's replacing or appending") {
  auto p = load(R"(services:
  s:
    image: busybox
    environment:
      LANG: en_US.UTF-8
      ZED: "1"
      APP: x
      UNSET_IN_SHELL:
)");
  auto c = must_translate(p, "s", busybox());
  CHECK(c.spec.process.env == std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=demo-s-1",
                                                       "LANG=en_US.UTF-8", "APP=x", "ZED=1"});
}

TEST_CASE("an image without Env gets docker's PATH, HOSTNAME and, with a tty, TERM") {
  images::ImageConfig image;
  image.cmd = {"sh"};
  auto c = must_translate(load("services:\n  s:\n    image: busybox\n"), "s", image);
  CHECK(c.spec.process.env ==
        std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                 "HOSTNAME=demo-s-1"});
  auto tty =
      must_translate(load("services:\n  s:\n    image: busybox\n    tty: true\n    hostname: box\n"), "s", image);
  CHECK(tty.spec.process.env ==
        std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=box",
                                 "TERM=xterm"});
}

TEST_CASE("name, hostname, working dir and user") {
  auto p = load(R"(services:
  web:
    image: busybox
    working_dir: /srv
    user: "1000:100"
  named:
    image: busybox
    container_name: custom
    hostname: box
    user: nobody
)");
  images::ImageConfig image = busybox();
  image.working_dir = "/app";
  auto web = must_translate(p, "web", image, 3);
  CHECK(web.name == "demo-web-3");
  CHECK(web.spec.hostname == "demo-web-3");
  CHECK(web.spec.process.cwd == "/srv");
  CHECK(web.user == "1000:100");
  CHECK(web.spec.process.user.uid == 1000);
  CHECK(web.spec.process.user.gid == 100);

  auto named = must_translate(p, "named", image);
  CHECK(named.name == "custom");
  CHECK(named.spec.hostname == "box");
  CHECK(named.spec.process.cwd == "/app");
  CHECK(named.user == "nobody");
  CHECK(named.spec.process.user.uid == 0);

  TranslateInput in;
  in.project = &p;
  in.service = p.service("web");
  in.image = &image;
  in.container_id = "0123456789abcdef0123";
  CHECK(translate(in)->spec.hostname == "0123456789ab");
}

TEST_CASE("ulimits never go above the caller's hard limit") {
  compose::Project p = load(R"(services:
  ok:
    image: busybox
    ulimits:
      nofile: {soft: 1024, hard: 20000}
      nproc: 512
  high:
    image: busybox
    ulimits:
      nofile: 65536
  inverted:
    image: busybox
)");
  // The loader refuses this too; translate does not rely on it.
  p.services.at("inverted").ulimits["nofile"] = compose::Ulimit{2000, 1000, false};
  HardLimits host = {{"RLIMIT_NOFILE", 20000}, {"RLIMIT_NPROC", 32768}};
  auto ok = translate_service(p, "ok", busybox(), 1, host);
  REQUIRE(ok);
  auto find = [&](const std::string& type) {
    auto& l = ok->spec.process.rlimits;
    auto it = std::find_if(l.begin(), l.end(), [&](const runtime::Rlimit& r) { return r.type == type; });
    REQUIRE(it != l.end());
    return *it;
  };
  CHECK(find("RLIMIT_NOFILE").soft == 1024);
  CHECK(find("RLIMIT_NOFILE").hard == 20000);
  CHECK(find("RLIMIT_NPROC").soft == 512);
  CHECK(std::count_if(ok->spec.process.rlimits.begin(), ok->spec.process.rlimits.end(),
                      [](const runtime::Rlimit& r) { return r.type == "RLIMIT_NOFILE"; }) == 1);

  auto high = translate_service(p, "high", busybox(), 1, host);
  REQUIRE_FALSE(high);
  CHECK(high.error().message() ==
        "service `high`: ulimits.nofile: 65536 is above brick's own hard limit 20000 (raising it needs "
        "CAP_SYS_RESOURCE)");
  auto inverted = translate_service(p, "inverted", busybox(), 1, host);
  REQUIRE_FALSE(inverted);
  CHECK(inverted.error().message() ==
        "service `inverted`: ulimits.nofile: soft limit 2000 is above the hard limit 1000");
}

TEST_CASE("net sysctls are refused where the network namespace is the host's, through service: chains") {
  auto p = load(R"(services:
  hostnet:
    image: busybox
    network_mode: host
  direct:
    image: busybox
    network_mode: host
    sysctls: {net.ipv4.ip_forward: "1"}
  shared:
    image: busybox
    network_mode: service:hostnet
    sysctls: {net.ipv4.ip_forward: "1"}
  chained:
    image: busybox
    network_mode: service:shared2
    sysctls: [net.core.somaxconn=4096]
  shared2:
    image: busybox
    network_mode: service:hostnet
  bridged:
    image: busybox
  joins_bridged:
    image: busybox
    network_mode: service:bridged
    sysctls: {net.ipv4.ip_forward: "1"}
  kernel_only:
    image: busybox
    network_mode: service:hostnet
    sysctls: {kernel.shmmax: "1024"}
)");
  auto direct = translate_service(p, "direct", busybox());
  REQUIRE_FALSE(direct);
  CHECK(direct.error().message() ==
        "service `direct`: sysctl `net.ipv4.ip_forward` is refused: network_mode `host` shares the host's network "
        "namespace, so setting it would change the host");
  auto shared = translate_service(p, "shared", busybox());
  REQUIRE_FALSE(shared);
  CHECK(
      shared.error().message() ==
      "service `shared`: sysctl `net.ipv4.ip_forward` is refused: network_mode `service:hostnet` shares the network "
      "namespace of service `hostnet`, which is the host's (network_mode: host), so setting it would change the host");
  auto chained = translate_service(p, "chained", busybox());
  REQUIRE_FALSE(chained);
  CHECK(chained.error().message() ==
        "service `chained`: sysctl `net.core.somaxconn` is refused: network_mode `service:shared2` shares the network "
        "namespace of service `shared2`, which shares that of service `hostnet`, which is the host's (network_mode: "
        "host), so setting it would change the host");
  // A namespace of the containers' own: net.* is theirs to set.
  CHECK(must_translate(p, "joins_bridged", busybox()).spec.linux.sysctl.at("net.ipv4.ip_forward") == "1");
  // Not a network sysctl: the ipc namespace decides, at spawn.
  CHECK(must_translate(p, "kernel_only", busybox()).spec.linux.sysctl.at("kernel.shmmax") == "1024");
}

TEST_CASE("kernel and process settings pass through") {
  auto p = load(R"(services:
  s:
    image: busybox
    sysctls:
      net.core.somaxconn: "1024"
    shm_size: 128m
    read_only: true
    init: true
    tty: true
    cap_add: [net_admin]
    cap_drop: [CAP_KILL, mknod]
    stop_signal: SIGINT
    stop_grace_period: 3s
    pid: host
    network_mode: none
)");
  auto c = must_translate(p, "s", busybox());
  CHECK(c.spec.linux.sysctl.at("net.core.somaxconn") == "1024");
  auto shm = std::find_if(c.spec.mounts.begin(), c.spec.mounts.end(),
                          [](const runtime::Mount& m) { return m.destination == "/dev/shm"; });
  REQUIRE(shm != c.spec.mounts.end());
  CHECK(std::count(shm->options.begin(), shm->options.end(), "size=134217728") == 1);
  CHECK(std::none_of(shm->options.begin(), shm->options.end(), [](auto& o) { return o == "size=65536k"; }));
  CHECK(c.spec.root.readonly);
  CHECK(c.init);
  CHECK(c.spec.process.terminal);
  const auto& caps = c.spec.process.capabilities.bounding;
  CHECK(std::count(caps.begin(), caps.end(), "CAP_NET_ADMIN") == 1);
  CHECK(std::count(caps.begin(), caps.end(), "CAP_KILL") == 0);
  CHECK(std::count(caps.begin(), caps.end(), "CAP_MKNOD") == 0);
  CHECK(std::count(caps.begin(), caps.end(), "CAP_CHOWN") == 1);
  CHECK(c.stop_signal == "SIGINT");
  CHECK(c.stop_grace_period == std::chrono::seconds(3));
  CHECK_FALSE(c.spec.has_namespace("pid"));
  CHECK(c.spec.has_namespace("network"));  // `none`: its own, empty
  CHECK(c.network_mode == "none");
}

TEST_CASE("privileged and cap_drop ALL") {
  auto p = load(R"(services:
  priv:
    image: busybox
    privileged: true
  bare:
    image: busybox
    cap_drop: [ALL]
    cap_add: [CHOWN]
)");
  auto priv = must_translate(p, "priv", busybox());
  CHECK(priv.privileged);
  CHECK(std::count(priv.spec.process.capabilities.bounding.begin(), priv.spec.process.capabilities.bounding.end(),
                   "CAP_SYS_ADMIN") == 1);
  CHECK(priv.spec.linux.masked_paths.empty());
  // docker: a privileged container may use every device ...
  CHECK(priv.spec.linux.resources.devices == std::vector<runtime::DeviceRule>{{true, 'a', -1, -1, "rwm"}});
  auto bare = must_translate(p, "bare", busybox());
  CHECK(bare.spec.process.capabilities.bounding == std::vector<std::string>{"CAP_CHOWN"});
  // ... any other only docker's default list (deny all first).
  CHECK(bare.spec.linux.resources.devices == runtime::default_device_rules());
}

TEST_CASE("restart policies as docker names them") {
  struct Case {
    const char* yaml;
    const char* name;
    uint64_t retries;
  };
  const Case cases[] = {
      {"", "no", 0},
      {"    restart: always\n", "always", 0},
      {"    restart: on-failure:3\n", "on-failure", 3},
      {"    restart: unless-stopped\n", "unless-stopped", 0},
      {"    restart: always\n    deploy:\n      restart_policy:\n        condition: on-failure\n        max_attempts: "
       "2\n",
       "on-failure", 2},
      {"    deploy:\n      restart_policy:\n        condition: none\n", "no", 0},
      {"    deploy:\n      restart_policy: {}\n", "always", 0},
      // docker compose's mapRestartPolicyCondition also takes the engine's names.
      {"    deploy:\n      restart_policy:\n        condition: unless-stopped\n", "unless-stopped", 0},
      {"    deploy:\n      restart_policy:\n        condition: no\n", "no", 0},
      {"    deploy:\n      restart_policy:\n        condition: always\n", "always", 0},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    auto p = load(std::string("services:\n  s:\n    image: busybox\n") + c.yaml);
    auto t = must_translate(p, "s", busybox());
    CHECK(t.restart.name == c.name);
    CHECK(t.restart.max_retries == c.retries);
  }
}

TEST_CASE("the service's healthcheck overrides the image's field by field") {
  images::ImageConfig image = busybox();
  image.healthcheck = images::Healthcheck{{"CMD", "true"}, 5'000'000'000, 0, 0, 0, 7};
  SECTION("image only") {
    auto c = must_translate(load("services:\n  s:\n    image: busybox\n"), "s", image);
    REQUIRE(c.healthcheck);
    CHECK(c.healthcheck->test == std::vector<std::string>{"CMD", "true"});
    CHECK(c.healthcheck->interval == std::chrono::seconds(5));
    CHECK(c.healthcheck->timeout == std::chrono::seconds(30));
    CHECK(c.healthcheck->retries == 7);
  }
  SECTION("service over image") {
    auto c = must_translate(load("services:\n  s:\n    image: busybox\n    healthcheck:\n      test: nc -z 127.0.0.1 "
                                 "80\n      interval: 2s\n"),
                            "s", image);
    REQUIRE(c.healthcheck);
    CHECK(c.healthcheck->test == std::vector<std::string>{"CMD-SHELL", "nc -z 127.0.0.1 80"});
    CHECK(c.healthcheck->interval == std::chrono::seconds(2));
    CHECK(c.healthcheck->retries == 7);
  }
  SECTION("disable") {
    auto c = must_translate(load("services:\n  s:\n    image: busybox\n    healthcheck:\n      disable: true\n"), "s",
                            image);
    CHECK_FALSE(c.healthcheck);
  }
  SECTION("NONE") {
    auto c =
        must_translate(load("services:\n  s:\n    image: busybox\n    healthcheck:\n      test: [NONE]\n"), "s", image);
    CHECK_FALSE(c.healthcheck);
  }
}

TEST_CASE("cgroup resources from the service and deploy limits") {
  auto p = load(R"(services:
  flat:
    image: busybox
    mem_limit: 256m
    cpus: 1.5
    cpu_shares: 512
    cpuset: "0"
    pids_limit: 100
  deployed:
    image: busybox
    mem_limit: 256m
    deploy:
      resources:
        limits: {memory: 64m, cpus: "0.5", pids: 10}
        reservations: {memory: 32m}
  both:
    image: busybox
    cpus: 1
    cpu_quota: 50000
)");
  auto flat = must_translate(p, "flat", busybox()).spec.linux.resources;
  CHECK(flat.memory_limit == 256LL << 20);
  CHECK(flat.cpu_period == 100000u);
  CHECK(flat.cpu_quota == 150000);
  CHECK(flat.cpu_shares == 512u);
  CHECK(flat.cpuset_cpus == "0");
  CHECK(flat.pids_limit == 100);
  auto deployed = must_translate(p, "deployed", busybox()).spec.linux.resources;
  CHECK(deployed.memory_limit == 64LL << 20);
  CHECK(deployed.memory_reservation == 32LL << 20);
  CHECK(deployed.cpu_quota == 50000);
  CHECK(deployed.pids_limit == 10);
  auto both = translate_service(p, "both", busybox());
  REQUIRE_FALSE(both);
  CHECK(both.error().message() == "service `both`: cpus cannot be combined with cpu_period or cpu_quota");
}

TEST_CASE("compose's labels, over the image's and the service's") {
  auto p = load(R"(services:
  web:
    image: busybox
    labels:
      com.docker.compose.project: spoofed
      team: a
    depends_on:
      db: {condition: service_healthy, restart: true}
      cache: {condition: service_started}
  db:
    image: busybox
  cache:
    image: busybox
)");
  auto c = must_translate(p, "web", busybox(), 2);
  CHECK(c.labels.at("com.docker.compose.project") == "demo");
  CHECK(c.labels.at("com.docker.compose.service") == "web");
  CHECK(c.labels.at("com.docker.compose.container-number") == "2");
  CHECK(c.labels.at("com.docker.compose.oneoff") == "False");
  CHECK(c.labels.at("com.docker.compose.config-hash") == config_hash(*p.service("web")));
  CHECK(c.labels.at("com.docker.compose.config-hash").size() == 64);
  CHECK(c.labels.at("com.docker.compose.project.working_dir") == "/srv/demo");
  CHECK(c.labels.at("com.docker.compose.project.config_files") == "-");
  CHECK(c.labels.at("com.docker.compose.depends_on") == "cache:service_started:false,db:service_healthy:true");
  CHECK(c.labels.at("com.docker.compose.image") == "sha256:abc");
  CHECK(c.labels.at("com.docker.compose.version") == "0.1.0");
  CHECK(c.labels.at("team") == "a");
  CHECK(c.labels.at("org.example.from-image") == "yes");
}

TEST_CASE("the config hash ignores what compose ignores") {
  auto hash = [](const std::string& body) {
    auto p = load("services:\n  s:\n    image: busybox\n" + body + "  other:\n    image: busybox\n");
    // A service in an unselected profile is disabled, but hashes all the same.
    const auto& s = p.services.contains("s") ? p.services.at("s") : p.disabled_services.at("s");
    return config_hash(s);
  };
  std::string base = hash("");
  CHECK(base == hash(""));  // stable
  CHECK(base == hash("    scale: 3\n"));
  CHECK(base == hash("    pull_policy: always\n"));
  CHECK(base == hash("    depends_on: [other]\n"));
  CHECK(base == hash("    profiles: [dev]\n"));
  CHECK(base == hash("    build: .\n"));
  CHECK(hash("    deploy:\n      replicas: 2\n") == hash("    deploy:\n      replicas: 5\n"));
  CHECK(base != hash("    environment: [A=1]\n"));
  CHECK(base != hash("    command: [sh]\n"));
  CHECK(hash("    environment: [A=1]\n") != hash("    environment: [A=2]\n"));
}

TEST_CASE("the config hash is compose's for a known service") {
  // json.Marshal of compose-go's ServiceConfig for `image: busybox` with its
  // implicit default network: {"command":null,"entrypoint":null,"image":"busybox","networks":{"default":null}}
  auto p = load("services:\n  s:\n    image: busybox\n");
  CHECK(config_hash(*p.service("s")) ==
        images::sha256_bytes(R"({"command":null,"entrypoint":null,"image":"busybox","networks":{"default":null}})")
            .substr(7));
}
