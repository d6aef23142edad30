// docker's per-container rules as spec options: capabilities, the seccomp
// filter that follows them, security_opt, privileged, environment, user and
// ulimits.
#include "engine/spec_options.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "engine/container_request.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/rlimits.hpp"
#include "runtime/seccomp.hpp"

using namespace brick;
using namespace brick::engine;
using runtime::ContainerSpec;
using runtime::default_spec;

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<runtime::SeccompSyscall> rules_for(const runtime::Seccomp& s, const std::string& syscall) {
  std::vector<runtime::SeccompSyscall> out;
  for (const auto& sc : s.syscalls)
    if (contains(sc.names, syscall)) out.push_back(sc);
  return out;
}

// A host with every capability and neither LSM, whatever this one has.
HostFacts plain_host() {
  HostFacts h;
  h.bounding = ~uint64_t{0};
  return h;
}

Result<std::vector<std::string>> apply(ContainerSpec& spec, const ContainerRequest& r,
                                       const HostFacts& host = plain_host()) {
  return apply_request(spec, r, {}, host);
}

}  // namespace

TEST_CASE("the seccomp filter follows the capabilities, privileged and unconfined have none", "[engine]") {
  ContainerSpec spec = default_spec();
  ContainerRequest r;
  r.cap_add = {"SYS_ADMIN", "sys_ptrace"};
  REQUIRE(apply(spec, r));
  REQUIRE(spec.linux.seccomp);
  CHECK(*spec.linux.seccomp == runtime::default_seccomp(spec.process.capabilities.bounding));
  CHECK(rules_for(*spec.linux.seccomp, "mount").size() == 1);
  CHECK(contains(spec.process.capabilities.bounding, "CAP_SYS_ADMIN"));
  CHECK(contains(spec.process.capabilities.bounding, "CAP_SYS_PTRACE"));
  CHECK(spec.process.no_new_privileges);

  ContainerSpec plain = default_spec();
  REQUIRE(apply(plain, {}));
  CHECK(*plain.linux.seccomp == runtime::default_seccomp(runtime::default_capabilities()));
  CHECK(rules_for(*plain.linux.seccomp, "mount").empty());

  ContainerSpec privileged = default_spec();
  ContainerRequest p;
  p.privileged = true;
  REQUIRE(apply(privileged, p));
  CHECK_FALSE(privileged.linux.seccomp);
  CHECK(privileged.process.capabilities.bounding == runtime::all_capabilities());
  CHECK(privileged.linux.masked_paths.empty());
  CHECK(privileged.linux.readonly_paths.empty());
  REQUIRE(privileged.linux.resources.devices.size() == 1);
  CHECK(privileged.linux.resources.devices[0].allow);
  for (const auto& m : privileged.mounts)
    if (m.destination == "/sys") CHECK_FALSE(contains(m.options, "ro"));

  ContainerSpec unconfined = default_spec();
  ContainerRequest u;
  u.security_opt = {"seccomp=unconfined", "no-new-privileges:false"};
  REQUIRE(apply(unconfined, u));
  CHECK_FALSE(unconfined.linux.seccomp);
  CHECK_FALSE(unconfined.process.no_new_privileges);
  CHECK_FALSE(unconfined.linux.masked_paths.empty());

  ContainerSpec builtin = default_spec();
  ContainerRequest b;
  b.security_opt = {"seccomp=builtin", "no-new-privileges"};
  REQUIRE(apply(builtin, b));
  CHECK(*builtin.linux.seccomp == runtime::default_seccomp(runtime::default_capabilities()));
  CHECK(builtin.process.no_new_privileges);
}

TEST_CASE("every capability is every one the host can hand on", "[engine]") {
  HostFacts reduced = plain_host();
  reduced.bounding = *runtime::capability_mask({"CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN"});
  ContainerSpec spec = default_spec();
  ContainerRequest r;
  r.cap_add = {"ALL"};
  REQUIRE(apply(spec, r, reduced));
  CHECK(spec.process.capabilities.bounding == std::vector<std::string>{"CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN"});
  ContainerSpec privileged = default_spec();
  ContainerRequest p;
  p.privileged = true;
  REQUIRE(apply(privileged, p, reduced));
  CHECK(privileged.process.capabilities.bounding == spec.process.capabilities.bounding);
  // Named capabilities are not clamped: asking for one the host lacks fails
  // at start, saying so, rather than silently running without it.
  ContainerSpec named = default_spec();
  ContainerRequest n;
  n.cap_drop = {"ALL"};
  n.cap_add = {"SYS_PTRACE"};
  REQUIRE(apply(named, n, reduced));
  CHECK(named.process.capabilities.bounding == std::vector<std::string>{"CAP_SYS_PTRACE"});

  ContainerRequest bad;
  bad.cap_add = {"TELEPORT"};
  ContainerSpec s = default_spec();
  auto refused = apply(s, bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message() == "cap_add: unknown capability `TELEPORT`");
}

