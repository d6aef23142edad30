#include "compose/profiles.hpp"

#include <catch2/catch.hpp>

using namespace brick::compose;
using Names = std::vector<std::string>;

namespace {

Service svc(std::string name, Names profiles = {}, Names needs = {}) {
  Service s;
  s.name = name;
  s.profiles = std::move(profiles);
  for (auto& n : needs) s.depends_on[n] = ServiceDependency{};
  return s;
}

Project project(std::vector<Service> services) {
  Project p;
  for (auto& s : services) p.services.emplace(s.name, std::move(s));
  return p;
}

Names keys(const std::map<std::string, Service>& m) {
  Names out;
  for (const auto& [k, _] : m) out.push_back(k);
  return out;
}

// A stack shaped like docker's profiles documentation: always-on services,
// a `dev` pair and a `debug` tool.
Project stack() {
  return project({svc("web"), svc("backend"), svc("db", {"dev"}), svc("mock", {"dev"}, {"db"}),
                  svc("phpmyadmin", {"debug"}), svc("trace", {"debug", "dev"})});
}

ServiceDependency optional(std::string condition) {
  ServiceDependency d;
  d.condition = std::move(condition);
  d.required = false;
  return d;
}

}  // namespace

TEST_CASE("profiles choose the active services", "[profiles]") {
  struct Case {
    const char* what;
    Names profiles;
    Names named;
    Names active;
    Names disabled;
  };
  const std::vector<Case> cases = {
      {"no profile: services without profiles", {}, {}, {"backend", "web"}, {"db", "mock", "phpmyadmin", "trace"}},
      {"one profile", {"dev"}, {}, {"backend", "db", "mock", "trace", "web"}, {"phpmyadmin"}},
      {"a service in any enabled profile", {"debug"}, {}, {"backend", "phpmyadmin", "trace", "web"}, {"db", "mock"}},
      {"two profiles", {"debug", "dev"}, {}, {"backend", "db", "mock", "phpmyadmin", "trace", "web"}, {}},
      {"* enables all", {"*"}, {}, {"backend", "db", "mock", "phpmyadmin", "trace", "web"}, {}},
      {"an unknown profile enables nothing", {"nope"}, {}, {"backend", "web"}, {"db", "mock", "phpmyadmin", "trace"}},
      {"naming a service enables its profiles",
       {},
       {"phpmyadmin"},
       {"backend", "phpmyadmin", "trace", "web"},
       {"db", "mock"}},
      {"naming an active service changes nothing",
       {},
       {"web"},
       {"backend", "web"},
       {"db", "mock", "phpmyadmin", "trace"}},
      {"naming adds to enabled profiles",
       {"debug"},
       {"db"},
       {"backend", "db", "mock", "phpmyadmin", "trace", "web"},
       {}},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      Project p = stack();
      auto status = apply_profiles(p, c.profiles, c.named);
      REQUIRE(status);
      CHECK(keys(p.services) == c.active);
      CHECK(keys(p.disabled_services) == c.disabled);
    }
  }
}

TEST_CASE("applying profiles again starts from every service", "[profiles]") {
  Project p = stack();
  REQUIRE(apply_profiles(p, {"dev"}, {}));
  REQUIRE(apply_profiles(p, {"debug"}, {}));
  CHECK(keys(p.services) == Names{"backend", "phpmyadmin", "trace", "web"});
  CHECK(keys(p.disabled_services) == Names{"db", "mock"});
}

TEST_CASE("an active service that requires a disabled one is an error naming both", "[profiles]") {
  struct Case {
    const char* what;
    std::vector<Service> services;
    Names profiles;
    Names named;
    std::string message;
  };
  Service web_network = svc("web");
  web_network.network_mode = "service:vpn";
  Service web_volumes = svc("web");
  web_volumes.volumes_from = {"data:ro"};
  const std::vector<Case> cases = {
      {"depends_on",
       {svc("web", {}, {"db"}), svc("db", {"dev"})},
       {},
       {},
       "service `web` depends on service `db`, which is disabled: enable its profile with `--profile dev`"},
      {"several profiles would do",
       {svc("web", {}, {"db"}), svc("db", {"dev", "full", "test"})},
       {},
       {},
       "service `web` depends on service `db`, which is disabled: enable one of its profiles with "
       "`--profile dev`, `--profile full` or `--profile test`"},
      {"a service named on the command line does not enable what it needs",
       {svc("phpmyadmin", {"debug"}, {"db"}), svc("db", {"dev"})},
       {},
       {"phpmyadmin"},
       "service `phpmyadmin` depends on service `db`, which is disabled: enable its profile with `--profile dev`"},
      {"network_mode service:",
       {web_network, svc("vpn", {"vpn"})},
       {},
       {},
       "service `web` uses the network of service `vpn`, which is disabled: enable its profile with `--profile vpn`"},
      {"volumes_from",
       {web_volumes, svc("data", {"seed"})},
       {},
       {},
       "service `web` mounts volumes from service `data`, which is disabled: enable its profile with "
       "`--profile seed`"},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      Project p = project(c.services);
      auto status = apply_profiles(p, c.profiles, c.named);
      REQUIRE_FALSE(status);
      CHECK(status.error().message() == c.message);
    }
  }
}

TEST_CASE("the error points at the depends_on entry", "[profiles]") {
  Project p = project({svc("web", {}, {"db"}), svc("db", {"dev"})});
  p.services.at("web").depends_on.at("db").mark = Mark{std::make_shared<const std::string>("compose.yaml"), 5, 9};
  auto status = apply_profiles(p, {}, {});
  REQUIRE_FALSE(status);
  CHECK(status.error().message() ==
        "compose.yaml:5:9: service `web` depends on service `db`, which is disabled: enable its profile with "
        "`--profile dev`");
}

TEST_CASE("an optional dependency on a disabled service is dropped", "[profiles]") {
  Project p = project({svc("web", {}, {"db"}), svc("db"), svc("cache", {"perf"})});
  p.services.at("web").depends_on["cache"] = optional("service_healthy");
  REQUIRE(apply_profiles(p, {}, {}));
  CHECK(keys(p.services) == Names{"db", "web"});
  const auto& deps = p.services.at("web").depends_on;
  REQUIRE(deps.size() == 1);
  CHECK(deps.contains("db"));

  SECTION("and kept when its profile is on") {
    Project q = project({svc("web"), svc("cache", {"perf"})});
    q.services.at("web").depends_on["cache"] = optional("service_healthy");
    REQUIRE(apply_profiles(q, {"perf"}, {}));
    CHECK(q.services.at("web").depends_on.contains("cache"));
  }
}

TEST_CASE("a dependency on a service that does not exist is left to the graph", "[profiles]") {
  Project p = project({svc("web", {}, {"ghost"})});
  REQUIRE(apply_profiles(p, {}, {}));
  CHECK(p.services.at("web").depends_on.contains("ghost"));
}

TEST_CASE("naming a service that does not exist is an error", "[profiles]") {
  Project p = stack();
  auto status = apply_profiles(p, {}, {"web", "nope"});
  REQUIRE_FALSE(status);
  CHECK(status.error().message() == "no such service: nope");
  CHECK(p.services.size() + p.disabled_services.size() == 6);
}
