#include "orchestrator/plan.hpp"

#include <catch2/catch.hpp>

#include "orchestrator/translate.hpp"
#include "project_util.hpp"

using namespace brick;
using namespace brick::orchestrator;
using brick::orchestrator::testing::load;

namespace {

// db (healthchecked) <- web (restart: true on db) ; cache <- web ; worker alone.
const char* kStack = R"(services:
  db:
    image: busybox
    command: [sleep, "1000"]
    volumes: [data:/data]
    healthcheck:
      test: [CMD, "true"]
  cache:
    image: busybox
    command: [sleep, "1000"]
  web:
    image: busybox
    command: [httpd, -f]
    environment:
      MODE: ${MODE:-prod}
    depends_on:
      db: {condition: service_healthy, restart: true}
      cache: {condition: service_started}
    networks: [front, default]
  worker:
    image: busybox
    command: [sleep, "1000"]
    depends_on:
      web: {condition: service_started}
volumes:
  data:
networks:
  front:
)";

// A running container as an earlier `up` of `project` would have left it.
ObservedContainer running(const compose::Project& project, const std::string& service, uint64_t number,
                          ObservedStatus state = ObservedStatus::running) {
  const compose::Service& s = *project.service(service);
  ObservedContainer c;
  c.name = container_name(project.name, s, number);
  c.id = "id-" + c.name;
  c.state = state;
  c.labels = {{std::string(kProjectLabel), project.name},
              {std::string(kServiceLabel), service},
              {std::string(kNumberLabel), std::to_string(number)},
              {std::string(kOneoffLabel), "False"},
              {std::string(kConfigHashLabel), config_hash(s)}};
  return c;
}

// Everything the stack needs, up and running.
Observed whole_stack(const compose::Project& p) {
  Observed o;
  for (const auto& name : p.service_names()) o.containers.push_back(running(p, name, 1));
  o.networks = {{"demo_default", {{std::string(kProjectLabel), "demo"}}},
                {"demo_front", {{std::string(kProjectLabel), "demo"}}}};
  o.volumes = {{"demo_data", {{std::string(kProjectLabel), "demo"}}}};
  return o;
}

std::string plan_text(const compose::Project& p, const Observed& o, const PlanOptions& options = {}) {
  auto plan = reconcile(p, o, options);
  if (!plan) FAIL(plan.error().full());
  return to_string(*plan);
}

}  // namespace

TEST_CASE("plan: a fresh stack is created and started level by level") {
  auto p = load(kStack);
  CHECK(plan_text(p, {}) == R"(Network demo_default  Create
Network demo_front  Create
Volume "demo_data"  Create
Container demo-cache-1  Create
Container demo-db-1  Create
Container demo-cache-1  Start
Container demo-db-1  Start
Container demo-web-1  Create
Container demo-web-1  Start
Container demo-worker-1  Create
Container demo-worker-1  Start
)");
  PlanOptions create_only;
  create_only.start = false;
  CHECK(plan_text(p, {}, create_only) == R"(Network demo_default  Create
Network demo_front  Create
Volume "demo_data"  Create
Container demo-cache-1  Create
Container demo-db-1  Create
Container demo-web-1  Create
Container demo-worker-1  Create
)");
}

TEST_CASE("plan: an unchanged running stack has no steps") {
  auto p = load(kStack);
  auto plan = reconcile(p, whole_stack(p), {});
  REQUIRE(plan);
  CHECK(plan->empty());
  CHECK(plan->warnings.empty());
}

TEST_CASE("plan: a network or volume of the same name made by someone else is used, with a warning") {
  auto p = load(kStack);
  Observed o = whole_stack(p);
  o.networks[1].labels.clear();
  o.volumes[0].labels = {{std::string(kProjectLabel), "other"}};
  auto plan = reconcile(p, o, {});
  REQUIRE(plan);
  CHECK(plan->empty());
  CHECK(plan->warnings ==
        std::vector<std::string>{"a network with name demo_front exists but was not created for project \"demo\". Set "
                                 "`external: true` to use an existing network",
                                 "volume \"demo_data\" already exists but was not created for project \"demo\". Use "
                                 "`external: true` to use an existing volume"});
}

TEST_CASE("plan: stopped containers of an unchanged stack are only started") {
  auto p = load(kStack);
  Observed o = whole_stack(p);
  o.containers[0].state = ObservedStatus::exited;   // cache
  o.containers[3].state = ObservedStatus::created;  // worker
  CHECK(plan_text(p, o) == "Container demo-cache-1  Start\nContainer demo-worker-1  Start\n");
}

TEST_CASE("plan: a changed service is recreated, with its restart: true dependents") {
  auto old = load(kStack);
  Observed o = whole_stack(old);
  // db's command changes: web depends on it with restart: true, worker does not.
  std::string changed = kStack;
  changed.replace(changed.find("[sleep, \"1000\"]\n    volumes"), 15, "[sleep, \"2000\"]");
  auto p = load(changed);
  CHECK(plan_text(p, o) == R"(Container demo-db-1  Recreate  (config hash changed)
Container demo-db-1  Start
Container demo-web-1  Recreate  (dependency `db` recreated (restart: true))
Container demo-web-1  Start
)");
  // A change to web alone touches only web.
  std::string env_changed = kStack;
  env_changed.replace(env_changed.find("${MODE:-prod}"), 13, "debug");
  CHECK(plan_text(load(env_changed), o) ==
        "Container demo-web-1  Recreate  (config hash changed)\nContainer demo-web-1  Start\n");
}

