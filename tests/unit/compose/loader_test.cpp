#include "compose/loader.hpp"

#include "base/temp_dir.hpp"
#include "loader_test_util.hpp"

using namespace brick;
using namespace brick::compose;
using brick::compose::testing::dump;
using brick::compose::testing::write;

namespace {

TempDir temp() {
  auto t = TempDir::create("brick-loader");
  REQUIRE(t.has_value());
  return std::move(*t);
}

LoadOptions options_in(const std::string& dir) {
  LoadOptions o;
  o.working_directory = dir;
  o.environment = {{"HOME", "/home/me"}};
  return o;
}

std::string service_dump(const MergedTree& t, const std::string& name) {
  const Node* s = t.root.find("services") ? t.root.find("services")->find(name) : nullptr;
  return s ? dump(*s) : "<missing>";
}

}  // namespace

TEST_CASE("loader: normalize_project_name", "[loader]") {
  CHECK(normalize_project_name("My App!") == "myapp");
  CHECK(normalize_project_name("__-x_y-1") == "x_y-1");
  CHECK(normalize_project_name("demo") == "demo");
  CHECK(normalize_project_name("!!!") == "");
}

TEST_CASE("loader: project name precedence and validation", "[loader]") {
  StringMap env{{"COMPOSE_PROJECT_NAME", "fromenv"}};
  CHECK(*choose_project_name("flag", env, "file", "/x/dir") == "flag");
  CHECK(*choose_project_name("", env, "file", "/x/dir") == "fromenv");
  CHECK(*choose_project_name("", {}, "file", "/x/dir") == "file");
  CHECK(*choose_project_name("", {}, std::nullopt, "/x/My Dir") == "mydir");
  auto bad = choose_project_name("My App!", {}, std::nullopt, "/x");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message() ==
        "invalid project name \"My App!\": must consist only of lowercase alphanumeric characters, hyphens, and "
        "underscores as well as start with a letter or number");
  CHECK_FALSE(choose_project_name("", {{"COMPOSE_PROJECT_NAME", "Bad"}}, std::nullopt, "/x").has_value());
  CHECK_FALSE(choose_project_name("", {}, "-x", "/x").has_value());
  CHECK_FALSE(choose_project_name("", {}, std::nullopt, "/x/!!!").has_value());
}

TEST_CASE("loader: discovery walks up and applies the override file", "[loader]") {
  auto t = temp();
  write(t.path(), "proj/compose.yaml", "services: {web: {image: nginx}}\n");
  write(t.path(), "proj/compose.override.yaml", "services: {web: {ports: ['80:80']}}\n");
  write(t.path(), "proj/sub/deeper/keep", "");
  auto opts = options_in(t.path() + "/proj/sub/deeper");
  auto tree = load_merged_tree(opts);
  REQUIRE(tree.has_value());
  CHECK(tree->inputs.config_files ==
        std::vector<std::string>{t.path() + "/proj/compose.yaml", t.path() + "/proj/compose.override.yaml"});
  CHECK(tree->inputs.project_dir == t.path() + "/proj");
  CHECK(tree->project_name == "proj");
  CHECK(service_dump(*tree, "web") == "{image: nginx, ports: [80:80]}");
}

TEST_CASE("loader: several candidates in one directory warn, the first wins", "[loader]") {
  auto t = temp();
  write(t.path(), "compose.yml", "services: {a: {image: x}}\n");
  write(t.path(), "docker-compose.yml", "services: {b: {image: x}}\n");
  std::vector<Diagnostic> warnings;
  auto files = discover_compose_files(t.path(), &warnings);
  CHECK(files == std::vector<std::string>{t.path() + "/compose.yml"});
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].message.find("Found multiple config files") != std::string::npos);
}

TEST_CASE("loader: nothing to load names what was searched", "[loader]") {
  auto t = temp();
  auto opts = options_in(t.path());
  opts.project_directory = t.path();
  auto r = resolve_inputs(opts);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "no configuration file provided: not found");
  REQUIRE(r.error().details().size() == 1);
  CHECK(r.error().details()[0].find("compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml") !=
        std::string::npos);
}