TEST_CASE("seccomp=FILE: a docker profile, read relative to the request's directory, a bad one names the file",
          "[engine]") {
  auto dir = TempDir::create("brick-seccomp");
  REQUIRE(dir);
  REQUIRE(write_file_atomic(dir->path() + "/p.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["chmod", "mkdir"], "action": "SCMP_ACT_ERRNO"},
      {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_PTRACE"]}}]})"));
  REQUIRE(write_file_atomic(dir->path() + "/broken.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [)"));

  ContainerSpec spec = default_spec();
  ContainerRequest r;
  r.security_opt = {"seccomp=p.json"};
  r.security_opt_dir = dir->path();
  REQUIRE(apply(spec, r));
  REQUIRE(spec.linux.seccomp);
  CHECK(spec.linux.seccomp->default_action == "SCMP_ACT_ALLOW");
  CHECK(rules_for(*spec.linux.seccomp, "mkdir").size() == 1);
  CHECK(rules_for(*spec.linux.seccomp, "ptrace").empty());  // its `includes` names a capability not held

  ContainerSpec traced = default_spec();
  r.cap_add = {"SYS_PTRACE"};
  REQUIRE(apply(traced, r));
  CHECK(rules_for(*traced.linux.seccomp, "ptrace").size() == 1);

  ContainerSpec absolute = default_spec();
  ContainerRequest a;
  a.security_opt = {"seccomp:" + dir->path() + "/p.json"};  // docker's older `:` form
  REQUIRE(apply(absolute, a));
  CHECK(*absolute.linux.seccomp == *spec.linux.seccomp);

  // Read and checked for a privileged container too (docker's client
  // reads it), though docker then runs that one without a filter.
  ContainerSpec privileged = default_spec();
  ContainerRequest p;
  p.privileged = true;
  p.security_opt = {"seccomp=" + dir->path() + "/p.json"};
  REQUIRE(apply(privileged, p));
  CHECK_FALSE(privileged.linux.seccomp);

  ContainerSpec s = default_spec();
  ContainerRequest broken;
  broken.security_opt = {"seccomp=broken.json"};
  broken.security_opt_dir = dir->path();
  auto bad = apply(s, broken);
  REQUIRE_FALSE(bad);
  INFO(bad.error().message());
  CHECK(bad.error().message().starts_with("security_opt `seccomp=broken.json`: `" + dir->path() +
                                          "/broken.json`: seccomp profile: "));

  ContainerRequest missing;
  missing.security_opt = {"seccomp=/no/such/profile.json"};
  auto gone = apply(s, missing);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().message().starts_with(
      "security_opt `seccomp=/no/such/profile.json`: reading `/no/such/profile.json`"));
  CHECK(gone.error().errno_value() == ENOENT);

  ContainerRequest empty;
  empty.security_opt = {"seccomp="};
  CHECK_FALSE(apply(s, empty));
}

