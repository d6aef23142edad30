#include "volumes/volume_store.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/temp_dir.hpp"

using namespace brick;
using namespace brick::volumes;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  TempDir root = std::move(TempDir::create("brick-volumes").value());
  VolumeStore store = std::move(VolumeStore::open(root.path()).value());
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("create makes _data and an atomic record, get reads it back", "[volume_store]") {
  Fixture f;
  auto v = f.store.create("data", {}, {{"com.docker.compose.project", "demo"}});
  REQUIRE(v);
  CHECK(v->mountpoint == f.store.dir() + "/data/_data");
  CHECK(fs::is_directory(v->mountpoint));
  CHECK(fs::exists(f.store.dir() + "/data/volume.json"));
  auto got = f.store.get("data");
  REQUIRE(got);
  CHECK(got->labels.at("com.docker.compose.project") == "demo");
  CHECK(got->driver == "local");
  CHECK_FALSE(got->anonymous);
  CHECK(got->created_at.size() == 20);
}

TEST_CASE("create is idempotent when identical and an error when options differ", "[volume_store]") {
  Fixture f;
  Options tmpfs = {{"type", "tmpfs"}, {"o", "size=10m"}};
  REQUIRE(f.store.create("cache", tmpfs));
  REQUIRE(f.store.create("cache", tmpfs));
  auto again = f.store.create("cache", {{"type", "tmpfs"}});
  REQUIRE_FALSE(again);
  CHECK(has(again.error().message(), "`cache`"));
  CHECK(has(again.error().message(), "already exists"));
  CHECK_FALSE(f.store.create("cache", tmpfs, {{"a", "b"}}));
}

TEST_CASE("volume names are validated", "[volume_store]") {
  Fixture f;
  for (const char* bad : {"", "a", "-x", ".hidden", "a/b", "../escape", "sp ace", "x:y"}) {
    INFO(bad);
    auto v = f.store.create(bad);
    REQUIRE_FALSE(v);
    CHECK(has(v.error().message(), "invalid volume name"));
  }
  for (const char* good : {"ab", "0x", "my_vol.1-a", "A9"}) CHECK(f.store.create(good));
  CHECK_FALSE(fs::exists(f.root.path() + "/escape"));
}

TEST_CASE("local driver options are validated", "[volume_store]") {
  struct Case {
    Options opts;
    const char* error;  // nullptr: valid
  };
  TempDir dev = std::move(TempDir::create("brick-bind").value());
  std::vector<Case> cases = {
      {{}, nullptr},
      {{{"type", "tmpfs"}}, nullptr},
      {{{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=100m,uid=1000"}}, nullptr},
      {{{"type", "none"}, {"o", "bind"}, {"device", dev.path()}}, nullptr},
      {{{"type", "nfs"}, {"o", "addr=10.0.0.1"}, {"device", ":/export"}}, nullptr},
      {{{"size", "1g"}}, "unknown option `size`"},
      {{{"device", "/x"}}, "needs `type`"},
      {{{"type", "none"}, {"device", dev.path()}}, "needs `o=bind`"},
      {{{"type", "none"}, {"o", "bind"}, {"device", "relative/dir"}}, "absolute path"},
      {{{"type", "none"}, {"o", "bind"}, {"device", dev.path() + "/missing"}}, "must exist"},
      {{{"type", "ext4"}}, "needs a `device`"},
  };
  for (const auto& c : cases) {
    auto s = validate_local_options(c.opts);
    INFO(nlohmann::json(c.opts).dump());
    if (!c.error) {
      CHECK(s);
    } else {
      REQUIRE_FALSE(s);
      CHECK(has(s.error().message(), c.error));
    }
  }
  Fixture f;
  auto v = f.store.create("bad-opts", {{"type", "none"}, {"o", "bind"}, {"device", "rel"}});
  REQUIRE_FALSE(v);
  CHECK(has(v.error().message(), "creating volume `bad-opts`"));
  CHECK_FALSE(fs::exists(f.store.dir() + "/bad-opts"));
}

TEST_CASE("list sorts by name and filters by label", "[volume_store]") {
  Fixture f;
  REQUIRE(f.store.create("zz", {}, {{"com.docker.compose.project", "x"}}));
  REQUIRE(f.store.create("aa", {}, {{"com.docker.compose.project", "y"}, {"keep", ""}}));
  REQUIRE(f.store.create("mm"));
  auto all = f.store.list();
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].name == "aa");
  CHECK((*all)[2].name == "zz");
  auto x = f.store.list({"com.docker.compose.project=x"});
  REQUIRE(x);
  REQUIRE(x->size() == 1);
  CHECK((*x)[0].name == "zz");
  CHECK(f.store.list({"com.docker.compose.project"})->size() == 2);
  CHECK(f.store.list({"keep", "com.docker.compose.project=y"})->size() == 1);
  CHECK(f.store.list({"keep=no"})->empty());
}

TEST_CASE("remove refuses in-use volumes, even with force, and -f ignores missing ones", "[volume_store]") {
  Fixture f;
  auto v = f.store.create("busy");
  REQUIRE(v);
  std::ofstream(v->mountpoint + "/file") << "data";
  fs::create_symlink("/", v->mountpoint + "/rootlink");  // must not be followed
  InUse busy = [](const std::string& n) { return n == "busy"; };
  auto s = f.store.remove("busy", true, busy);
  REQUIRE_FALSE(s);
  CHECK(has(s.error().message(), "`busy`"));
  CHECK(has(s.error().message(), "in use"));
  REQUIRE(f.store.remove("busy", false, {}));
  CHECK_FALSE(fs::exists(f.store.dir() + "/busy"));
  CHECK(fs::exists("/etc"));
  auto missing = f.store.remove("busy");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().errno_value() == ENOENT);
  CHECK(f.store.remove("busy", true));
}

