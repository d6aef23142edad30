#include "volumes/container_mounts.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace brick;
using namespace brick::volumes;

TEST_CASE("ContainerMounts survives a JSON round trip") {
  ContainerMounts m;
  MountRequest bind;
  bind.kind = MountKind::bind;
  bind.source = "./site";
  bind.target = "/usr/share/html";
  bind.read_only = true;
  bind.propagation = "rslave";
  bind.create_host_path = false;
  bind.recursive = false;
  MountRequest vol;
  vol.source = "demo_data";
  vol.target = "/data";
  vol.nocopy = true;
  vol.subpath = "sub";
  vol.volume_opts = {{"type", "tmpfs"}};
  vol.volume_labels = {{"a", "b"}};
  MountRequest tmp;
  tmp.kind = MountKind::tmpfs;
  tmp.target = "/tmp";
  tmp.tmpfs_size = 64 << 20;
  tmp.tmpfs_mode = 01777;
  tmp.tmpfs_options = {"exec"};
  m.mounts = {bind, vol, tmp};
  m.declared["demo_data"] = VolumeDecl{false, {{"type", "tmpfs"}}, {{"com.docker.compose.project", "demo"}}};
  m.declared["shared"] = VolumeDecl{true, {}, {}};
  m.secrets = {FileMountRequest{"token", "/srv/demo/token.txt", std::nullopt, "", 1000, 1000, 0400}};
  m.configs = {
      FileMountRequest{"app", std::nullopt, "key: value\n", "/etc/app.yaml", std::nullopt, std::nullopt, std::nullopt}};
  m.base_dir = "/srv/demo";
  m.labels = {{"com.docker.compose.project", "demo"}};

  nlohmann::json j = to_json(m);
  ContainerMounts back = container_mounts_from_json(nlohmann::json::parse(j.dump())).value();
  CHECK(to_json(back) == j);
  REQUIRE(back.mounts.size() == 3);
  CHECK(back.mounts[0].kind == MountKind::bind);
  CHECK(back.mounts[0].read_only);
  CHECK_FALSE(back.mounts[0].recursive);
  CHECK(back.mounts[1].subpath == "sub");
  CHECK(back.mounts[2].tmpfs_size == (64u << 20));
  CHECK(back.mounts[2].tmpfs_mode == 01777u);
  CHECK(back.declared.at("shared").external);
  CHECK(back.secrets.at(0).mode == 0400u);
  CHECK(back.configs.at(0).content == "key: value\n");
  CHECK_FALSE(back.configs.at(0).uid);
  CHECK(back.base_dir == "/srv/demo");
}

TEST_CASE("a malformed mounts record is an error naming the field") {
  auto bad = container_mounts_from_json(nlohmann::json::parse(R"({"mounts": [{"kind": "npipe"}]})"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("mounts[0]") != std::string::npos);
  bad = container_mounts_from_json(nlohmann::json::parse(R"({"mounts": [{"target": 3}]})"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("target") != std::string::npos);
  CHECK_FALSE(container_mounts_from_json(nlohmann::json::parse("[]")));
}
