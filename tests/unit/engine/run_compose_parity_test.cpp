// The same container asked for through `brick run` flags and through a
// compose service gets the same spec: both go through engine/, so docker's
// per-container rules cannot drift apart between the two (issue 19: the
// compose path once kept the default seccomp filter whatever its capabilities
// and ignored security_opt).
#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "cli/run_spec.hpp"
#include "engine/container_request.hpp"
#include "engine/spec_options.hpp"
#include "orchestrator/translate.hpp"
#include "unit/orchestrator/project_util.hpp"
#include "volumes/mounts.hpp"

using namespace brick;

namespace {

images::ImageConfig busybox() {
  images::ImageConfig image;
  image.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"};
  image.cmd = {"sh"};
  return image;
}

struct Case {
  const char* name;
  std::function<void(cli::RunOptions&)> flags;  // over `brick run -h box IMAGE`
  std::string service;                          // lines under `services: s:` (image and hostname given)
};

// Both specs as config.json, the form the runtime reads them in.
nlohmann::json run_side(const Case& c, const images::ImageConfig& image) {
  cli::RunOptions o;
  o.command = {"busybox"};
  o.hostname = "box";
  c.flags(o);
  auto made = cli::run_spec(o, image, engine::host_facts());
  if (!made) FAIL("brick run: " << made.error().full());
  return nlohmann::json::parse(runtime::spec_to_json(made->spec));
}

orchestrator::DesiredContainer compose_side(const Case& c, const images::ImageConfig& image) {
  std::string yaml = "services:\n  s:\n    image: busybox\n    hostname: box\n" + c.service;
  compose::Project p = orchestrator::testing::load(yaml);
  orchestrator::TranslateInput in;
  in.project = &p;
  in.service = p.service("s");
  in.image = &image;
  in.image_id = "sha256:abc";
  in.hard_limits = engine::host_facts().hard_limits;
  auto d = orchestrator::translate(in);
  if (!d) FAIL("compose: " << d.error().full());
  return *d;
}

}  // namespace

TEST_CASE("brick run flags and a compose service make the same spec", "[engine][parity]") {
  auto dir = TempDir::create("brick-parity");
  REQUIRE(dir);
  const std::string profile = dir->path() + "/deny-mkdir.json";
  REQUIRE(write_file_atomic(profile, R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]})"));

  const Case cases[] = {
      {"nothing asked", [](cli::RunOptions&) {}, ""},
      {"cap_add",
       [](cli::RunOptions& o) {
         o.cap_add = {"SYS_PTRACE", "net_admin"};
       },
       "    cap_add: [SYS_PTRACE, net_admin]\n"},
      {"cap_drop",
       [](cli::RunOptions& o) {
         o.cap_drop = {"CAP_KILL", "mknod"};
       },
       "    cap_drop: [CAP_KILL, mknod]\n"},
      {"cap_drop ALL, cap_add one",
       [](cli::RunOptions& o) {
         o.cap_drop = {"ALL"};
         o.cap_add = {"CHOWN"};
       },
       "    cap_drop: [ALL]\n    cap_add: [CHOWN]\n"},
      {"cap_add ALL", [](cli::RunOptions& o) { o.cap_add = {"ALL"}; }, "    cap_add: [ALL]\n"},
      {"cap_add SYS_ADMIN", [](cli::RunOptions& o) { o.cap_add = {"SYS_ADMIN"}; }, "    cap_add: [SYS_ADMIN]\n"},
      {"privileged", [](cli::RunOptions& o) { o.privileged = true; }, "    privileged: true\n"},
      {"seccomp=unconfined", [](cli::RunOptions& o) { o.security_opt = {"seccomp=unconfined"}; },
       "    security_opt: [seccomp=unconfined]\n"},
      {"seccomp:unconfined, no-new-privileges:false",
       [](cli::RunOptions& o) {
         o.security_opt = {"seccomp:unconfined", "no-new-privileges:false"};
       },
       "    security_opt: ['seccomp:unconfined', 'no-new-privileges:false']\n"},
      {"seccomp=FILE with cap_add",
       [&](cli::RunOptions& o) {
         o.security_opt = {"seccomp=" + profile};
         o.cap_add = {"SYS_PTRACE"};
       },
       "    security_opt: ['seccomp=" + profile + "']\n    cap_add: [SYS_PTRACE]\n"},
      {"no-new-privileges=true, systempaths=unconfined",
       [](cli::RunOptions& o) {
         o.security_opt = {"no-new-privileges=true", "systempaths=unconfined"};
       },
       "    security_opt: [no-new-privileges=true, systempaths=unconfined]\n"},
      {"apparmor and label, unconfined",
       [](cli::RunOptions& o) {
         o.security_opt = {"apparmor=unconfined", "label=disable"};
       },
       "    security_opt: [apparmor=unconfined, label=disable]\n"},
      {"environment",
       [](cli::RunOptions& o) {
         o.env = {"A=1", "LANG=C.UTF-8", "Z=last"};
       },
       "    environment: {A: '1', LANG: C.UTF-8, Z: last}\n"},
      {"tty", [](cli::RunOptions& o) { o.tty = true; }, "    tty: true\n"},
      {"numeric user", [](cli::RunOptions& o) { o.user = "1000:1000"; }, "    user: '1000:1000'\n"},
      {"named user", [](cli::RunOptions& o) { o.user = "nobody"; }, "    user: nobody\n"},
      {"ulimits",
       [](cli::RunOptions& o) {
         o.ulimits = {"core=0", "nofile=256:512", "nproc=300:400"};
       },
       "    ulimits:\n      core: 0\n      nofile: {soft: 256, hard: 512}\n      nproc: {soft: 300, hard: 400}\n"},
      {"read_only", [](cli::RunOptions& o) { o.read_only = true; }, "    read_only: true\n"},
      {"command",
       [](cli::RunOptions& o) {
         o.command = {"busybox", "echo", "hi"};
       },
       "    command: [echo, hi]\n"},
      {"entrypoint and command",
       [](cli::RunOptions& o) {
         o.entrypoint = "/bin/env";
         o.command = {"busybox", "ls"};
       },
       "    entrypoint: [/bin/env]\n    command: [ls]\n"},
      {"entrypoint reset, command",
       [](cli::RunOptions& o) {
         o.entrypoint = "";
         o.command = {"busybox", "id"};
       },
       "    entrypoint: []\n    command: [id]\n"},
      {"working dir", [](cli::RunOptions& o) { o.workdir = "/srv"; }, "    working_dir: /srv\n"},
      {"resources",
       [](cli::RunOptions& o) {
         o.memory = "64m";
         o.memory_swap = "128m";
         o.cpus = 1.5;
         o.pids_limit = 100;
         o.shm_size = "32m";
       },
       "    mem_limit: 64m\n    memswap_limit: 128m\n    cpus: 1.5\n    pids_limit: 100\n    shm_size: 32m\n"},
      {"unlimited swap and pids",
       [](cli::RunOptions& o) {
         o.memory = "1g";
         o.memory_swap = "-1";
         o.pids_limit = -1;
       },
       "    mem_limit: 1g\n    memswap_limit: -1\n    pids_limit: -1\n"},
      {"devices",
       [](cli::RunOptions& o) {
         o.devices = {"/dev/null:/dev/mynull:rw", "/dev/zero"};
       },
       "    devices: ['/dev/null:/dev/mynull:rw', /dev/zero]\n"},
      {"devices, privileged",
       [](cli::RunOptions& o) {
         o.devices = {"/dev/null:/dev/mynull:r"};
         o.privileged = true;
       },
       "    devices: ['/dev/null:/dev/mynull:r']\n    privileged: true\n"},
      {"all of it",
       [&](cli::RunOptions& o) {
         o.cap_add = {"NET_ADMIN"};
         o.cap_drop = {"CHOWN"};
         o.security_opt = {"seccomp=" + profile, "no-new-privileges=false"};
         o.env = {"A=1"};
         o.user = "1000";
         o.ulimits = {"nofile=100:200"};
         o.read_only = true;
       },
       "    cap_add: [NET_ADMIN]\n    cap_drop: [CHOWN]\n    security_opt: ['seccomp=" + profile +
           "', no-new-privileges=false]\n    environment: {A: '1'}\n    user: '1000'\n    ulimits:\n      nofile: "
           "{soft: 100, hard: 200}\n    read_only: true\n"},
  };
  const images::ImageConfig image = busybox();
  for (const Case& c : cases) {
    INFO(c.name);
    nlohmann::json run = run_side(c, image);
    orchestrator::DesiredContainer compose = compose_side(c, image);
    // compose maps its devices when it creates the container
    // (orchestrator::grant_container_devices), `brick run` when it builds the spec.
    REQUIRE(engine::with_devices(compose.spec, compose.devices));
    nlohmann::json from_compose = nlohmann::json::parse(runtime::spec_to_json(compose.spec));
    REQUIRE(run.contains("process"));
    INFO("run -> compose: " << nlohmann::json::diff(run, from_compose).dump(1));
    CHECK(run == from_compose);
  }
}