TEST_CASE("anonymous volumes get a 64-hex name, prune removes only them unless all", "[volume_store]") {
  Fixture f;
  auto anon = f.store.create_anonymous();
  REQUIRE(anon);
  CHECK(anon->name.size() == 64);
  CHECK(anon->name.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(anon->anonymous);
  CHECK(anon->labels.contains(kAnonymousLabel));
  auto anon2 = f.store.create_anonymous();
  REQUIRE(anon2);
  REQUIRE(f.store.create("named"));
  REQUIRE(f.store.create("used"));
  std::ofstream(anon->mountpoint + "/f") << "12345";
  fs::create_directory(f.store.dir() + "/.tmp-crashed");  // a crashed create

  InUse in_use = [&](const std::string& n) { return n == anon2->name || n == "used"; };
  auto report = f.store.prune(in_use);
  REQUIRE(report);
  CHECK(report->deleted == std::vector<std::string>{anon->name});
  CHECK(report->reclaimed_bytes >= 5);  // the data and the record
  CHECK_FALSE(fs::exists(f.store.dir() + "/.tmp-crashed"));

  report = f.store.prune(in_use, true);
  REQUIRE(report);
  CHECK(report->deleted == std::vector<std::string>{"named"});
  auto left = f.store.list();
  REQUIRE(left);
  CHECK(left->size() == 2);
}

TEST_CASE("inspect JSON is shaped like docker's", "[volume_store]") {
  Fixture f;
  auto v = f.store.create("shown", {{"type", "tmpfs"}}, {{"a", "b"}});
  REQUIRE(v);
  auto j = nlohmann::json::parse(to_inspect_json(*v));
  CHECK(j["Name"] == "shown");
  CHECK(j["Driver"] == "local");
  CHECK(j["Scope"] == "local");
  CHECK(j["Mountpoint"] == v->mountpoint);
  CHECK(j["Labels"]["a"] == "b");
  CHECK(j["Options"]["type"] == "tmpfs");
  CHECK(j["CreatedAt"] == v->created_at);
  auto plain = nlohmann::json::parse(to_inspect_json(*f.store.create("plain")));
  CHECK(plain["Labels"].is_null());
  CHECK(plain["Options"].is_null());
}

TEST_CASE("a corrupt record names the volume and what to remove", "[volume_store]") {
  Fixture f;
  REQUIRE(f.store.create("broken"));
  std::ofstream(f.store.dir() + "/broken/volume.json") << "{not json";
  auto v = f.store.get("broken");
  REQUIRE_FALSE(v);
  CHECK(has(v.error().message(), "volume `broken`"));
  CHECK(has(v.error().message(), "corrupt"));
}
