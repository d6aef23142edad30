#include "compose/include.hpp"

#include "base/temp_dir.hpp"
#include "compose/loader.hpp"
#include "loader_test_util.hpp"

using namespace brick;
using namespace brick::compose;
using brick::compose::testing::dump;
using brick::compose::testing::write;

namespace {

struct Fixture {
  TempDir tmp = *TempDir::create("brick-include");
  const std::string d = tmp.path();

  Result<MergedTree> load(StringMap env = {}) {
    LoadOptions opts;
    opts.working_directory = d;
    opts.environment = std::move(env);
    return load_merged_tree(opts);
  }
};

std::string at(const MergedTree& t, const char* kind, const char* name) {
  const Node* k = t.root.find(kind);
  const Node* n = k ? k->find(name) : nullptr;
  return n ? dump(*n) : "<missing>";
}

}  // namespace

TEST_CASE("include: an included project keeps its own directory and .env", "[include]") {
  Fixture f;
  write(f.d, "compose.yaml",
        "include:\n  - lib/db.yaml\n"
        "services:\n  web: {image: web, depends_on: [db]}\n");
  write(f.d, "lib/db.yaml",
        "services:\n  db: {image: \"postgres:${PG}\", build: ./pg, volumes: ['./init:/init', 'data:/var/lib']}\n"
        "volumes:\n  data: {}\n"
        "networks:\n  backend: {}\n");
  write(f.d, "lib/.env", "PG=16\n");
  auto tree = f.load();
  INFO((tree ? std::string() : tree.error().full()));
  REQUIRE(tree.has_value());
  CHECK(tree->root.find("include") == nullptr);
  CHECK(at(*tree, "services", "db") ==
        "{image: postgres:16, build: " + f.d + "/lib/pg, volumes: [" + f.d + "/lib/init:/init, data:/var/lib]}");
  CHECK(at(*tree, "services", "web") == "{image: web, depends_on: [db]}");
  CHECK(at(*tree, "volumes", "data") == "{}");
  CHECK(at(*tree, "networks", "backend") == "{}");
}

TEST_CASE("include: the including project's variables win over the included .env", "[include]") {
  Fixture f;
  write(f.d, "compose.yaml", "include: [lib/db.yaml]\n");
  write(f.d, "lib/db.yaml", "services:\n  db: {image: \"postgres:${PG}\"}\n");
  write(f.d, "lib/.env", "PG=16\n");
  auto tree = f.load({{"PG", "17"}});
  REQUIRE(tree.has_value());
  CHECK(at(*tree, "services", "db") == "{image: postgres:17}");
}

TEST_CASE("include: long form with project_directory, env_file and override files", "[include]") {
  Fixture f;
  write(f.d, "compose.yaml",
        "include:\n"
        "  - path: [stack/main.yaml, stack/override.yaml]\n"
        "    project_directory: stack/root\n"
        "    env_file: custom.env\n");
  write(f.d, "custom.env", "TAG=custom\n");
  write(f.d, "stack/main.yaml", "services:\n  app: {image: \"app:${TAG}\", build: ./src}\n");
  write(f.d, "stack/override.yaml", "services:\n  app: {environment: [X=1]}\n");
  auto tree = f.load();
  INFO((tree ? std::string() : tree.error().full()));
  REQUIRE(tree.has_value());
  CHECK(at(*tree, "services", "app") == "{image: app:custom, build: " + f.d + "/stack/root/src, environment: [X=1]}");
}

TEST_CASE("include: a service defined both locally and by an include is merged, the local one on top", "[include]") {
  Fixture f;
  write(f.d, "compose.yaml",
        "include: [lib.yaml]\nservices:\n  db: {image: mine, environment: [B=2]}\nnetworks:\n  n: {driver: macvlan}\n");
  write(
      f.d, "lib.yaml",
      "services:\n  db: {image: theirs, environment: [A=1], ports: ['5432:5432']}\nnetworks:\n  n: {internal: true}\n");
  auto tree = f.load();
  INFO((tree ? std::string() : tree.error().full()));
  REQUIRE(tree.has_value());
  CHECK(at(*tree, "services", "db") == "{image: mine, environment: [A=1, B=2], ports: [5432:5432]}");
  CHECK(at(*tree, "networks", "n") == "{internal: true, driver: macvlan}");
}

TEST_CASE("include: identical definitions do not conflict", "[include]") {
  Fixture f;
  write(f.d, "compose.yaml", "include: [lib.yaml]\nnetworks:\n  shared: {driver: bridge}\n");
  write(f.d, "lib.yaml", "services:\n  db: {image: x}\nnetworks:\n  shared: {driver: bridge}\n");
  auto tree = f.load();
  REQUIRE(tree.has_value());
  CHECK(at(*tree, "networks", "shared") == "{driver: bridge}");
}

TEST_CASE("include: a local service may extend an included one", "[include]") {
  Fixture f;
  write(f.d, "compose.yaml", "include: [lib.yaml]\nservices:\n  web: {extends: base, command: run}\n");
  write(f.d, "lib.yaml", "services:\n  base: {image: x, env_file: lib.env}\n");
  auto tree = f.load();
  INFO((tree ? std::string() : tree.error().full()));
  REQUIRE(tree.has_value());
  CHECK(at(*tree, "services", "web") == "{image: x, env_file: " + f.d + "/lib.env, command: run}");
}

TEST_CASE("include: cycles and missing files are errors", "[include]") {
  Fixture f;
  write(f.d, "compose.yaml", "include: [a.yaml]\n");
  write(f.d, "a.yaml", "include: [b.yaml]\nservices: {a: {image: a}}\n");
  write(f.d, "b.yaml", "include: [a.yaml]\nservices: {b: {image: b}}\n");
  auto tree = f.load();
  REQUIRE_FALSE(tree.has_value());
  CHECK(tree.error().message().find("include cycle detected") != std::string::npos);

  write(f.d, "compose.yaml", "include: [missing.yaml]\n");
  tree = f.load();
  REQUIRE_FALSE(tree.has_value());
  CHECK(tree.error().message().find(f.d + "/missing.yaml") != std::string::npos);

  write(f.d, "compose.yaml", "include: [{path: b2.yaml, env_file: nope.env}]\n");
  write(f.d, "b2.yaml", "services: {b: {image: b}}\n");
  tree = f.load();
  REQUIRE_FALSE(tree.has_value());
  CHECK(tree.error().message().find("nope.env") != std::string::npos);
}
