// translate's requests for the other modules: mounts, secrets and configs,
// ports, networks, DNS and extra hosts, GPUs and devices.
#include <catch2/catch.hpp>

#include "orchestrator/translate.hpp"
#include "project_util.hpp"

using namespace brick;
using namespace brick::orchestrator;
using brick::orchestrator::testing::load;

namespace {

images::ImageConfig shell_image() {
  images::ImageConfig image;
  image.cmd = {"sh"};
  return image;
}

Result<DesiredContainer> translate_yaml(const std::string& yaml, const std::string& service = "s",
                                        const std::string& host_gateway = "") {
  static const images::ImageConfig image = shell_image();
  static compose::Project p;
  p = load(yaml);
  TranslateInput in;
  in.project = &p;
  in.service = p.service(service);
  REQUIRE(in.service != nullptr);
  in.image = &image;
  in.image_id = "sha256:abc";
  in.host_gateway = host_gateway;
  return translate(in);
}

DesiredContainer must(const std::string& yaml, const std::string& service = "s", const std::string& gw = "") {
  auto c = translate_yaml(yaml, service, gw);
  if (!c) FAIL(c.error().full());
  return *c;
}

std::string fails(const std::string& yaml) {
  auto c = translate_yaml(yaml);
  if (c) FAIL("translated, expected an error:\n" + yaml);
  return c.error().full();
}

const std::string kHead = "services:\n  s:\n    image: busybox\n";

}  // namespace

TEST_CASE("volumes and tmpfs become mount requests") {
  using volumes::MountKind;
  struct Case {
    const char* name;
    const char* yaml;  // after kHead
    MountKind kind;
    const char* source;
    const char* target;
    bool read_only;
    bool create_host_path;
  };
  const Case cases[] = {
      {"short named volume gets the project's name", "    volumes: [data:/data]\nvolumes:\n  data:\n",
       MountKind::volume, "demo_data", "/data", false, true},
      {"named volume with name:", "    volumes: [data:/data:ro]\nvolumes:\n  data:\n    name: shared\n",
       MountKind::volume, "shared", "/data", true, true},
      {"anonymous volume", "    volumes: [/cache]\n", MountKind::volume, "", "/cache", false, true},
      {"relative bind resolves against the project", "    volumes: [./src:/src]\n", MountKind::bind, "/srv/demo/src",
       "/src", false, true},
      {"long bind defaults to creating the host path",
       "    volumes:\n      - {type: bind, source: /opt/x, target: /x, read_only: true}\n", MountKind::bind, "/opt/x",
       "/x", true, true},
      {"long bind with create_host_path false",
       "    volumes:\n      - {type: bind, source: /opt/x, target: /x, bind: {create_host_path: false}}\n",
       MountKind::bind, "/opt/x", "/x", false, false},
      {"long tmpfs", "    volumes:\n      - {type: tmpfs, target: /t}\n", MountKind::tmpfs, "", "/t", false, true},
      {"tmpfs key", "    tmpfs: /run:size=1m\n", MountKind::tmpfs, "", "/run", false, true},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto d = must(kHead + c.yaml);
      REQUIRE(d.mounts.size() == 1);
      const auto& m = d.mounts[0];
      CHECK(m.kind == c.kind);
      CHECK(m.source == c.source);
      CHECK(m.target == c.target);
      CHECK(m.read_only == c.read_only);
      CHECK(m.create_host_path == c.create_host_path);
    }
  }
}

TEST_CASE("mount details carry over") {
  auto d = must(kHead +
                "    volumes:\n"
                "      - {type: volume, source: data, target: /d, volume: {nocopy: true, subpath: sub}}\n"
                "      - {type: tmpfs, target: /t, tmpfs: {size: 1m, mode: 0700}}\n"
                "      - {type: bind, source: /h, target: /b, bind: {propagation: rshared, selinux: z}}\n"
                "    tmpfs: ['/run:size=64k,mode=1777']\n"
                "volumes:\n  data:\n    external: true\n    name: ext-data\n"
                "  other:\n    labels: {a: b}\n");
  REQUIRE(d.mounts.size() == 4);
  CHECK(d.mounts[0].source == "ext-data");
  CHECK(d.mounts[0].nocopy);
  CHECK(d.mounts[0].subpath == "sub");
  CHECK(d.mounts[1].tmpfs_size == std::optional<uint64_t>(1024 * 1024));
  CHECK(d.mounts[1].tmpfs_mode == std::optional<uint32_t>(0700));
  CHECK(d.mounts[2].propagation == "rshared");
  CHECK(d.mounts[2].selinux == "z");
  CHECK(d.mounts[3].target == "/run");
  CHECK(d.mounts[3].tmpfs_size == std::optional<uint64_t>(64 * 1024));
  CHECK(d.mounts[3].tmpfs_mode == std::optional<uint32_t>(01777));
  // Only the volumes this container uses are declared to it.
  REQUIRE(d.volume_decls.size() == 1);
  CHECK(d.volume_decls.at("ext-data").external);
}

