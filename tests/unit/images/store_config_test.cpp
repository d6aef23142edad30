#include <catch2/catch.hpp>

#include "images/image_config.hpp"

using namespace brick::images;

TEST_CASE("an image config with only rootfs has empty defaults", "[config]") {
  auto cfg = parse_image_config(R"({"rootfs":{"type":"layers","diff_ids":[]}})");
  REQUIRE(cfg);
  CHECK(cfg->env.empty());
  CHECK(cfg->cmd.empty());
  CHECK(cfg->entrypoint.empty());
  CHECK(cfg->working_dir.empty());
  CHECK(cfg->user.empty());
  CHECK(cfg->exposed_ports.empty());
  CHECK(cfg->volumes.empty());
  CHECK(cfg->labels.empty());
  CHECK_FALSE(cfg->healthcheck);
  CHECK(cfg->stop_signal.empty());
}

TEST_CASE("image config fields are parsed", "[config]") {
  auto cfg = parse_image_config(R"({
    "architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05Z",
    "config":{"Env":["PATH=/bin","A=b"],"Cmd":["sh"],"Entrypoint":null,"WorkingDir":"/w","User":"1000:1000",
      "ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Volumes":{"/data":{}},"Labels":{"k":"v"},
      "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":1000000000,"Retries":3},"StopSignal":"SIGINT"},
    "rootfs":{"type":"layers","diff_ids":["sha256:00"]}})");
  REQUIRE(cfg);
  CHECK(cfg->env == std::vector<std::string>{"PATH=/bin", "A=b"});
  CHECK(cfg->cmd == std::vector<std::string>{"sh"});
  CHECK(cfg->entrypoint.empty());
  CHECK(cfg->working_dir == "/w");
  CHECK(cfg->user == "1000:1000");
  CHECK(cfg->exposed_ports == std::vector<std::string>{"443/tcp", "80/tcp"});
  CHECK(cfg->volumes == std::vector<std::string>{"/data"});
  CHECK(cfg->labels.at("k") == "v");
  REQUIRE(cfg->healthcheck);
  CHECK(cfg->healthcheck->test == std::vector<std::string>{"CMD-SHELL", "true"});
  CHECK(cfg->healthcheck->interval_ns == 1000000000);
  CHECK(cfg->healthcheck->retries == 3);
  CHECK(cfg->stop_signal == "SIGINT");
  CHECK(cfg->diff_ids == std::vector<std::string>{"sha256:00"});
}

TEST_CASE("malformed image configs name the field", "[config]") {
  struct Case {
    std::string json, why;
  };
  const std::vector<Case> cases = {
      {"[", "not valid JSON"},
      {R"({"config":{}})", "rootfs"},
      {R"({"rootfs":{"type":"other"}})", "rootfs.type"},
      {R"({"config":{"Env":"A=b"},"rootfs":{"type":"layers"}})", "config.Env"},
      {R"({"config":{"Labels":{"a":1}},"rootfs":{"type":"layers"}})", "config.Labels.a"},
  };
  for (const auto& c : cases) {
    INFO(c.json);
    auto cfg = parse_image_config(c.json);
    REQUIRE_FALSE(cfg);
    CHECK_THAT(cfg.error().message(), Catch::Contains(c.why));
  }
}

TEST_CASE("import changes edit the config", "[config]") {
  auto out = apply_changes(R"({"rootfs":{"type":"layers","diff_ids":[]}})",
                           {"CMD [\"sh\"]", "ENV A=b", "ENV A=c D=\"e f\"", "WORKDIR /x", "ENTRYPOINT echo hi",
                            "USER nobody", "EXPOSE 80 53/udp", "VOLUME /data", "LABEL k=v", "STOPSIGNAL SIGTERM"});
  REQUIRE(out);
  auto cfg = parse_image_config(*out);
  REQUIRE(cfg);
  CHECK(cfg->cmd == std::vector<std::string>{"sh"});
  CHECK(cfg->env == std::vector<std::string>{"A=c", "D=e f"});
  CHECK(cfg->working_dir == "/x");
  CHECK(cfg->entrypoint == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
  CHECK(cfg->user == "nobody");
  CHECK(cfg->exposed_ports == std::vector<std::string>{"53/udp", "80/tcp"});
  CHECK(cfg->volumes == std::vector<std::string>{"/data"});
  CHECK(cfg->labels.at("k") == "v");
  CHECK(cfg->stop_signal == "SIGTERM");

  auto bad = apply_changes(R"({})", {"RUN make"});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("`run` is not a supported change"));
}