TEST_CASE("apparmor= and label= as docker on a host without that LSM, refused where it is enabled", "[engine]") {
  ContainerRequest r;
  r.security_opt = {"apparmor=docker-default", "label=type:container_t", "label=disable", "apparmor=unconfined"};
  ContainerSpec spec = default_spec();
  auto warnings = apply(spec, r);
  REQUIRE(warnings);
  CHECK(*warnings ==
        std::vector<std::string>{"security_opt `apparmor=docker-default`: AppArmor is not enabled on this host, so "
                                 "the profile is not applied (as docker)",
                                 "security_opt `label=type:container_t`: SELinux is not enabled on this host, so the "
                                 "label is not applied (as docker)"});

  HostFacts lsm = plain_host();
  lsm.apparmor = true;
  lsm.selinux = true;
  ContainerRequest aa;
  aa.security_opt = {"apparmor=docker-default"};
  auto refused = apply(spec, aa, lsm);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message() ==
        "security_opt `apparmor=docker-default`: AppArmor is enabled on this host and brick does not apply AppArmor "
        "profiles (only `unconfined`)");
  ContainerRequest label;
  label.security_opt = {"label:level:s0:c100,c200"};
  CHECK_FALSE(apply(spec, label, lsm));
  ContainerRequest fine;
  fine.security_opt = {"apparmor=unconfined", "label=disable", "disable"};
  auto none = apply(spec, fine, lsm);
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("other security_opt: systempaths, no-new-privileges values, unknown keys", "[engine]") {
  ContainerSpec spec = default_spec();
  ContainerRequest r;
  r.security_opt = {"systempaths=unconfined", "no-new-privileges=0"};
  REQUIRE(apply(spec, r));
  CHECK(spec.linux.masked_paths.empty());
  CHECK(spec.linux.readonly_paths.empty());
  CHECK_FALSE(spec.process.no_new_privileges);
  REQUIRE(spec.linux.seccomp);

  for (const char* bad : {"no-new-privileges=maybe", "systempaths=confined", "writable-cgroups", "mystery=1"}) {
    ContainerSpec s = default_spec();
    ContainerRequest b;
    b.security_opt = {bad};
    auto refused = apply(s, b);
    INFO(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().starts_with(std::string("security_opt `") + bad + "`"));
  }
}

TEST_CASE("ulimits by docker's names, -1 unlimited, never above the caller's hard limit", "[engine]") {
  ContainerSpec spec = default_spec();
  REQUIRE(with_ulimits(spec, {{"nofile", 100, 200}, {"core", 0, 0}, {"nproc", -1, -1}}, {{"RLIMIT_NOFILE", 4096}}));
  auto find = [&](const std::string& type) {
    auto it = std::find_if(spec.process.rlimits.begin(), spec.process.rlimits.end(),
                           [&](const runtime::Rlimit& r) { return r.type == type; });
    REQUIRE(it != spec.process.rlimits.end());
    return *it;
  };
  CHECK(std::count_if(spec.process.rlimits.begin(), spec.process.rlimits.end(),
                      [](const runtime::Rlimit& r) { return r.type == "RLIMIT_NOFILE"; }) == 1);
  CHECK(find("RLIMIT_NOFILE").soft == 100);
  CHECK(find("RLIMIT_NOFILE").hard == 200);
  CHECK(find("RLIMIT_CORE").hard == 0);
  CHECK(find("RLIMIT_NPROC").hard == RLIM_INFINITY);

  struct Bad {
    Ulimit limit;
    const char* message;
  };
  const Bad cases[] = {
      {{"files", 1, 1}, "ulimits.files: unknown resource `files`"},
      {{"nofile", 10, 5}, "ulimits.nofile: soft limit 10 is above the hard limit 5"},
      {{"nofile", -2, 5}, "ulimits.nofile: a limit cannot be negative (-1 is unlimited)"},
      {{"nofile", 10, 5000},
       "ulimits.nofile: 5000 is above brick's own hard limit 4096 (raising it needs CAP_SYS_RESOURCE)"},
      {{"nofile", -1, -1},
       "ulimits.nofile: -1 is above brick's own hard limit 4096 (raising it needs CAP_SYS_RESOURCE)"},
  };
  for (const Bad& c : cases) {
    ContainerSpec s = default_spec();
    auto r = with_ulimits(s, {c.limit}, {{"RLIMIT_NOFILE", 4096}});
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == c.message);
  }

  auto parsed = parse_ulimit("nofile=1024:2048");
  REQUIRE(parsed);
  CHECK(*parsed == Ulimit{"nofile", 1024, 2048});
  CHECK(*parse_ulimit("NPROC=512") == Ulimit{"nproc", 512, 512});
  CHECK(parse_ulimit("nofile").error().message() == "invalid ulimit argument: nofile");
  CHECK(parse_ulimit("files=1").error().message() == "invalid ulimit type: files");
  CHECK(parse_ulimit("nofile=2:1").error().message() ==
        "ulimit soft limit must be less than or equal to hard limit: nofile=2:1");
  CHECK(parse_ulimit("nofile=x").error().message() == "invalid ulimit: 'x'");
}

