#include "compose/extends.hpp"

#include "base/temp_dir.hpp"
#include "compose/loader.hpp"
#include "loader_test_util.hpp"

using namespace brick;
using namespace brick::compose;
using brick::compose::testing::dump;
using brick::compose::testing::write;
using brick::compose::testing::yaml;

namespace {

Result<Node> extend(const char* text) {
  Node root = yaml(text);
  ExtendsContext ctx{"compose.yaml", "/proj", std::nullopt, {}};
  auto st = apply_extends(root, ctx);
  if (!st) return std::unexpected(st.error());
  return root;
}

}  // namespace

TEST_CASE("extends: same file, keys merge over the base", "[extends]") {
  auto r = extend(
      "services:\n"
      "  base: {image: x, command: [a], environment: {A: '1'}, ports: ['80:80'], depends_on: [db]}\n"
      "  web:\n"
      "    extends: base\n"
      "    command: [b]\n"
      "    environment: [B=2]\n"
      "    ports: ['81:81']\n"
      "  db: {image: postgres}\n");
  REQUIRE(r.has_value());
  // depends_on is inherited: the spec leaves declaring the dependency to the author.
  CHECK(dump(*r->find("services")->find("web")) ==
        "{image: x, command: [b], environment: {A: 1, B: 2}, ports: [80:80, 81:81], depends_on: [db]}");
  CHECK(dump(*r->find("services")->find("base")) ==
        "{image: x, command: [a], environment: {A: 1}, ports: [80:80], depends_on: [db]}");
}

TEST_CASE("extends: long form and recursion", "[extends]") {
  auto r = extend(
      "services:\n"
      "  a: {image: a, labels: {from: a}}\n"
      "  b: {extends: {service: a}, user: b}\n"
      "  c: {extends: b, labels: {from: c}}\n");
  REQUIRE(r.has_value());
  CHECK(dump(*r->find("services")->find("c")) == "{image: a, labels: {from: c}, user: b}");
}

TEST_CASE("extends: !reset in the extending service drops the inherited value", "[extends]") {
  auto r = extend(
      "services:\n"
      "  base: {image: x, ports: ['80:80']}\n"
      "  web: {extends: base, ports: !reset []}\n");
  REQUIRE(r.has_value());
  CHECK(dump(*r->find("services")->find("web")) == "{image: x}");
}

TEST_CASE("extends: cycles are named", "[extends]") {
  auto r = extend(
      "services:\n"
      "  a: {extends: b}\n"
      "  b: {extends: a}\n");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "extends cycle: a -> b -> a");

  r = extend("services:\n  a: {extends: a}\n");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "extends cycle: a -> a");
}

TEST_CASE("extends: unknown service or malformed extends", "[extends]") {
  auto r = extend("services:\n  web: {extends: nope}\n");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "cannot extend service \"web\" in compose.yaml: service \"nope\" not found");

  r = extend("services:\n  web: {extends: {file: x.yaml}}\n");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message().find("`service` is required") != std::string::npos);
}

TEST_CASE("extends: from another file, its paths against its directory", "[extends]") {
  auto tmp = TempDir::create("brick-extends");
  REQUIRE(tmp.has_value());
  const std::string d = tmp->path();
  write(d, "common/base.yaml",
        "services:\n"
        "  base: {build: ./app, env_file: base.env, volumes: ['./data:/data']}\n"
        "  deeper: {extends: {file: ../more/more.yaml, service: root}, image: deep}\n");
  write(d, "more/more.yaml", "services:\n  root: {volumes: ['./root:/root'], labels: {root: '1'}}\n");
  write(d, "compose.yaml",
        "services:\n"
        "  web: {extends: {file: common/base.yaml, service: base}, volumes: ['./mine:/mine'], env_file: web.env}\n"
        "  other: {extends: {file: common/base.yaml, service: deeper}}\n");
  LoadOptions opts;
  opts.working_directory = d;
  auto tree = load_merged_tree(opts);
  INFO((tree ? std::string() : tree.error().full()));
  REQUIRE(tree.has_value());
  const Node& services = *tree->root.find("services");
  CHECK(dump(*services.find("web")) == "{build: " + d + "/common/app, env_file: [" + d + "/common/base.env, " + d +
                                           "/web.env], volumes: [" + d + "/common/data:/data, " + d + "/mine:/mine]}");
  CHECK(dump(*services.find("other")) == "{volumes: [" + d + "/more/root:/root], labels: {root: 1}, image: deep}");
}

TEST_CASE("extends: a cycle across files", "[extends]") {
  auto tmp = TempDir::create("brick-extends");
  REQUIRE(tmp.has_value());
  const std::string d = tmp->path();
  write(d, "compose.yaml", "services:\n  a: {extends: {file: other.yaml, service: b}}\n");
  write(d, "other.yaml", "services:\n  b: {extends: {file: compose.yaml, service: a}}\n");
  LoadOptions opts;
  opts.working_directory = d;
  auto tree = load_merged_tree(opts);
  REQUIRE_FALSE(tree.has_value());
  CHECK(tree.error().message().find("extends cycle: a -> b (" + d + "/other.yaml) -> a") != std::string::npos);
}
