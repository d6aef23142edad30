// Issue 22: where compose-go (docker compose v2's loader) and brick used to
// disagree. Each case is the exact input and the exact `config` output (or
// error) compose-go gives.
#include <map>

#include "base/temp_dir.hpp"
#include "compose/loader.hpp"
#include "compose/serialize.hpp"
#include "loader_test_util.hpp"

using namespace brick;
using namespace brick::compose;
using brick::compose::testing::write;

namespace {

struct Config {
  bool ok = false;
  std::string text;  // `config` output, or the error as the CLI prints it (without `brick: `)
  std::string warnings;
};

// `brick compose -p demo config` in a directory holding `files`.
Config config_of(const std::map<std::string, std::string>& files, bool interpolate = true) {
  auto dir = TempDir::create("brick-parity");
  REQUIRE(dir.has_value());
  for (const auto& [name, content] : files) write(dir->path(), name, content);
  LoadOptions o;
  o.working_directory = dir->path();
  o.environment = {{"HOME", "/root"}};
  o.project_name = "demo";
  o.interpolate = interpolate;
  auto loaded = load_project(o);
  Config out;
  if (!loaded) {
    out.text = loaded.error().full();
    return out;
  }
  out.ok = true;
  out.text = to_yaml(to_json(loaded->project));
  for (const auto& w : loaded->warnings) out.warnings += w.str() + "\n";
  return out;
}

}  // namespace

TEST_CASE("parity: `x-` names under services, volumes, networks, secrets and configs are objects", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  x-foo:\n"
                       "    image: busybox\n"
                       "    volumes: [x-data:/d]\n"
                       "    networks: [x-net]\n"
                       "    secrets: [x-s]\n"
                       "    configs: [x-c]\n"
                       "    x-note: kept as an extension\n"
                       "volumes: {x-data: {}}\n"
                       "networks: {x-net: {}}\n"
                       "secrets: {x-s: {environment: HOME}}\n"
                       "configs: {x-c: {content: hi}}\n"
                       "x-top: 1\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  x-foo:
    configs:
      - source: x-c
    image: busybox
    networks:
      x-net: null
    secrets:
      - source: x-s
        target: /run/secrets/x-s
    volumes:
      - type: volume
        source: x-data
        target: /d
        volume: {}
    x-note: kept as an extension
networks:
  x-net:
    name: demo_x-net
volumes:
  x-data:
    name: demo_x-data
secrets:
  x-s:
    name: demo_x-s
    environment: HOME
configs:
  x-c:
    name: demo_x-c
    content: hi
x-top: 1
)");
}

TEST_CASE("parity: `x-` services merge, extend and are referenced like any other", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  x-base: {image: busybox, environment: {A: '1'}}\n"
                       "  web: {extends: x-base, depends_on: [x-base]}\n"},
                      {"compose.override.yaml", "services:\n  x-base: {image: alpine}\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  web:
    depends_on:
      x-base:
        condition: service_started
        required: true
    environment:
      A: "1"
    image: busybox
    networks:
      default: null
  x-base:
    environment:
      A: "1"
    image: alpine
    networks:
      default: null
networks:
  default:
    name: demo_default
)");
}

TEST_CASE("parity: every document of a `---` stream is merged in order, like -f files", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  test:\n"
                       "    image: nginx:latest\n"
                       "---\n"
                       "services:\n"
                       "  test:\n"
                       "    image: nginx:override\n"
                       "---\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  test:
    image: nginx:override
    networks:
      default: null
networks:
  default:
    name: demo_default
)");
}