TEST_CASE("plan: --force-recreate, --no-recreate and a changed image") {
  auto p = load(kStack);
  Observed o = whole_stack(p);
  PlanOptions force;
  force.force_recreate = true;
  force.services = {"web"};
  force.start = false;
  // Named services are forced; their dependencies only if they diverged.
  CHECK(plan_text(p, o, force) == "Container demo-web-1  Recreate  (forced)\n");

  std::string changed = kStack;
  changed.replace(changed.find("${MODE:-prod}"), 13, "debug");
  PlanOptions keep;
  keep.no_recreate = true;
  CHECK(plan_text(load(changed), o, keep).empty());

  PlanOptions image;
  image.image_ids = {{"cache", "sha256:new"}};
  image.start = false;
  o.containers[0].labels[std::string(kImageLabel)] = "sha256:old";
  CHECK(plan_text(p, o, image) == "Container demo-cache-1  Recreate  (image changed)\n");
}

TEST_CASE("plan: scaling down removes the highest numbers first, scaling up adds the next") {
  auto p = load(kStack);
  Observed o = whole_stack(p);
  o.containers.push_back(running(p, "worker", 2));
  o.containers.push_back(running(p, "worker", 3));
  PlanOptions down;
  down.scale = {{"worker", 1}};
  CHECK(plan_text(p, o, down) == R"(Container demo-worker-3  Remove  (scale 3 -> 1)
Container demo-worker-2  Remove  (scale 3 -> 1)
)");
  PlanOptions up;
  up.scale = {{"worker", 5}};
  CHECK(plan_text(p, o, up) == R"(Container demo-worker-4  Create
Container demo-worker-5  Create
Container demo-worker-4  Start
Container demo-worker-5  Start
)");
}

TEST_CASE("plan: orphans are reported, and removed with --remove-orphans") {
  auto p = load(kStack);
  Observed o = whole_stack(p);
  ObservedContainer old = running(p, "worker", 1);
  old.name = "demo-legacy-1";
  old.labels[std::string(kServiceLabel)] = "legacy";
  o.containers.push_back(old);
  ObservedContainer run = running(p, "web", 1, ObservedStatus::exited);
  run.name = "demo-web-run-1a2b";
  run.labels[std::string(kOneoffLabel)] = "True";
  o.containers.push_back(run);
  ObservedContainer other = running(p, "web", 1);
  other.name = "other-web-1";
  other.labels[std::string(kProjectLabel)] = "other";
  o.containers.push_back(other);

  auto plan = reconcile(p, o, {});
  REQUIRE(plan);
  CHECK(plan->empty());
  CHECK(plan->orphans == std::vector<std::string>{"demo-legacy-1", "demo-web-run-1a2b"});
  REQUIRE(plan->warnings.size() == 1);
  CHECK(plan->warnings[0] ==
        "Found orphan containers ([demo-legacy-1 demo-web-run-1a2b]) for this project. If you removed or renamed this "
        "service in your compose file, you can run this command with the --remove-orphans flag to clean it up.");

  PlanOptions remove;
  remove.remove_orphans = true;
  CHECK(plan_text(p, o, remove) == R"(Container demo-legacy-1  Remove  (orphan)
Container demo-web-run-1a2b  Remove  (orphan)
)");
}

TEST_CASE("plan: a service disabled by a profile is no orphan") {
  std::string stack = std::string(kStack) + "";
  stack.replace(stack.find("  worker:\n"), 10, "  worker:\n    profiles: [jobs]\n");
  auto p = load(stack);
  REQUIRE(p.disabled_services.contains("worker"));
  Observed o;
  o.containers.push_back(running(load(kStack), "worker", 1));
  auto plan = reconcile(p, o, {});
  REQUIRE(plan);
  CHECK(plan->orphans.empty());
}

TEST_CASE("plan: SERVICE selects its dependencies, --no-deps only itself") {
  auto p = load(kStack);
  PlanOptions web;
  web.services = {"web"};
  web.start = false;
  CHECK(plan_text(p, {}, web) == R"(Network demo_default  Create
Network demo_front  Create
Volume "demo_data"  Create
Container demo-cache-1  Create
Container demo-db-1  Create
Container demo-web-1  Create
)");
  web.no_deps = true;
  CHECK(plan_text(p, {}, web) == R"(Network demo_default  Create
Network demo_front  Create
Container demo-web-1  Create
)");
}

TEST_CASE("plan: errors name what is wrong") {
  auto p = load(kStack);
  PlanOptions unknown;
  unknown.services = {"nosuch"};
  CHECK(reconcile(p, {}, unknown).error().message() == "no such service: nosuch");

  auto ext =
      load("services:\n  s:\n    image: busybox\n    networks: [shared]\nnetworks:\n  shared:\n    external: true\n");
  CHECK(reconcile(ext, {}, {}).error().message() == "network shared declared as external, but could not be found");
  Observed has_shared;
  has_shared.networks = {{"shared", {}}};
  CHECK(plan_text(ext, has_shared) == "Container demo-s-1  Create\nContainer demo-s-1  Start\n");

  auto named = load("services:\n  s:\n    image: busybox\n    container_name: solo\n");
  PlanOptions two;
  two.scale = {{"s", 2}};
  CHECK(
      reconcile(named, {}, two).error().message() ==
      "service `s`: container_name `solo` cannot be used with more than one replica: a container name must be unique");
}

TEST_CASE("plan: deploy.replicas sets the count and network_mode needs no network") {
  auto p = load(R"(services:
  s:
    image: busybox
    network_mode: host
    deploy:
      replicas: 2
)");
  CHECK(plan_text(p, {}) == R"(Container demo-s-1  Create
Container demo-s-2  Create
Container demo-s-1  Start
Container demo-s-2  Start
)");
}