TEST_CASE("declared volume options and labels reach the request") {
  auto d = must(kHead +
                "    volumes: [data:/d]\nvolumes:\n  data:\n    driver_opts: {type: tmpfs, device: tmpfs}\n"
                "    labels: {team: ml}\n");
  const auto& decl = d.volume_decls.at("demo_data");
  CHECK_FALSE(decl.external);
  CHECK(decl.driver_opts == volumes::Options{{"device", "tmpfs"}, {"type", "tmpfs"}});
  CHECK(decl.labels == volumes::Options{{"team", "ml"}});
}

TEST_CASE("secrets and configs become file requests") {
  auto d = must(
      "services:\n  s:\n    image: busybox\n"
      "    secrets:\n      - token\n      - {source: key, target: k.pem, uid: '1000', gid: '1001', mode: 0400}\n"
      "    configs:\n      - {source: app, target: /etc/app.conf}\n      - inline\n"
      "secrets:\n  token:\n    file: ./token.txt\n  key:\n    environment: HOME\n"
      "configs:\n  app:\n    file: /etc/hostname\n  inline:\n    content: hello\n");
  REQUIRE(d.secrets.size() == 2);
  CHECK(d.secrets[0].name == "token");
  CHECK(d.secrets[0].file == std::optional<std::string>("/srv/demo/token.txt"));
  CHECK(d.secrets[0].target == "/run/secrets/token");  // as the loader writes it
  CHECK_FALSE(d.secrets[0].uid);
  CHECK(d.secrets[1].content == std::optional<std::string>("/root"));
  CHECK(d.secrets[1].target == "k.pem");
  CHECK(d.secrets[1].uid == std::optional<uint32_t>(1000));
  CHECK(d.secrets[1].gid == std::optional<uint32_t>(1001));
  CHECK(d.secrets[1].mode == std::optional<uint32_t>(0400));
  REQUIRE(d.configs.size() == 2);
  CHECK(d.configs[0].file == std::optional<std::string>("/etc/hostname"));
  CHECK(d.configs[0].target == "/etc/app.conf");
  CHECK(d.configs[1].content == std::optional<std::string>("hello"));
}

TEST_CASE("ports become port mappings") {
  struct Case {
    const char* ports;
    std::vector<net::PortMapping> want;
  };
  const Case cases[] = {
      {"[\"127.0.0.1:8080:80\"]", {{"127.0.0.1", 8080, 0, 80, "tcp"}}},
      {"[\"53:53/udp\"]", {{"", 53, 0, 53, "udp"}}},
      {"[\"9000\"]", {{"", 0, 0, 9000, "tcp"}}},
      {"[\"8000-8001:80-81\"]", {{"", 8000, 0, 80, "tcp"}, {"", 8001, 0, 81, "tcp"}}},
      {"[{target: 80, published: '8000-8010', host_ip: '::1'}]", {{"::1", 8000, 8010, 80, "tcp"}}},
  };
  for (const auto& c : cases) {
    SECTION(c.ports) {
      auto d = must(kHead + "    ports: " + c.ports + "\n");
      CHECK(d.ports == c.want);
    }
  }
}

TEST_CASE("networks to join, in priority order, with aliases") {
  SECTION("none named: the project's default network") {
    auto d = must(kHead);
    REQUIRE(d.networks.size() == 1);
    CHECK(d.networks[0].name == "demo_default");
    CHECK(d.networks[0].aliases == std::vector<std::string>{"s"});
  }
  SECTION("named, with addresses and priorities") {
    auto d = must(kHead +
                  "    networks:\n"
                  "      back: {aliases: [db, s], ipv4_address: 172.28.0.5, priority: 10}\n"
                  "      front:\n"
                  "      ext: {priority: 100}\n"
                  "networks:\n  back:\n    ipam: {config: [{subnet: 172.28.0.0/16}]}\n  front:\n"
                  "  ext:\n    external: true\n    name: shared-net\n");
    REQUIRE(d.networks.size() == 3);
    CHECK(d.networks[0].name == "shared-net");
    CHECK(d.networks[0].priority == 100);
    CHECK(d.networks[1].name == "demo_back");
    CHECK(d.networks[1].aliases == std::vector<std::string>{"s", "db"});
    CHECK(d.networks[1].ipv4_address == "172.28.0.5");
    CHECK(d.networks[2].name == "demo_front");
    CHECK(d.networks[2].key == "front");
  }
  SECTION("a network_mode joins none") {
    CHECK(must(kHead + "    network_mode: host\n").networks.empty());
    CHECK(must(kHead + "    network_mode: none\n").networks.empty());
  }
  SECTION("gw_priority is carried; priority alone orders them") {
    auto d = must(kHead +
                  "    networks:\n"
                  "      a: {priority: 5}\n"
                  "      b: {gw_priority: 10}\n"
                  "networks:\n  a:\n  b:\n");
    REQUIRE(d.networks.size() == 2);
    CHECK(d.networks[0].key == "a");
    CHECK(d.networks[0].gw_priority == 0);
    CHECK(d.networks[1].key == "b");
    CHECK(d.networks[1].gw_priority == 10);
  }
}