TEST_CASE("loader: -f resolves against the working directory, stdin uses it as project dir", "[loader]") {
  auto t = temp();
  write(t.path(), "sub/a.yaml", "services: {web: {image: a, build: ./ctx}}\n");
  auto opts = options_in(t.path());
  opts.files = {"sub/a.yaml"};
  auto tree = load_merged_tree(opts);
  REQUIRE(tree.has_value());
  CHECK(tree->inputs.project_dir == t.path() + "/sub");
  CHECK(service_dump(*tree, "web") == "{image: a, build: " + t.path() + "/sub/ctx}");

  opts.files = {"-"};
  opts.stdin_text = "services: {db: {image: postgres, env_file: db.env}}\n";
  tree = load_merged_tree(opts);
  REQUIRE(tree.has_value());
  CHECK(tree->inputs.project_dir == t.path());
  CHECK(tree->inputs.config_files == std::vector<std::string>{"-"});
  CHECK(service_dump(*tree, "db") == "{image: postgres, env_file: " + t.path() + "/db.env}");
}

TEST_CASE("loader: missing -f file is an error naming it", "[loader]") {
  auto t = temp();
  auto opts = options_in(t.path());
  opts.files = {"nope.yaml"};
  auto r = load_merged_tree(opts);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message().find(t.path() + "/nope.yaml") != std::string::npos);
}

TEST_CASE("loader: .env fills what the shell leaves unset", "[loader]") {
  auto t = temp();
  write(t.path(), ".env", "TAG=fromdotenv\nONLY_DOTENV=yes\n");
  write(t.path(), "compose.yaml", "services: {web: {image: \"nginx:${TAG}\", labels: {x: \"${ONLY_DOTENV}\"}}}\n");
  auto opts = options_in(t.path());
  opts.environment["TAG"] = "fromshell";
  auto tree = load_merged_tree(opts);
  REQUIRE(tree.has_value());
  CHECK(service_dump(*tree, "web") == "{image: nginx:fromshell, labels: {x: yes}}");
  CHECK(tree->inputs.environment.at("ONLY_DOTENV") == "yes");

  opts.environment["COMPOSE_DISABLE_ENV_FILE"] = "true";
  tree = load_merged_tree(opts);
  REQUIRE(tree.has_value());
  CHECK(tree->inputs.environment.count("ONLY_DOTENV") == 0);
}

TEST_CASE("loader: --env-file list, later files win, a missing one is an error", "[loader]") {
  auto t = temp();
  write(t.path(), ".env", "A=default\n");
  write(t.path(), "one.env", "A=one\nB=one\n");
  write(t.path(), "two.env", "B=two\nC=${A}-two\n");
  write(t.path(), "compose.yaml", "services: {web: {image: x}}\n");
  auto opts = options_in(t.path());
  opts.env_files = {"one.env", "two.env"};
  auto in = resolve_inputs(opts);
  REQUIRE(in.has_value());
  CHECK(in->environment.at("A") == "one");
  CHECK(in->environment.at("B") == "two");
  CHECK(in->environment.at("C") == "one-two");

  opts.env_files = {"missing.env"};
  auto r = resolve_inputs(opts);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message().find("missing.env") != std::string::npos);
}

TEST_CASE("loader: COMPOSE_FILE, COMPOSE_PROJECT_NAME and COMPOSE_PROFILES may come from .env", "[loader]") {
  auto t = temp();
  write(t.path(), ".env",
        "COMPOSE_FILE=a.yaml;b.yaml\nCOMPOSE_PATH_SEPARATOR=;\nCOMPOSE_PROJECT_NAME=fromdotenv\n"
        "COMPOSE_PROFILES=dev, debug\n");
  write(t.path(), "a.yaml", "name: ignored\nservices: {web: {image: a}}\n");
  write(t.path(), "b.yaml", "services: {web: {image: b}}\n");
  auto tree = load_merged_tree(options_in(t.path()));
  REQUIRE(tree.has_value());
  CHECK(tree->inputs.config_files == std::vector<std::string>{t.path() + "/a.yaml", t.path() + "/b.yaml"});
  CHECK(tree->project_name == "fromdotenv");
  CHECK(tree->inputs.profiles == std::vector<std::string>{"dev", "debug"});
  CHECK(service_dump(*tree, "web") == "{image: b}");
}

TEST_CASE("loader: name: is interpolated and feeds ${COMPOSE_PROJECT_NAME}", "[loader]") {
  auto t = temp();
  write(t.path(), "compose.yaml",
        "name: \"app-${STAGE}\"\nservices: {web: {image: x, hostname: \"${COMPOSE_PROJECT_NAME}-web\"}}\n");
  auto opts = options_in(t.path());
  opts.environment["STAGE"] = "dev";
  auto tree = load_merged_tree(opts);
  REQUIRE(tree.has_value());
  CHECK(tree->project_name == "app-dev");
  CHECK(service_dump(*tree, "web") == "{image: x, hostname: app-dev-web}");

  opts.project_name = "Bad Name";
  CHECK_FALSE(load_merged_tree(opts).has_value());
}