TEST_CASE("parity: later documents keep their own interpolation, include and extends", "[parity]") {
  auto c = config_of({{"base.yaml", "services:\n  base: {image: alpine}\n"},
                      {"compose.yaml",
                       "services:\n"
                       "  app:\n"
                       "    extends: {file: base.yaml, service: base}\n"
                       "---\n"
                       "services:\n"
                       "  app:\n"
                       "    environment:\n"
                       "      HELLO: ${HOME}\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  app:
    environment:
      HELLO: /root
    image: alpine
    networks:
      default: null
networks:
  default:
    name: demo_default
)");
}

TEST_CASE("parity: errors in a later document name its line in the file", "[parity]") {
  const std::string first = "services:\n  test:\n    image: nginx\n---\n";
  struct Case {
    std::string second;
    std::string error;
  };
  const Case cases[] = {
      {"services:\n  test:\n    ports: [\"80:abc\"]\n",
       "compose.yaml:7:13: services.test.ports[0]: `80:abc` is not a port"},
      {"services:\n  test:\n    image: \"${X:?need X}\"\n",
       "compose.yaml:7:12: services.test.image: required variable `X` is missing a value: need X"},
      {"- a\n", "compose.yaml:5:1: top-level object must be a mapping"},
      {"services: {a: [}\n", "compose.yaml:5:16: illegal flow end"},
  };
  for (const auto& c : cases) {
    auto got = config_of({{"compose.yaml", first + c.second}});
    INFO(c.second);
    CHECK_FALSE(got.ok);
    CHECK(got.text == c.error);
  }
}

TEST_CASE("parity: a stream of empty documents is an empty compose file", "[parity]") {
  auto c = config_of({{"compose.yaml", "---\n---\n"}});
  CHECK_FALSE(c.ok);
  CHECK(c.text == "compose.yaml: empty compose file");
}

TEST_CASE("parity: a lone `$` is kept literally, a malformed `${` is still an error", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  web:\n"
                       "    image: busybox\n"
                       "    command: [sh, -c, \"echo $(date) $'x' $ $1 $\"]\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  web:
    command:
      - sh
      - -c
      - echo $(date) $'x' $ $1 $
    image: busybox
    networks:
      default: null
networks:
  default:
    name: demo_default
)");
  auto bad = config_of({{"compose.yaml", "services:\n  web:\n    image: busybox\n    command: echo $( ${\n"}});
  CHECK_FALSE(bad.ok);
  CHECK(bad.text == "compose.yaml:4:14: services.web.command: invalid interpolation format in `echo $( ${`");
}

TEST_CASE("parity: YAML 1.1 booleans where a boolean is expected are converted with a warning", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  web:\n"
                       "    image: busybox\n"
                       "    tty: yes\n"
                       "    stdin_open: On\n"
                       "    read_only: N\n"
                       "    init: off\n"
                       "    privileged: \"y\"\n"
                       "    environment:\n"
                       "      KEEP: yes\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  web:
    environment:
      KEEP: "yes"
    image: busybox
    init: false
    networks:
      default: null
    privileged: true
    stdin_open: true
    tty: true
networks:
  default:
    name: demo_default
)");
  CHECK(c.warnings ==
        "compose.yaml:4:10: services.web.tty: \"yes\" for boolean is not supported by YAML 1.2, please use `true`\n"
        "compose.yaml:5:17: services.web.stdin_open: \"On\" for boolean is not supported by YAML 1.2, please use "
        "`true`\n"
        "compose.yaml:6:16: services.web.read_only: \"N\" for boolean is not supported by YAML 1.2, please use "
        "`false`\n"
        "compose.yaml:7:11: services.web.init: \"off\" for boolean is not supported by YAML 1.2, please use `false`\n"
        "compose.yaml:8:17: services.web.privileged: \"y\" for boolean is not supported by YAML 1.2, please use "
        "`true`\n");
}

TEST_CASE("parity: deploy.restart_policy.condition takes any string, warning about unknown ones", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  web:\n"
                       "    image: busybox\n"
                       "    deploy:\n"
                       "      restart_policy: {condition: unless-stopped}\n"
                       "  job:\n"
                       "    image: busybox\n"
                       "    deploy:\n"
                       "      restart_policy: {condition: sometimes, max_attempts: 3}\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  job:
    deploy:
      restart_policy:
        condition: sometimes
        max_attempts: 3
    image: busybox
    networks:
      default: null
  web:
    deploy:
      restart_policy:
        condition: unless-stopped
    image: busybox
    networks:
      default: null
networks:
  default:
    name: demo_default
)");
  CHECK(c.warnings ==
        "compose.yaml:9:35: services.job.deploy.restart_policy.condition: `sometimes` is not a restart condition brick "
        "knows (none, on-failure, any, no, always, unless-stopped); starting the service will fail\n");
}