TEST_CASE("mac_address: per network, and the service's on the primary network") {
  const std::string nets = "networks:\n  a:\n  b:\n";
  SECTION("per network, normalized") {
    auto d = must(kHead + "    networks:\n      a:\n      b: {mac_address: 92-D0-C6-0A-29-33}\n" + nets);
    REQUIRE(d.networks.size() == 2);
    CHECK(d.networks[0].mac_address.empty());
    CHECK(d.networks[1].mac_address == "92:d0:c6:0a:29:33");
  }
  SECTION("service-level: the first network joined (highest priority)") {
    auto d =
        must(kHead + "    mac_address: 92:d0:c6:0a:29:33\n    networks:\n      a:\n      b: {priority: 3}\n" + nets);
    REQUIRE(d.networks.size() == 2);
    CHECK(d.networks[0].key == "b");
    CHECK(d.networks[0].mac_address == "92:d0:c6:0a:29:33");
    CHECK(d.networks[1].mac_address.empty());
  }
  SECTION("service-level on the default network") {
    auto d = must(kHead + "    mac_address: 92:d0:c6:0a:29:33\n");
    CHECK(d.networks.at(0).mac_address == "92:d0:c6:0a:29:33");
  }
  SECTION("service-level equal to the primary network's: fine") {
    auto d =
        must(kHead + "    mac_address: 92:d0:c6:0a:29:33\n    networks:\n      a: {mac_address: 92:D0:C6:0A:29:33}\n" +
             nets);
    CHECK(d.networks.at(0).mac_address == "92:d0:c6:0a:29:33");
  }
  struct Case {
    const char* name;
    std::string yaml;
    const char* says;
  };
  const Case cases[] = {
      {"malformed, service-level", kHead + "    mac_address: 92:d0:c6:0a:29\n",
       "mac_address: `92:d0:c6:0a:29` is not a MAC"},
      {"malformed, per network", kHead + "    networks:\n      a: {mac_address: nope}\n" + nets,
       "networks.a.mac_address: `nope` is not a MAC"},
      {"multicast", kHead + "    networks:\n      a: {mac_address: '01:00:5e:00:00:01'}\n" + nets, "multicast"},
      {"differs from the primary network's",
       kHead + "    mac_address: 92:d0:c6:0a:29:33\n    networks:\n      a: {mac_address: 92:d0:c6:0a:29:34}\n" + nets,
       "differs from networks.a.mac_address"},
      {"with network_mode none", kHead + "    network_mode: none\n    mac_address: 92:d0:c6:0a:29:33\n",
       "cannot be combined with network_mode `none`"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      std::string error = fails(c.yaml);
      CHECK(error.find("service `s`") != std::string::npos);
      CHECK(error.find(c.says) != std::string::npos);
    }
  }
}

TEST_CASE("dns and extra_hosts") {
  auto d = must(kHead +
                "    dns: [10.0.0.2, 10.0.0.3]\n    dns_search: example.org\n    dns_opt: [ndots:2]\n"
                "    extra_hosts: ['db:10.1.1.1', 'v6=::1', 'gw:host-gateway']\n");
  CHECK(d.dns.servers == std::vector<std::string>{"10.0.0.2", "10.0.0.3"});
  CHECK(d.dns.search == std::vector<std::string>{"example.org"});
  CHECK(d.dns.options == std::vector<std::string>{"ndots:2"});
  REQUIRE(d.extra_hosts.size() == 3);
  CHECK(d.extra_hosts[0] == net::HostEntry{"10.1.1.1", {"db"}});
  // The loader sorts them, as compose config prints them.
  CHECK(d.extra_hosts[1] == net::HostEntry{"host-gateway", {"gw"}});
  CHECK(d.extra_hosts[2] == net::HostEntry{"::1", {"v6"}});
  auto g = must(kHead + "    extra_hosts: ['gw:host-gateway']\n", "s", "172.17.0.1");
  CHECK(g.extra_hosts.at(0) == net::HostEntry{"172.17.0.1", {"gw"}});
  // Without a network there is no gateway to stand for the host.
  std::string none = fails(kHead + "    network_mode: none\n    extra_hosts: ['gw:host-gateway']\n");
  CHECK(none.find("service `s`") != std::string::npos);
  CHECK(none.find("host-gateway needs a network") != std::string::npos);
}

