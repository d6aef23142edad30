#include "compose/graph.hpp"

#include <catch2/catch.hpp>

using namespace brick::compose;
using Levels = std::vector<std::vector<std::string>>;
using Names = std::vector<std::string>;

namespace {

DependencyEdge dep(std::string from, std::string to, bool required = true, std::string kind = "depends_on") {
  return {std::move(from), std::move(to), std::move(kind), required, {}};
}

Service service(std::string name) {
  Service s;
  s.name = name;
  return s;
}

ServiceDependency optional(std::string condition) {
  ServiceDependency d;
  d.condition = std::move(condition);
  d.required = false;
  return d;
}

}  // namespace

TEST_CASE("start levels come from Kahn layering, sorted within a level", "[graph]") {
  struct Case {
    const char* what;
    Names services;
    std::vector<DependencyEdge> edges;
    Levels levels;
  };
  const std::vector<Case> cases = {
      {"independent services share level 0", {"c", "a", "b"}, {}, {{"a", "b", "c"}}},
      {"chain", {"web", "api", "db"}, {dep("web", "api"), dep("api", "db")}, {{"db"}, {"api"}, {"web"}}},
      {"diamond",
       {"top", "left", "right", "bottom"},
       {dep("top", "left"), dep("top", "right"), dep("left", "bottom"), dep("right", "bottom")},
       {{"bottom"}, {"left", "right"}, {"top"}}},
      {"a service waits for its deepest dependency",
       {"a", "b", "c", "d"},
       {dep("a", "b"), dep("b", "c"), dep("a", "d")},
       {{"c", "d"}, {"b"}, {"a"}}},
      {"duplicate edges of different kinds count once",
       {"web", "db"},
       {dep("web", "db"), dep("web", "db", true, "links"), dep("web", "db", true, "network_mode")},
       {{"db"}, {"web"}}},
      {"optional dependency on a missing service is dropped", {"web"}, {dep("web", "cache", false)}, {{"web"}}},
      {"edges from services outside the graph are ignored", {"db"}, {dep("gone", "db")}, {{"db"}}},
      {"no services", {}, {}, {}},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      auto graph = ServiceGraph::build(c.services, c.edges);
      REQUIRE(graph);
      CHECK(graph->start_levels() == c.levels);
      CHECK(graph->stop_levels() == Levels(c.levels.rbegin(), c.levels.rend()));
    }
  }
}

TEST_CASE("graph build errors name the services", "[graph]") {
  struct Case {
    const char* what;
    Names services;
    std::vector<DependencyEdge> edges;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"undefined required dependency", {"a"}, {dep("a", "b")}, "service `a` depends on undefined service `b`"},
      {"undefined network_mode service",
       {"a"},
       {dep("a", "vpn", true, "network_mode")},
       "service `a` uses the network of undefined service `vpn`"},
      {"undefined volumes_from service",
       {"a"},
       {dep("a", "data", true, "volumes_from")},
       "service `a` mounts volumes from undefined service `data`"},
      {"optional but not depends_on is still required",
       {"a"},
       {dep("a", "b", false, "links")},
       "service `a` links to undefined service `b`"},
      {"self dependency", {"a"}, {dep("a", "a")}, "depends_on cycle: a -> a"},
      {"two-cycle", {"x", "y"}, {dep("y", "x"), dep("x", "y")}, "depends_on cycle: x -> y -> x"},
      {"three-cycle starts at the smallest member",
       {"a", "b", "c"},
       {dep("c", "a"), dep("a", "b"), dep("b", "c")},
       "depends_on cycle: a -> b -> c -> a"},
      {"three-cycle entered from a larger name",
       {"b", "c", "d"},
       {dep("d", "b"), dep("b", "c"), dep("c", "d")},
       "depends_on cycle: b -> c -> d -> b"},
      {"the cycle, not the services hanging off it",
       {"a", "m", "n", "z"},
       {dep("a", "m"), dep("m", "n"), dep("n", "m"), dep("z", "a")},
       "depends_on cycle: m -> n -> m"},
      {"shortest way back around the smallest member",
       {"a", "b", "c", "d"},
       {dep("a", "b"), dep("b", "c"), dep("c", "a"), dep("b", "a"), dep("c", "d")},
       "depends_on cycle: a -> b -> a"},
      {"smallest member over two separate cycles",
       {"p", "q", "e", "f"},
       {dep("p", "q"), dep("q", "p"), dep("f", "e"), dep("e", "f")},
       "depends_on cycle: e -> f -> e"},
      {"cycle through another kind says which",
       {"a", "b"},
       {dep("a", "b"), dep("b", "a", true, "network_mode")},
       "dependency cycle: a -> b -> a (b -> a via network_mode)"},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      auto graph = ServiceGraph::build(c.services, c.edges);
      REQUIRE_FALSE(graph);
      CHECK(graph.error().message() == c.message);
    }
  }
}

TEST_CASE("an undefined dependency error starts with where it was written", "[graph]") {
  DependencyEdge e = dep("web", "db");
  e.mark = Mark{std::make_shared<const std::string>("compose.yaml"), 7, 9};
  auto graph = ServiceGraph::build({"web"}, {e});
  REQUIRE_FALSE(graph);
  CHECK(graph.error().message() == "compose.yaml:7:9: service `web` depends on undefined service `db`");
  CHECK(graph.error().innermost() == "service `web` depends on undefined service `db`");
}