TEST_CASE("parity: config --no-interpolate prints a port that needs interpolation back as written", "[parity]") {
  const std::map<std::string, std::string> files = {{"compose.yaml",
                                                     "services:\n"
                                                     "  web:\n"
                                                     "    image: nginx\n"
                                                     "    ports:\n"
                                                     "      - \"${P:-8080}:80\"\n"
                                                     "      - 443:443\n"
                                                     "  api:\n"
                                                     "    image: nginx\n"
                                                     "    ports: [\"9000:9000\"]\n"}};
  auto c = config_of(files, /*interpolate=*/false);
  INFO(c.text);
  REQUIRE(c.ok);
  // Like compose-go's ports transform: a list with an entry it cannot parse
  // stays as written, a list it can parse gets the long form.
  CHECK(c.text == R"(name: demo
services:
  api:
    image: nginx
    networks:
      default: null
    ports:
      - mode: ingress
        target: 9000
        published: "9000"
        protocol: tcp
  web:
    image: nginx
    networks:
      default: null
    ports:
      - ${P:-8080}:80
      - 443:443
networks:
  default:
    name: demo_default
)");
  // Interpolated, the same file gives a real port.
  auto i = config_of(files);
  REQUIRE(i.ok);
  CHECK(i.text.find("        target: 80\n        published: \"8080\"\n") != std::string::npos);
}

TEST_CASE("parity: `mode: 0o440` (YAML 1.2 octal) is the same mode as `0440`", "[parity]") {
  auto yaml = [](const std::string& mode) {
    return "services:\n"
           "  web:\n"
           "    image: busybox\n"
           "    secrets: [{source: s, mode: " +
           mode +
           "}]\n"
           "    configs: [{source: c, mode: " +
           mode +
           "}]\n"
           "secrets: {s: {environment: HOME}}\n"
           "configs: {c: {content: x}}\n";
  };
  auto go = config_of({{"compose.yaml", yaml("0o440")}});
  auto classic = config_of({{"compose.yaml", yaml("0440")}});
  INFO(go.text);
  REQUIRE(go.ok);
  CHECK(go.text == classic.text);
  CHECK(go.text.find("        mode: \"0440\"\n") != std::string::npos);
  auto quoted = config_of({{"compose.yaml", yaml("\"0o440\"")}});
  CHECK_FALSE(quoted.ok);
}

TEST_CASE("parity: a `provider:` service gets a message about providers, `pre_start` loads", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  db:\n"
                       "    provider:\n"
                       "      type: awesomecloud\n"
                       "      options: {type: mysql}\n"
                       "  web:\n"
                       "    image: nginx\n"
                       "    pre_start:\n"
                       "      - command: [echo, hi]\n"}});
  CHECK_FALSE(c.ok);
  CHECK(c.text ==
        "compose.yaml:2:3: services.db: service `db` is run by the provider `awesomecloud`, which brick does not "
        "support: give it an `image` or a `build`, or run it outside brick");

  auto hooks = config_of({{"compose.yaml",
                           "services:\n"
                           "  web:\n"
                           "    image: nginx\n"
                           "    pre_start:\n"
                           "      - command: [echo, hi]\n"}});
  INFO(hooks.text);
  REQUIRE(hooks.ok);
  CHECK(hooks.warnings ==
        "compose.yaml:5:7: services.web.pre_start: `pre_start` is not supported by brick and is "
        "ignored\n");
}

TEST_CASE("parity: a short-syntax volume target is cleaned like Go's path.Clean", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  web:\n"
                       "    image: busybox\n"
                       "    volumes:\n"
                       "      - data:/app/data/\n"
                       "      - /srv/logs://var//log/./app/../app/\n"
                       "      - /scratch/\n"
                       "volumes:\n"
                       "  data: {}\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  web:
    image: busybox
    networks:
      default: null
    volumes:
      - type: volume
        source: data
        target: /app/data
        volume: {}
      - type: bind
        source: /srv/logs
        target: /var/log/app
        bind:
          create_host_path: true
      - type: volume
        target: /scratch
        volume: {}
networks:
  default:
    name: demo_default
volumes:
  data:
    name: demo_data
)");
}

TEST_CASE("parity: empty `dns` entries (an unset variable) are omitted", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  a: {image: busybox, dns: \"${UNSET_DNS}\"}\n"
                       "  b: {image: busybox, dns: [\"\", 1.1.1.1, \"${UNSET_DNS}\"]}\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  a:
    image: busybox
    networks:
      default: null
  b:
    dns:
      - 1.1.1.1
    image: busybox
    networks:
      default: null
networks:
  default:
    name: demo_default
)");
}

TEST_CASE("parity: a long-syntax `bind:` defaults create_host_path to true", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  web:\n"
                       "    image: busybox\n"
                       "    volumes:\n"
                       "      - {type: bind, source: /srv/a, target: /a, bind: {propagation: rslave}}\n"
                       "      - {type: bind, source: /srv/b, target: /b, bind: {create_host_path: false}}\n"
                       "      - {type: bind, source: /srv/c, target: /c}\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  web:
    image: busybox
    networks:
      default: null
    volumes:
      - type: bind
        source: /srv/a
        target: /a
        bind:
          propagation: rslave
          create_host_path: true
      - type: bind
        source: /srv/b
        target: /b
        bind: {}
      - type: bind
        source: /srv/c
        target: /c
networks:
  default:
    name: demo_default
)");
}

