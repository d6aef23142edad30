// Property (issue 22): for generated stacks, `config` output read back by
// brick gives the same project, and `config --format json` describes the
// same project as the YAML. Stacks are drawn from a fixed menu of fragments
// with a seeded generator, so a failure is reproducible from its seed.
#include <random>

#include "base/temp_dir.hpp"
#include "compose/loader.hpp"
#include "compose/serialize.hpp"
#include "loader_test_util.hpp"

using namespace brick;
using namespace brick::compose;
using brick::compose::testing::write;

namespace {

class StackGenerator {
 public:
  explicit StackGenerator(unsigned seed) : rng_(seed) {}

  std::string stack() {
    std::string out = "services:\n";
    const int services = pick(1, 4);
    for (int i = 0; i < services; ++i) out += service(i, services);
    out += "networks:\n  front: {}\n  back: {internal: true, labels: {tier: back}}\n";
    out += "volumes:\n  data: {}\n  cache: {driver: local, driver_opts: {type: tmpfs, device: tmpfs}}\n";
    out += "secrets:\n  token: {environment: HOME}\n";
    out += "configs:\n  site: {content: \"server {}\"}\n";
    if (chance()) out += "x-meta: {owner: team, level: 3}\n";
    return out;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance() { return pick(0, 1) == 1; }
  template <size_t N>
  const char* one_of(const char* const (&options)[N]) {
    return options[static_cast<size_t>(pick(0, static_cast<int>(N) - 1))];
  }

  std::string service(int i, int count) {
    static const char* const images[] = {"nginx:1.25", "busybox", "redis:7-alpine", "postgres:16",
                                         "ghcr.io/acme/app:1.0"};
    static const char* const keys[] = {
        "    command: [\"sh\", \"-c\", \"echo hi && sleep 1\"]\n",
        "    command: echo \"a b\" c\n",
        "    entrypoint: /bin/tini --\n",
        "    environment: [A=1, B=two words, C=]\n",
        "    environment: {DEBUG: \"true\", PORT: 8080, EMPTY: \"\", UNSET_PASS: null}\n",
        "    labels: [com.example.a=1, com.example.b=x y]\n",
        "    ports: [\"8080:80\", \"127.0.0.1:9000-9001:9000-9001/udp\", \"443\"]\n",
        "    ports: [{target: 80, published: \"8081\", protocol: tcp, mode: host}]\n",
        "    expose: [\"3000\", 4000]\n",
        "    volumes: [\"data:/var/lib/data\", \"/srv/logs:/logs:ro\", \"cache:/cache:nocopy\"]\n",
        "    volumes: [{type: tmpfs, target: /tmp, tmpfs: {size: 64m}}, {type: bind, source: ./src, target: /src}]\n",
        "    networks: [front, back]\n",
        "    networks: {front: {aliases: [web]}, back: {ipv4_address: 10.0.0.5}}\n",
        "    healthcheck: {test: [CMD, true], interval: 30s, timeout: 5s, retries: 3, start_period: 1m}\n",
        "    healthcheck: {test: curl -f http://localhost, interval: 1m30s}\n",
        "    restart: unless-stopped\n",
        "    restart: on-failure:3\n",
        "    deploy: {resources: {limits: {cpus: \"0.5\", memory: 512M}, reservations: {memory: 128M}}}\n",
        "    deploy: {restart_policy: {condition: on-failure, max_attempts: 2, delay: 5s}}\n",
        "    mem_limit: 1g\n",
        "    cpus: 1.5\n",
        "    user: \"1000:1000\"\n",
        "    working_dir: /app\n",
        "    tty: true\n",
        "    stdin_open: true\n",
        "    init: true\n",
        "    read_only: true\n",
        "    cap_add: [NET_ADMIN]\n",
        "    cap_drop: [ALL]\n",
        "    security_opt: [no-new-privileges:true]\n",
        "    ulimits: {nofile: {soft: 1024, hard: 4096}, nproc: 512}\n",
        "    sysctls: {net.core.somaxconn: 1024}\n",
        "    extra_hosts: [\"db.local:10.0.0.2\"]\n",
        "    dns: [1.1.1.1, 8.8.8.8]\n",
        "    tmpfs: [/run, /var/run]\n",
        "    secrets: [token]\n",
        "    configs: [{source: site, target: /etc/nginx/conf.d/site.conf, mode: 0440}]\n",
        "    hostname: box\n",
        "    stop_grace_period: 1m\n",
        "    stop_signal: SIGINT\n",
        "    shm_size: 256m\n",
        "    pids_limit: 100\n",
        "    logging: {driver: json-file, options: {max-size: 10m, max-file: \"3\"}}\n",
        "    profiles: [debug]\n",
        "    x-owner: {team: web}\n",
    };
    std::string out = "  s" + std::to_string(i) + ":\n    image: " + one_of(images) + "\n";
    std::vector<bool> used(std::size(keys), false);
    bool have_networks = false, have_restart = false, have_env = false, have_ports = false, have_volumes = false,
         have_cmd = false, have_health = false, have_deploy = false;
    const int n = pick(0, 8);
    for (int k = 0; k < n; ++k) {
      size_t idx = static_cast<size_t>(pick(0, static_cast<int>(std::size(keys)) - 1));
      std::string key = keys[idx];
      // One spelling of each key per service: a mapping key cannot repeat.
      auto once = [&](bool& flag, std::string_view prefix) {
        if (!key.starts_with(prefix)) return true;
        if (flag) return false;
        flag = true;
        return true;
      };
      if (used[idx] || !once(have_networks, "    networks:") || !once(have_restart, "    restart:") ||
          !once(have_env, "    environment:") || !once(have_ports, "    ports:") ||
          !once(have_volumes, "    volumes:") || !once(have_cmd, "    command:") ||
          !once(have_health, "    healthcheck:") || !once(have_deploy, "    deploy:"))
        continue;
      used[idx] = true;
      out += key;
    }
    if (i + 1 < count && chance())
      out += "    depends_on: {s" + std::to_string(i + 1) + ": {condition: service_started, restart: true}}\n";
    return out;
  }

  std::mt19937 rng_;
};

struct Loaded {
  std::string yaml;
  std::string json;
};

// `config` and `config --format json` for `text` written as compose.yaml in
// `dir` (all profiles active, so every service is printed).
Loaded config_in(const std::string& dir, const std::string& text) {
  write(dir, "compose.yaml", text);
  LoadOptions o;
  o.working_directory = dir;
  o.environment = {{"HOME", "/root"}};
  o.project_name = "demo";
  o.profiles = {"*"};
  auto loaded = load_project(o);
  INFO(text);
  INFO((loaded ? std::string() : loaded.error().full()));
  REQUIRE(loaded.has_value());
  return {to_yaml(to_json(loaded->project)), to_json_text(to_json(loaded->project, OutputFormat::Json))};
}

}  // namespace

TEST_CASE("property: config output reads back as the same project, in YAML and JSON", "[property]") {
  auto dir = TempDir::create("brick-roundtrip");
  REQUIRE(dir.has_value());
  for (unsigned seed = 1; seed <= 300; ++seed) {
    INFO("seed " << seed);
    const std::string stack = StackGenerator(seed).stack();
    Loaded first = config_in(dir->path(), stack);
    Loaded again = config_in(dir->path(), first.yaml);
    CHECK(again.yaml == first.yaml);
    // JSON is what `config --format json` prints; the YAML read back must
    // describe the same project.
    CHECK(again.json == first.json);
    if (again.yaml != first.yaml || again.json != first.json) break;
  }
}