TEST_CASE("tmpfs: `--tmpfs` and compose's `tmpfs:` ask for the same mount", "[engine][parity]") {
  // `brick run` keeps the flag for the monitor; both parse it the same way.
  const images::ImageConfig image = busybox();
  Case c{"tmpfs", [](cli::RunOptions&) {}, "    tmpfs: ['/scratch:size=1m,mode=1777']\n"};
  orchestrator::DesiredContainer compose = compose_side(c, image);
  auto flag = volumes::parse_tmpfs_flag("/scratch:size=1m,mode=1777");
  REQUIRE(flag);
  REQUIRE(compose.mounts.size() == 1);
  CHECK(compose.mounts[0].kind == flag->kind);
  CHECK(compose.mounts[0].target == flag->target);
  CHECK(compose.mounts[0].tmpfs_size == flag->tmpfs_size);
  CHECK(compose.mounts[0].tmpfs_mode == flag->tmpfs_mode);
}

TEST_CASE("errors name the option on both paths", "[engine][parity]") {
  const images::ImageConfig image = busybox();
  cli::RunOptions o;
  o.command = {"busybox"};
  o.security_opt = {"seccomp=/no/such/profile.json"};
  auto run = cli::run_spec(o, image, engine::host_facts());
  REQUIRE_FALSE(run);
  CHECK(run.error().message().starts_with(
      "security_opt `seccomp=/no/such/profile.json`: reading `/no/such/profile.json`"));

  compose::Project p =
      orchestrator::testing::load("services:\n  s:\n    image: busybox\n    security_opt: [seccomp=nope.json]\n");
  orchestrator::TranslateInput in;
  in.project = &p;
  in.service = p.service("s");
  in.image = &image;
  auto d = orchestrator::translate(in);
  REQUIRE_FALSE(d);
  // Relative to the project directory, as docker compose reads it.
  CHECK(
      d.error().message().starts_with("service `s`: security_opt `seccomp=nope.json`: reading `/srv/demo/nope.json`"));

  compose::Project caps = orchestrator::testing::load("services:\n  s:\n    image: busybox\n    cap_add: [FLY]\n");
  in.project = &caps;
  in.service = caps.service("s");
  auto bad = orchestrator::translate(in);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() == "service `s`: cap_add: unknown capability `FLY`");
}
