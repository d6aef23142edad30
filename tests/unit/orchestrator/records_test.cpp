#include "orchestrator/records.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "orchestrator/lifecycle.hpp"
#include "project_util.hpp"

using namespace brick;
using namespace brick::orchestrator;
using brick::orchestrator::testing::load;

namespace {

runtime::ContainerState record(runtime::ContainerStatus status, int exit_code = 0) {
  runtime::ContainerState c;
  c.id = "abc";
  c.name = "demo-db-1";
  c.status = status;
  c.exit_code = exit_code;
  return c;
}

const char* kStack = R"(services:
  init:
    image: busybox
    command: [sh, -c, "echo hi > /data/x"]
    volumes: [data:/data]
  db:
    image: busybox
    command: [sleep, "1000"]
    depends_on:
      init: {condition: service_completed_successfully}
  web:
    image: busybox
    command: [httpd, -f]
    hostname: www
    ports: ["8080:80"]
    networks:
      front: {aliases: [site]}
    depends_on:
      db: {condition: service_started}
  sidecar:
    image: busybox
    command: [sleep, "1000"]
    network_mode: service:web
networks:
  front:
    internal: true
    driver_opts: {com.docker.network.bridge.name: br-front}
    labels: {team: ml}
    ipam:
      config:
        - subnet: 10.89.0.0/24
          gateway: 10.89.0.1
volumes:
  data:
)";

}  // namespace

TEST_CASE("observed_state maps every runtime status") {
  using S = runtime::ContainerStatus;
  CHECK(observed_state(record(S::created)) == ObservedStatus::created);
  CHECK(observed_state(record(S::running)) == ObservedStatus::running);
  CHECK(observed_state(record(S::paused)) == ObservedStatus::paused);
  CHECK(observed_state(record(S::restarting)) == ObservedStatus::restarting);
  CHECK(observed_state(record(S::exited)) == ObservedStatus::exited);
  runtime::ContainerState c = record(S::running);
  c.labels = {{"com.docker.compose.project", "demo"}};
  ObservedContainer o = observed_container(c);
  CHECK(o.id == "abc");
  CHECK(o.name == "demo-db-1");
  CHECK(o.labels.at("com.docker.compose.project") == "demo");
}

TEST_CASE("an observed unchanged stack plans nothing, a changed one recreates only that service") {
  compose::Project project = load(kStack);
  Observed observed;
  observed.networks = {{"demo_front", {{"com.docker.compose.project", "demo"}}},
                       {"demo_default", {{"com.docker.compose.project", "demo"}}}};
  observed.volumes = {{"demo_data", {{"com.docker.compose.project", "demo"}}}};
  for (const auto& [name, s] : project.services) {
    runtime::ContainerState c = record(runtime::ContainerStatus::running);
    c.id = name + "-id";
    c.name = container_name("demo", s, 1);
    c.labels = {{std::string(kProjectLabel), "demo"},
                {std::string(kServiceLabel), name},
                {std::string(kNumberLabel), "1"},
                {std::string(kOneoffLabel), "False"},
                {std::string(kConfigHashLabel), config_hash(s)}};
    observed.containers.push_back(observed_container(c));
  }
  Plan plan = reconcile(project, observed, {}).value();
  CHECK(plan.empty());

  project.services.at("db").environment["X"] = "1";
  plan = reconcile(project, observed, {}).value();
  REQUIRE(plan.steps.size() == 2);
  CHECK(plan.steps[0].action == Action::recreate_container);
  CHECK(plan.steps[0].name == "demo-db-1");
  CHECK(plan.steps[1].action == Action::start_container);
}

TEST_CASE("depends_on conditions read the dependency's record") {
  using S = runtime::ContainerStatus;
  SECTION("service_completed_successfully") {
    CHECK(check_condition("service_completed_successfully", record(S::running)).readiness == Readiness::waiting);
    CHECK(check_condition("service_completed_successfully", record(S::exited, 0)).readiness == Readiness::ready);
    ConditionCheck bad = check_condition("service_completed_successfully", record(S::exited, 3));
    CHECK(bad.readiness == Readiness::failed);
    CHECK(bad.reason == "didn't complete successfully: exited with code 3");
  }
  SECTION("service_healthy") {
    runtime::ContainerState c = record(S::running);
    CHECK(check_condition("service_healthy", c).readiness == Readiness::failed);  // no healthcheck
    c.healthcheck = runtime::HealthcheckConfig{};
    c.healthcheck->test = {"CMD", "true"};
    CHECK(check_condition("service_healthy", c).readiness == Readiness::waiting);
    c.health = runtime::Health{};
    c.health->status = "starting";
    CHECK(check_condition("service_healthy", c).readiness == Readiness::waiting);
    c.health->status = "healthy";
    CHECK(check_condition("service_healthy", c).readiness == Readiness::ready);
    c.health->status = "unhealthy";
    CHECK(check_condition("service_healthy", c).readiness == Readiness::failed);
    c.health->status = "starting";
    c.status = S::exited;
    CHECK(check_condition("service_healthy", c).readiness == Readiness::failed);
  }
  SECTION("service_started") {
    CHECK(check_condition("service_started", record(S::created)).readiness == Readiness::waiting);
    CHECK(check_condition("service_started", record(S::running)).readiness == Readiness::ready);
    CHECK(check_condition("service_started", record(S::exited, 1)).readiness == Readiness::ready);
  }
}