TEST_CASE("a cycle deep in a long chain does not overflow the stack", "[graph]") {
  Names services;
  std::vector<DependencyEdge> edges;
  const int n = 50'000;
  for (int i = 0; i < n; ++i) services.push_back("s" + std::to_string(i));
  for (int i = 0; i + 1 < n; ++i) edges.push_back(dep(services[i], services[i + 1]));
  edges.push_back(dep(services[n - 1], services[0]));
  auto graph = ServiceGraph::build(services, edges);
  REQUIRE_FALSE(graph);
  CHECK(graph.error().message().starts_with("depends_on cycle: s0 -> s1 -> s2 -> s3 -> "));
}

TEST_CASE("dependencies and dependents are direct and sorted", "[graph]") {
  auto graph = ServiceGraph::build({"web", "api", "db", "cache"},
                                   {dep("web", "api"), dep("api", "db"), dep("api", "cache"), dep("web", "cache")});
  REQUIRE(graph);
  CHECK(graph->services() == Names{"api", "cache", "db", "web"});
  CHECK(graph->dependencies("api") == Names{"cache", "db"});
  CHECK(graph->dependencies("web") == Names{"api", "cache"});
  CHECK(graph->dependencies("db").empty());
  CHECK(graph->dependents("cache") == Names{"api", "web"});
  CHECK(graph->dependents("web").empty());
}

TEST_CASE("subgraph keeps the selection and, unless no_deps, what it needs", "[graph]") {
  auto graph = ServiceGraph::build(
      {"web", "api", "db", "cache", "worker", "admin"},
      {dep("web", "api"), dep("api", "db"), dep("api", "cache"), dep("worker", "db"), dep("admin", "web")});
  REQUIRE(graph);
  struct Case {
    const char* what;
    Names selected;
    bool no_deps;
    Levels levels;
  };
  const std::vector<Case> cases = {
      {"transitive dependencies", {"web"}, false, {{"cache", "db"}, {"api"}, {"web"}}},
      {"no dependents are pulled in", {"db"}, false, {{"db"}}},
      {"two selections share dependencies", {"worker", "api"}, false, {{"cache", "db"}, {"api", "worker"}}},
      {"no_deps keeps only the selection", {"web"}, true, {{"web"}}},
      {"no_deps still orders selected services", {"web", "db", "api"}, true, {{"db"}, {"api"}, {"web"}}},
      {"repeated names count once", {"db", "db"}, true, {{"db"}}},
      {"empty selection", {}, false, {}},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      auto sub = graph->subgraph(c.selected, c.no_deps);
      REQUIRE(sub);
      CHECK(sub->start_levels() == c.levels);
    }
  }
  SECTION("an unknown service is an error") {
    auto sub = graph->subgraph({"web", "x"}, false);
    REQUIRE_FALSE(sub);
    CHECK(sub.error().message() == "no such service: x");
  }
}

TEST_CASE("dependency_edges reads every way one service can need another", "[graph]") {
  Project p;
  Service web = service("web");
  web.depends_on["db"] = ServiceDependency{};
  web.depends_on["cache"] = optional("service_healthy");
  web.network_mode = "service:vpn";
  web.volumes_from = {"data", "logs:ro", "service:old:rw", "container:external", "container:ext2:ro"};
  web.links = {"api", "auth:login"};
  web.ipc = "service:shm";
  web.pid = "service:init";
  Service other = service("other");
  other.network_mode = "host";
  other.ipc = "shareable";
  other.pid = "host";
  other.volumes_from = {"container:x"};
  p.services.emplace("web", web);
  p.services.emplace("other", other);

  struct Row {
    std::string from, to, kind;
    bool required;
  };
  std::vector<Row> rows;
  for (const auto& e : dependency_edges(p)) rows.push_back({e.from, e.to, e.kind, e.required});
  const std::vector<Row> want = {
      {"web", "cache", "depends_on", false}, {"web", "db", "depends_on", true},
      {"web", "vpn", "network_mode", true},  {"web", "data", "volumes_from", true},
      {"web", "logs", "volumes_from", true}, {"web", "old", "volumes_from", true},
      {"web", "api", "links", true},         {"web", "auth", "links", true},
      {"web", "shm", "ipc", true},           {"web", "init", "pid", true},
  };
  REQUIRE(rows.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("edge " << i);
    CHECK(rows[i].from == want[i].from);
    CHECK(rows[i].to == want[i].to);
    CHECK(rows[i].kind == want[i].kind);
    CHECK(rows[i].required == want[i].required);
  }
}

TEST_CASE("building from a project uses its active services only", "[graph]") {
  Project p;
  Service web = service("web");
  web.depends_on["db"] = ServiceDependency{};
  web.depends_on["debug"] = optional("service_started");
  p.services.emplace("web", web);
  p.services.emplace("db", service("db"));
  p.disabled_services.emplace("debug", service("debug"));
  auto graph = ServiceGraph::build(p);
  REQUIRE(graph);
  CHECK(graph->start_levels() == Levels{{"db"}, {"web"}});
}