TEST_CASE("parity: a secret with only a `driver` is a clear error naming it", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  web: {image: nginx, secrets: [vault]}\n"
                       "secrets:\n"
                       "  vault:\n"
                       "    driver: hashicorp\n"}});
  CHECK_FALSE(c.ok);
  CHECK(c.text ==
        "compose.yaml:5:5: secrets.vault: secret `vault` comes only from a `driver`, which is not supported on one "
        "host: give it a `file` or `environment`, or mark it `external`");
}

TEST_CASE("parity: label_file is read and its labels applied, `labels:` winning", "[parity]") {
  auto c = config_of({{"labels/base.labels", "# team labels\nteam=web\ncom.example.tier=front\n"},
                      {"labels/more.labels", "com.example.tier=edge\ncom.example.ref=${team}-1\n"},
                      {"compose.yaml",
                       "services:\n"
                       "  web:\n"
                       "    image: busybox\n"
                       "    label_file: [labels/base.labels, labels/more.labels]\n"
                       "    labels: {team: platform}\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  web:
    image: busybox
    labels:
      com.example.ref: web-1
      com.example.tier: edge
      team: platform
    networks:
      default: null
networks:
  default:
    name: demo_default
)");
  auto missing = config_of({{"compose.yaml", "services:\n  web: {image: busybox, label_file: nope.labels}\n"}});
  CHECK_FALSE(missing.ok);
  INFO(missing.text);
  CHECK(missing.text.find("compose.yaml:2:37: services.web.label_file: reading label file `") == 0);
}

TEST_CASE("parity: a service platform its build.platforms does not list is an error", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  app:\n"
                       "    platform: linux/riscv64\n"
                       "    build:\n"
                       "      context: .\n"
                       "      platforms: [linux/amd64, linux/arm64]\n"}});
  CHECK_FALSE(c.ok);
  CHECK(c.text ==
        "compose.yaml:3:15: services.app.platform: `linux/riscv64` is not among the platforms `build.platforms` lists "
        "(linux/amd64, linux/arm64)");
  auto listed = config_of({{"compose.yaml",
                            "services:\n"
                            "  app:\n"
                            "    platform: linux/arm64\n"
                            "    build: {context: ., platforms: [linux/amd64, linux/arm64]}\n"}});
  INFO(listed.text);
  CHECK(listed.ok);
}

TEST_CASE("parity: a Windows-style source is one path, not prefixed with the project directory", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  web:\n"
                       "    image: busybox\n"
                       "    volumes:\n"
                       "      - 'C:\\data:/data'\n"
                       "      - D:/logs:/logs:ro\n"
                       "      - {type: bind, source: 'E:\\cache', target: /cache}\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  web:
    image: busybox
    networks:
      default: null
    volumes:
      - type: bind
        source: C:\data
        target: /data
        bind:
          create_host_path: true
      - type: bind
        source: D:/logs
        target: /logs
        read_only: true
        bind:
          create_host_path: true
      - type: bind
        source: E:\cache
        target: /cache
networks:
  default:
    name: demo_default
)");
}

TEST_CASE("parity: list entries with the same key keep the last one, as compose-go's EnforceUnicity", "[parity]") {
  auto c = config_of({{"compose.yaml",
                       "services:\n"
                       "  web:\n"
                       "    image: nginx\n"
                       "    environment: [A=1, B=2, A=3]\n"
                       "    volumes: [\"/a:/data/\", \"/logs:/logs\", \"/b:/data\"]\n"
                       "    ports: [\"8080:80\", \"9090:90\", \"8080:80\"]\n"}});
  INFO(c.text);
  REQUIRE(c.ok);
  CHECK(c.text == R"(name: demo
services:
  web:
    environment:
      A: "3"
      B: "2"
    image: nginx
    networks:
      default: null
    ports:
      - mode: ingress
        target: 80
        published: "8080"
        protocol: tcp
      - mode: ingress
        target: 90
        published: "9090"
        protocol: tcp
    volumes:
      - type: bind
        source: /b
        target: /data
        bind:
          create_host_path: true
      - type: bind
        source: /logs
        target: /logs
        bind:
          create_host_path: true
networks:
  default:
    name: demo_default
)");
}