TEST_CASE("network_spec takes the compose network's ipam, options and labels") {
  compose::Project project = load(kStack);
  net::NetworkSpec spec = network_spec(project, project.networks.at("front")).value();
  CHECK(spec.name == "demo_front");
  CHECK(spec.subnet == "10.89.0.0/24");
  CHECK(spec.gateway == "10.89.0.1");
  CHECK(spec.internal);
  CHECK(spec.options.at("com.docker.network.bridge.name") == "br-front");
  CHECK(spec.labels.at("team") == "ml");
  CHECK(spec.labels.at("com.docker.compose.project") == "demo");
  CHECK(spec.labels.at("com.docker.compose.network") == "front");

  compose::Network other = project.networks.at("front");
  other.driver = "macvlan";
  CHECK_FALSE(network_spec(project, other));
}

TEST_CASE("create_options fill the network and mounts records") {
  compose::Project project = load(kStack);
  images::ImageConfig image;
  auto desired = [&](const std::string& service) {
    TranslateInput in;
    in.project = &project;
    in.service = project.service(service);
    in.image = &image;
    in.image_id = "sha256:1";
    return translate(in).value();
  };
  runtime::CreateOptions web = create_options(project, desired("web"));
  net::ContainerNetworkConfig n = net::container_network_from_json(web.extensions.at("network")).value();
  CHECK(n.mode == "bridge");
  REQUIRE(n.networks.size() == 1);
  CHECK(n.networks[0].network == "demo_front");
  CHECK(n.networks[0].aliases == std::vector<std::string>{"web", "site"});
  CHECK(n.hostname == "www");
  REQUIRE(n.ports.size() == 1);
  CHECK(n.ports[0].host_port == 8080);
  CHECK_FALSE(web.extensions.contains("mounts"));
  CHECK(web.labels.at("com.docker.compose.service") == "web");

  runtime::CreateOptions sidecar = create_options(project, desired("sidecar"));
  CHECK(net::container_network_from_json(sidecar.extensions.at("network")).value().mode == "container:demo-web-1");

  runtime::CreateOptions init = create_options(project, desired("init"));
  volumes::ContainerMounts m = volumes::container_mounts_from_json(init.extensions.at("mounts")).value();
  REQUIRE(m.mounts.size() == 1);
  CHECK(m.mounts[0].source == "demo_data");
  CHECK(m.base_dir == "/srv/demo");
  CHECK(m.declared.at("demo_data").labels.at("com.docker.compose.volume") == "data");
  CHECK(m.labels.at("com.docker.compose.project") == "demo");
  CHECK(init.volumes == std::vector<std::string>{"demo_data"});

  // tty/stdin_open reach the record, not only the spec: the monitor makes
  // the terminal the spec's process takes as its controlling one.
  compose::Service shell = *project.service("web");
  shell.tty = true;
  shell.stdin_open = true;
  TranslateInput in;
  in.project = &project;
  in.service = &shell;
  in.image = &image;
  in.image_id = "sha256:1";
  runtime::CreateOptions t = create_options(project, translate(in).value());
  CHECK(t.spec.process.terminal);
  CHECK(t.tty);
  CHECK(t.open_stdin);
  CHECK_FALSE(web.tty);
}

TEST_CASE("stop_order: orphans first, then dependents before what they need") {
  compose::Project project = load(kStack);
  auto c = [](const std::string& service) {
    runtime::ContainerState s;
    s.id = service + "-id";
    s.name = "demo-" + service + "-1";
    s.labels = {{std::string(kServiceLabel), service}};
    return s;
  };
  auto groups = stop_order(project, {c("init"), c("db"), c("gone"), c("web"), c("sidecar")});
  std::vector<std::vector<std::string>> names;
  for (const auto& g : groups) {
    names.emplace_back();
    for (const auto& s : g) names.back().push_back(s.labels.at(std::string(kServiceLabel)));
  }
  CHECK(names == std::vector<std::vector<std::string>>{{"gone"}, {"sidecar"}, {"web"}, {"db"}, {"init"}});
  auto starts = start_order(project, {c("init"), c("web")});
  CHECK(starts.front().front().name == "demo-init-1");
}

TEST_CASE("a recreated container keeps its anonymous volumes by target") {
  compose::Project project = load(R"(services:
  app:
    image: busybox
    command: [sleep, "1000"]
    volumes: [/cache, /scratch, named:/named]
volumes:
  named:
)");
  images::ImageConfig image;
  TranslateInput in;
  in.project = &project;
  in.service = project.service("app");
  in.image = &image;
  DesiredContainer desired = translate(in).value();
  volumes::ContainerMounts was = container_mounts(project, desired);
  was.mounts[0].source = "aaaa";  // /cache: resolved at the first start
  runtime::ContainerState old;
  old.anonymous_volumes = {"aaaa"};
  old.extensions[volumes::kMountsExtension] = volumes::to_json(was);

  CHECK(keep_anonymous_volumes(old, desired) == std::vector<std::string>{"aaaa"});
  CHECK(desired.mounts[0].source == "aaaa");
  CHECK(desired.mounts[1].source.empty());  // /scratch never got one
  CHECK(desired.mounts[2].source == "demo_named");
}