TEST_CASE("GPU reservations, gpus and CDI devices") {
  struct Case {
    const char* name;
    const char* yaml;
    std::optional<int64_t> count;
    std::vector<std::string> ids;
    bool shared;
  };
  const Case cases[] = {
      {"deploy count",
       "    deploy:\n      resources:\n        reservations:\n          devices:\n"
       "            - {driver: nvidia, count: 1, capabilities: [gpu]}\n",
       1,
       {},
       false},
      {"deploy without count takes all",
       "    deploy:\n      resources:\n        reservations:\n          devices:\n            - capabilities: [gpu]\n",
       -1,
       {},
       false},
      {"deploy device ids, shared",
       "    deploy:\n      resources:\n        reservations:\n          devices:\n"
       "            - {capabilities: [gpu, utility], device_ids: ['0', '2'], options: {shared: 'true'}}\n",
       std::nullopt,
       {"0", "2"},
       true},
      {"gpus: all", "    gpus: all\n", -1, {}, false},
      {"gpus list", "    gpus:\n      - {count: 2}\n", 2, {}, false},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto d = must(kHead + c.yaml);
      REQUIRE(d.gpus.size() == 1);
      const auto& g = d.gpus[0];
      CHECK(g.count == c.count);
      CHECK(g.device_ids == c.ids);
      CHECK(g.shared == c.shared);
      CHECK(g.driver == "nvidia");
      CHECK(g.service == "s");
      CHECK(g.holder == "demo/demo-s-1");
      REQUIRE_FALSE(g.capabilities.empty());
      CHECK(g.capabilities[0] == "gpu");
    }
  }
  SECTION("devices: CDI names apart from host nodes") {
    auto d = must(kHead + "    devices: ['nvidia.com/gpu=0', '/dev/fuse', '/dev/sda:/dev/xvda:r']\n");
    CHECK(d.cdi_devices == std::vector<std::string>{"nvidia.com/gpu=0"});
    REQUIRE(d.devices.size() == 2);
    CHECK(d.devices[0] == DeviceMapping{"/dev/fuse", "/dev/fuse", "rwm"});
    CHECK(d.devices[1] == DeviceMapping{"/dev/sda", "/dev/xvda", "r"});
    CHECK(d.gpus.empty());
  }
}

TEST_CASE("what translate refuses names the service and the entry") {
  struct Case {
    const char* yaml;  // after kHead
    const char* message;
  };
  const Case cases[] = {
      {"    volumes:\n      - {type: npipe, source: x, target: /x}\n", "mount type `npipe` is not supported"},
      {"    volumes: [data:/d]\nvolumes:\n  data:\n    driver: nfs\n", "driver `nfs` is not supported"},
      {"    tmpfs: ['/t:size=lots']\n", "tmpfs `/t:size=lots`"},
      {"    secrets: [k]\nsecrets:\n  k:\n    external: true\n", "external secrets exist only in swarm mode"},
      {"    secrets: [k]\nsecrets:\n  k:\n    environment: NOT_SET_ANYWHERE\n",
       "environment variable `NOT_SET_ANYWHERE` is not set"},
      {"    secrets: [{source: k, uid: bob}]\nsecrets:\n  k:\n    file: /k\n", "`bob` is not a numeric id"},
      {"    ports: ['53:53/sctp']\n", "protocol `sctp` is not supported"},
      {"    extra_hosts: ['db:not-an-ip']\n", "`not-an-ip` is not an IP address"},
      {"    deploy:\n      resources:\n        reservations:\n          devices:\n"
       "            - {capabilities: [tpu], count: 1}\n",
       "only GPU reservations"},
  };
  for (const auto& c : cases) {
    SECTION(c.message) {
      std::string error = fails(kHead + c.yaml);
      CHECK_THAT(error, Catch::Contains("service `s`"));
      CHECK_THAT(error, Catch::Contains(c.message));
    }
  }
}

TEST_CASE("an image's VOLUMEs become anonymous volumes unless a mount covers them") {
  compose::Project p = load("services:\n  s:\n    image: x\n    volumes: [/srv:/covered]\n");
  images::ImageConfig image = shell_image();
  image.volumes = {"/covered", "/data"};
  TranslateInput in;
  in.project = &p;
  in.service = p.service("s");
  in.image = &image;
  auto c = translate(in);
  REQUIRE(c);
  REQUIRE(c->mounts.size() == 2);
  CHECK(c->mounts[0].kind == volumes::MountKind::bind);
  CHECK(c->mounts[1].kind == volumes::MountKind::volume);
  CHECK(c->mounts[1].source.empty());
  CHECK(c->mounts[1].target == "/data");
}