TEST_CASE("one rlimit table: docker's names, the spec's names and the kernel's numbers agree", "[engine]") {
  CHECK(runtime::rlimit_names().size() == 16);
  for (const runtime::RlimitName& r : runtime::rlimit_names()) {
    CHECK(runtime::rlimit_by_docker_name(r.docker) == &r);
    CHECK(runtime::rlimit_by_spec_name(r.spec) == &r);
  }
  CHECK(runtime::rlimit_by_docker_name("nofile")->resource == RLIMIT_NOFILE);
  CHECK(runtime::rlimit_by_spec_name("RLIMIT_AS")->docker == "as");
  CHECK(runtime::rlimit_by_docker_name("NOFILE") == nullptr);
}

TEST_CASE("environment: docker's PATH, HOSTNAME and TERM, then the image's, then the request's", "[engine]") {
  ContainerSpec spec = default_spec();
  ContainerRequest r;
  r.hostname = "box";
  r.tty = true;
  r.env = {"LANG=C.UTF-8", "EXTRA=1"};
  with_environment(spec, {"PATH=/usr/bin:/bin", "LANG=C"}, r);
  CHECK(spec.process.env ==
        std::vector<std::string>{"PATH=/usr/bin:/bin", "HOSTNAME=box", "TERM=xterm", "LANG=C.UTF-8", "EXTRA=1"});

  ContainerSpec bare = default_spec();
  with_environment(bare, {}, {});
  CHECK(bare.process.env ==
        std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
}

TEST_CASE("a numeric user fills the spec, a name waits for the image's passwd", "[engine]") {
  ContainerSpec spec = default_spec();
  with_user(spec, "1000:100");
  CHECK(spec.process.user.uid == 1000);
  CHECK(spec.process.user.gid == 100);
  ContainerSpec named = default_spec();
  with_user(named, "nobody");
  CHECK(named.process.user.uid == 0);
  with_user(named, "1000:staff");
  CHECK(named.process.user.uid == 0);
  with_user(named, "99999999999");
  CHECK(named.process.user.uid == 0);
}

TEST_CASE("devices: docker's --device text, host nodes by major and minor, refused when not a device", "[engine]") {
  CHECK(*parse_device("/dev/fuse") == DeviceMapping{"/dev/fuse", "/dev/fuse", "rwm"});
  CHECK(*parse_device("/dev/sda:/dev/xvda") == DeviceMapping{"/dev/sda", "/dev/xvda", "rwm"});
  CHECK(*parse_device("/dev/sda:r") == DeviceMapping{"/dev/sda", "/dev/sda", "r"});
  CHECK(*parse_device("/dev/sda:/dev/xvda:rw") == DeviceMapping{"/dev/sda", "/dev/xvda", "rw"});
  CHECK(parse_device("/dev/a:/dev/b:rw:x").error().message() == "invalid device specification: /dev/a:/dev/b:rw:x");
  CHECK(parse_device("/dev/a:/dev/b:rx").error().message() == "invalid device mode: rx");
  CHECK_FALSE(parse_device("dev/a"));

  ContainerSpec spec = default_spec();
  const size_t rules = spec.linux.resources.devices.size();
  REQUIRE(with_devices(spec, {{"/dev/null", "/dev/mynull", "rw"}}));
  REQUIRE(spec.linux.devices.size() == 1);
  CHECK(spec.linux.devices[0].path == "/dev/mynull");
  CHECK(spec.linux.devices[0].type == 'c');
  CHECK(spec.linux.devices[0].major == 1);
  CHECK(spec.linux.devices[0].minor == 3);
  REQUIRE(spec.linux.resources.devices.size() == rules + 1);
  CHECK(spec.linux.resources.devices.back() == runtime::DeviceRule{true, 'c', 1, 3, "rw"});

  auto dir = TempDir::create("brick-devices");
  REQUIRE(dir);
  REQUIRE(write_file_atomic(dir->path() + "/plain", "x"));
  auto not_device = with_devices(spec, {{dir->path() + "/plain", "/dev/x", "rwm"}});
  REQUIRE_FALSE(not_device);
  CHECK(not_device.error().message() ==
        "device `" + dir->path() + "/plain:/dev/x`: `" + dir->path() + "/plain` is not a character or block device");
  CHECK_FALSE(with_devices(spec, {{"/dev/null", "/dev/x", "rwx"}}));
  CHECK(with_devices(spec, {{"/no/such/node", "/dev/x", "rw"}}).error().errno_value() == ENOENT);
}

TEST_CASE("entrypoint and cmd merge with the image's as docker's daemon does", "[engine]") {
  using Args = std::vector<std::string>;
  using Opt = std::optional<Args>;
  struct Case {
    const char* name;
    Opt entrypoint, cmd;
    Args want;
  };
  const Args image_entrypoint = {"/init"}, image_cmd = {"serve"};
  const Case cases[] = {
      {"image defaults", std::nullopt, std::nullopt, {"/init", "serve"}},
      {"cmd replaces the image's cmd", std::nullopt, Args{"echo", "hi"}, {"/init", "echo", "hi"}},
      {"an entrypoint drops the image's cmd", Args{"/bin/true"}, std::nullopt, {"/bin/true"}},
      {"entrypoint and cmd", Args{"env"}, Args{"ls"}, {"env", "ls"}},
      {"an empty entrypoint keeps the image's cmd", Args{}, std::nullopt, {"serve"}},
      {"an empty entrypoint with a cmd", Args{}, Args{"id"}, {"id"}},
      {"[\"\"] resets the entrypoint and drops the image's cmd", Args{""}, std::nullopt, {}},
      {"[\"\"] with a cmd", Args{""}, Args{"id"}, {"id"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    ContainerRequest r;
    r.entrypoint = c.entrypoint;
    r.cmd = c.cmd;
    CHECK(process_args(image_entrypoint, image_cmd, r) == c.want);
  }

  ContainerSpec spec = default_spec();
  ContainerRequest wd;
  REQUIRE(with_working_dir(spec, "", wd));
  CHECK(spec.process.cwd == "/");
  REQUIRE(with_working_dir(spec, "/app", wd));
  CHECK(spec.process.cwd == "/app");
  wd.working_dir = "/srv";
  REQUIRE(with_working_dir(spec, "/app", wd));
  CHECK(spec.process.cwd == "/srv");
  wd.working_dir = "srv";
  CHECK(with_working_dir(spec, "/app", wd).error().message() ==
        "the working directory 'srv' is invalid, it needs to be an absolute path");
}

TEST_CASE("resources: cgroup limits and /dev/shm, docker's checks", "[engine]") {
  ContainerSpec spec = default_spec();
  const auto devices = spec.linux.resources.devices;
  Resources r;
  r.memory = 64 << 20;
  r.memory_swap = -1;
  r.cpus = 1.5;
  r.pids_limit = 100;
  r.cpu_shares = 512;
  r.cpuset_cpus = "0-1";
  r.shm_size = 32 << 20;
  REQUIRE(with_resources(spec, r));
  const runtime::CgroupResources& c = spec.linux.resources;
  CHECK(c.memory_limit == int64_t{64 << 20});
  CHECK(c.memory_swap == -1);
  CHECK(c.cpu_period == 100000u);
  CHECK(c.cpu_quota == 150000);
  CHECK(c.pids_limit == 100);
  CHECK(c.cpu_shares == 512u);
  CHECK(c.cpuset_cpus == "0-1");
  CHECK(c.devices == devices);
  auto shm = std::find_if(spec.mounts.begin(), spec.mounts.end(),
                          [](const runtime::Mount& m) { return m.destination == "/dev/shm"; });
  REQUIRE(shm != spec.mounts.end());
  CHECK(contains(shm->options, "size=33554432"));

  struct Bad {
    Resources r;
    const char* message;
  };
  Resources small, negative, both, no_shm;
  small.memory = 1 << 20;
  negative.cpus = -1;
  both.cpus = 1;
  both.cpu_quota = 5000;
  no_shm.shm_size = 0;
  const Bad cases[] = {{small, "Minimum memory limit allowed is 6MB"},
                       {negative, "range of CPUs is from 0.01 to the number of CPUs"},
                       {both, "cpus cannot be combined with cpu_period or cpu_quota"},
                       {no_shm, "the size of /dev/shm must be positive, not 0"}};
  for (const Bad& b : cases) {
    ContainerSpec s = default_spec();
    auto refused = with_resources(s, b.r);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message() == b.message);
  }
}
