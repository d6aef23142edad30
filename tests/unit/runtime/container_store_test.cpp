// Container records: atomic state, unique names, lookup by name, id and
// prefix, labels, removal.
#include "runtime/container_store.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "base/temp_dir.hpp"

using namespace brick;
using namespace brick::runtime;

namespace {

struct Fixture {
  TempDir dir = TempDir::create().value();
  ContainerStore store = ContainerStore::open(dir.path() + "/root", dir.path() + "/run").value();

  ContainerState make(const std::string& name, std::map<std::string, std::string> labels = {}) {
    ContainerState s;
    s.name = name;
    s.image = "busybox";
    s.labels = std::move(labels);
    ContainerSpec spec = default_spec();
    spec.process.args = {"true"};
    return store.create(s, spec).value();
  }
};

}  // namespace

TEST_CASE("restart policies parse as docker's") {
  CHECK(parse_restart_policy("no").value() == RestartPolicy{"no", 0});
  CHECK(parse_restart_policy("always").value() == RestartPolicy{"always", 0});
  CHECK(parse_restart_policy("unless-stopped").value().name == "unless-stopped");
  CHECK(parse_restart_policy("on-failure:3").value() == RestartPolicy{"on-failure", 3});
  CHECK(to_string(parse_restart_policy("on-failure:3").value()) == "on-failure:3");
  CHECK_FALSE(parse_restart_policy("sometimes"));
  CHECK_FALSE(parse_restart_policy("always:3"));
  CHECK_FALSE(parse_restart_policy("on-failure:x"));
}

TEST_CASE("state round-trips through JSON") {
  ContainerState s;
  s.id = std::string(64, 'a');
  s.name = "web";
  s.status = ContainerStatus::exited;
  s.exit_code = 137;
  s.oom_killed = true;
  s.restart_count = 2;
  s.restart_policy = {"on-failure", 3};
  s.labels = {{"a", "b"}};
  s.health = Health{"healthy", 0, {{"s", "e", 0, "ok"}}};
  s.log_options = {1000, 3};
  s.init = true;
  s.user = "nobody:nogroup";
  s.group_add = {"audio"};
  s.volume_flags = {"data:/data:ro"};
  s.mount_flags = {"type=tmpfs,dst=/t"};
  s.tmpfs_flags = {"/run"};
  s.mount_base_dir = "/srv";
  s.volumes = {"data"};
  s.anonymous_volumes = {"data"};
  s.healthcheck = HealthcheckConfig{{"CMD-SHELL", "true"}, 1'000'000'000, 2, 3, 4, 5};
  s.extensions["network"] = {{"mode", "bridge"}};
  ContainerState back = parse_state(state_to_json(s)).value();
  CHECK(back.name == "web");
  CHECK(back.status == ContainerStatus::exited);
  CHECK(back.exit_code == 137);
  CHECK(back.oom_killed);
  CHECK(back.restart_policy == RestartPolicy{"on-failure", 3});
  CHECK(back.labels == s.labels);
  REQUIRE(back.health);
  CHECK(back.health->log.at(0).output == "ok");
  CHECK(back.log_options.max_file == 3);
  CHECK(back.init);
  CHECK(back.user == "nobody:nogroup");
  CHECK(back.group_add == s.group_add);
  CHECK(back.volume_flags == s.volume_flags);
  CHECK(back.mount_flags == s.mount_flags);
  CHECK(back.tmpfs_flags == s.tmpfs_flags);
  CHECK(back.mount_base_dir == "/srv");
  CHECK(back.volumes == s.volumes);
  CHECK(back.healthcheck == s.healthcheck);
  CHECK(back.extensions == s.extensions);
  CHECK(back.anonymous_volumes == s.anonymous_volumes);
  CHECK_FALSE(parse_state("{\"status\":\"sleeping\"}"));
  CHECK_FALSE(parse_state("[]"));
}

TEST_CASE("create writes config and state, names are unique") {
  Fixture f;
  ContainerState web = f.make("web", {{"com.docker.compose.project", "demo"}});
  CHECK(web.id.size() == 64);
  CHECK(web.status == ContainerStatus::created);
  CHECK(web.created.ends_with("Z"));
  CHECK(web.log_path == f.store.dir(web.id) + "/" + web.id + "-json.log");
  CHECK(f.store.load_spec(web.id).value().process.args == std::vector<std::string>{"true"});
  CHECK(::access((f.store.dir(web.id) + "/state.json").c_str(), F_OK) == 0);

  ContainerState again;
  again.name = "web";
  auto conflict = f.store.create(again, default_spec());
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().message().find("is already in use by container \"" + web.id) != std::string::npos);

  ContainerState bad;
  bad.name = "-bad name";
  CHECK_FALSE(f.store.create(bad, default_spec()));

  ContainerState anon = f.make("");
  CHECK(anon.name.find('_') != std::string::npos);
  CHECK(anon.name != "web");
}

TEST_CASE("find by name, id and unique prefix") {
  Fixture f;
  ContainerState a = f.make("alpha");
  ContainerState b = f.make("beta");
  CHECK(f.store.find("alpha").value().id == a.id);
  CHECK(f.store.find("/beta").value().id == b.id);
  CHECK(f.store.find(a.id).value().name == "alpha");
  CHECK(f.store.find(a.id.substr(0, 12)).value().name == "alpha");
  auto missing = f.store.find("gamma");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() == "No such container: gamma: No such file or directory");
  // Every id starts with a hex digit: a one-character prefix shared by both is ambiguous or names one.
  size_t common = 0;
  while (a.id[common] == b.id[common]) ++common;
  if (common > 0) CHECK_FALSE(f.store.find(a.id.substr(0, common)));
}

TEST_CASE("list, list by labels, save and remove") {
  Fixture f;
  ContainerState a = f.make("alpha", {{"p", "demo"}, {"s", "web"}});
  ContainerState b = f.make("beta", {{"p", "demo"}, {"s", "db"}});
  f.make("gamma", {{"p", "other"}});
  CHECK(f.store.list().value().size() == 3);
  CHECK(f.store.list_by_labels({{"p", "demo"}}).value().size() == 2);
  auto web = f.store.list_by_labels({{"p", "demo"}, {"s", "web"}}).value();
  REQUIRE(web.size() == 1);
  CHECK(web[0].id == a.id);
  CHECK(f.store.list_by_labels({{"s", ""}}).value().size() == 2);

  b.status = ContainerStatus::running;
  b.pid = 42;
  REQUIRE(f.store.save(b));
  CHECK(f.store.load(b.id).value().pid == 42);
  CHECK(f.store.load(b.id).value().running());

  REQUIRE(f.store.remove(a.id));
  CHECK(::access(f.store.dir(a.id).c_str(), F_OK) != 0);
  CHECK_FALSE(f.store.find("alpha"));
  CHECK(f.store.list().value().size() == 2);
}