TEST_CASE("loader: -f files merge in order, paths resolve against the project directory", "[loader]") {
  auto t = temp();
  write(t.path(), "base/compose.yaml",
        "services:\n"
        "  web:\n"
        "    build: {context: ., dockerfile: Dockerfile}\n"
        "    env_file: [web.env, {path: ../shared.env, required: false}]\n"
        "    volumes: ['./data:/data', '~/cache:/cache:ro', 'named:/named', {type: bind, source: ./conf, target: "
        "/conf}]\n"
        "secrets: {token: {file: ./token.txt}}\n"
        "configs: {app: {file: /etc/app.conf}}\n");
  write(t.path(), "over/extra.yaml",
        "services:\n"
        "  web:\n"
        "    build: {context: 'https://github.com/x/y.git'}\n"
        "    volumes: ['./other:/data']\n");
  auto opts = options_in(t.path());
  opts.files = {"base/compose.yaml", "over/extra.yaml"};
  auto tree = load_merged_tree(opts);
  REQUIRE(tree.has_value());
  const std::string b = t.path() + "/base";
  CHECK(service_dump(*tree, "web") ==
        "{build: {context: https://github.com/x/y.git, dockerfile: Dockerfile}, env_file: [" + b +
            "/web.env, {path: " + t.path() + "/shared.env, required: false}], volumes: [" + b +
            "/other:/data, /home/me/cache:/cache:ro, "
            "named:/named, {type: bind, source: " +
            b + "/conf, target: /conf}]}");
  CHECK(dump(*tree->root.find("secrets")) == "{token: {file: " + b + "/token.txt}}");
  CHECK(dump(*tree->root.find("configs")) == "{app: {file: /etc/app.conf}}");

  opts.resolve_paths = false;
  tree = load_merged_tree(opts);
  REQUIRE(tree.has_value());
  CHECK(dump(*tree->root.find("secrets")) == "{token: {file: ./token.txt}}");
}

TEST_CASE("loader: --project-directory moves discovery, .env and relative paths", "[loader]") {
  auto t = temp();
  write(t.path(), "p/compose.yaml", "services: {web: {image: \"${IMG}\", build: .}}\n");
  write(t.path(), "p/.env", "IMG=busybox\n");
  auto opts = options_in(t.path());
  opts.project_directory = "p";
  auto tree = load_merged_tree(opts);
  REQUIRE(tree.has_value());
  CHECK(tree->inputs.project_dir == t.path() + "/p");
  CHECK(service_dump(*tree, "web") == "{image: busybox, build: " + t.path() + "/p}");
}

TEST_CASE("loader: interpolation errors carry the file position", "[loader]") {
  auto t = temp();
  write(t.path(), "compose.yaml", "services:\n  web:\n    image: \"${NEED:?set NEED}\"\n");
  auto r = load_merged_tree(options_in(t.path()));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().full().find("compose.yaml:3") != std::string::npos);
}

TEST_CASE("loader: --no-interpolate leaves ${} alone", "[loader]") {
  auto t = temp();
  write(t.path(), "compose.yaml", "services: {web: {image: \"${IMG}\"}}\n");
  auto opts = options_in(t.path());
  opts.interpolate = false;
  auto tree = load_merged_tree(opts);
  REQUIRE(tree.has_value());
  CHECK(service_dump(*tree, "web") == "{image: ${IMG}}");
}

TEST_CASE("loader: an empty file is an error", "[loader]") {
  auto t = temp();
  write(t.path(), "compose.yaml", "# nothing\n");
  auto r = load_merged_tree(options_in(t.path()));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message().find("empty compose file") != std::string::npos);
}

TEST_CASE("loader: load_project fills the typed project", "[loader]") {
  auto t = temp();
  write(t.path(), "compose.yaml", "services:\n  web: {image: nginx}\n  debug: {image: busybox, profiles: [debug]}\n");
  auto opts = options_in(t.path());
  opts.project_name = "demo";
  auto loaded = load_project(opts);
  INFO((loaded ? std::string() : loaded.error().full()));
  REQUIRE(loaded.has_value());
  const Project& p = loaded->project;
  CHECK(p.name == "demo");
  CHECK(p.working_dir == t.path());
  CHECK(p.config_files == std::vector<std::string>{t.path() + "/compose.yaml"});
  CHECK(p.services.count("web") == 1);
  CHECK(p.services.count("debug") == 0);
  CHECK(p.disabled_services.count("debug") == 1);

  opts.profiles = {"debug"};
  loaded = load_project(opts);
  REQUIRE(loaded.has_value());
  CHECK(loaded->project.services.count("debug") == 1);
}
