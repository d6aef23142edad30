// Capabilities by name, docker's cap_add/cap_drop rules, seccomp profiles
// (docker's default and JSON files) and users resolved from fixture files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/seccomp.hpp"
#include "runtime/security.hpp"
#include "runtime/user.hpp"

using namespace brick;
using namespace brick::runtime;

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Every rule of `s` naming `syscall`.
std::vector<SeccompSyscall> rules_for(const Seccomp& s, const std::string& syscall) {
  std::vector<SeccompSyscall> out;
  for (const SeccompSyscall& sc : s.syscalls)
    if (contains(sc.names, syscall)) out.push_back(sc);
  return out;
}

TempDir image_with(const std::string& passwd, const std::string& group) {
  auto dir = TempDir::create("brick-user");
  REQUIRE(dir);
  std::filesystem::create_directories(dir->path() + "/etc");
  if (!passwd.empty()) REQUIRE(write_file_atomic(dir->path() + "/etc/passwd", passwd));
  if (!group.empty()) REQUIRE(write_file_atomic(dir->path() + "/etc/group", group));
  return std::move(*dir);
}

const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "broken line\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "bob:x:1000:1000:Bob:/home/bob:/bin/sh\n"
    "42:x:4200:4200::/home/fortytwo:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
const char* kGroup =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "bob:x:1000:\n"
    "audio:x:29:bob,alice\n"
    "video:x:44:alice\n"
    "staff:x:50:bob\n"
    "nogroup:x:65534:\n";

}  // namespace

TEST_CASE("capability names normalize and map to bits", "[capabilities]") {
  CHECK(*normalize_capability("chown") == "CAP_CHOWN");
  CHECK(*normalize_capability("Cap_Net_Admin") == "CAP_NET_ADMIN");
  CHECK(*capability_mask({"CAP_CHOWN", "kill", "CAP_SYS_ADMIN"}) == ((1ULL << 0) | (1ULL << 5) | (1ULL << 21)));
  auto bad = capability_mask({"CAP_FLY"});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() == "unknown capability `CAP_FLY`");
  CHECK(all_capabilities().size() == static_cast<size_t>(last_capability() + 1));
  CHECK(contains(all_capabilities(), "CAP_SYS_ADMIN"));
  // docker's 14, as moby's oci/caps/defaults.go lists them.
  CHECK(*capability_mask(default_capabilities()) == 0xa80425fbULL);
}

TEST_CASE("cap_add / cap_drop / privileged follow docker's rules", "[capabilities]") {
  auto plain = effective_capabilities({});
  REQUIRE(plain);
  CHECK(*plain == default_capabilities());

  auto tweaked = effective_capabilities({{"NET_ADMIN"}, {"chown", "CAP_KILL"}, false});
  REQUIRE(tweaked);
  CHECK(contains(*tweaked, "CAP_NET_ADMIN"));
  CHECK_FALSE(contains(*tweaked, "CAP_CHOWN"));
  CHECK_FALSE(contains(*tweaked, "CAP_KILL"));
  CHECK(tweaked->size() == default_capabilities().size() - 1);

  auto only = effective_capabilities({{"NET_BIND_SERVICE"}, {"ALL"}, false});
  REQUIRE(only);
  CHECK(*only == std::vector<std::string>{"CAP_NET_BIND_SERVICE"});

  auto all_but = effective_capabilities({{"ALL"}, {"SYS_ADMIN"}, false});
  REQUIRE(all_but);
  CHECK(all_but->size() == all_capabilities().size() - 1);
  CHECK_FALSE(contains(*all_but, "CAP_SYS_ADMIN"));

  auto privileged = effective_capabilities({{}, {"ALL"}, true});
  REQUIRE(privileged);
  CHECK(*privileged == all_capabilities());

  auto bad = effective_capabilities({{"CAP_TELEPORT"}, {}, false});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() == "cap_add: unknown capability `CAP_TELEPORT`");
}

TEST_CASE("docker's default seccomp profile depends on the capabilities", "[seccomp]") {
  Seccomp plain = default_seccomp(default_capabilities());
  CHECK(plain.default_action == "SCMP_ACT_ERRNO");
  CHECK(plain.default_errno_ret == 1u);  // EPERM
#if defined(__x86_64__)
  CHECK(plain.architectures == std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
  CHECK(rules_for(plain, "arch_prctl").size() == 1);
#endif
  CHECK(rules_for(plain, "mount").empty());
  CHECK(rules_for(plain, "init_module").empty());
  CHECK(rules_for(plain, "chroot").size() == 1);  // CAP_SYS_CHROOT is a default
  // clone: only without namespace flags; clone3: ENOSYS so libc falls back.
  auto clone = rules_for(plain, "clone");
  REQUIRE(clone.size() == 1);
  CHECK(clone[0].args == std::vector<SeccompArg>{{0, 0x7e020000, 0, "SCMP_CMP_MASKED_EQ"}});
  auto clone3 = rules_for(plain, "clone3");
  REQUIRE(clone3.size() == 1);
  CHECK(clone3[0].action == "SCMP_ACT_ERRNO");
  CHECK(clone3[0].errno_ret == 38u);  // ENOSYS
  CHECK(rules_for(plain, "personality").size() == 5);
  auto socket = rules_for(plain, "socket");
  REQUIRE(socket.size() == 1);
  CHECK(socket[0].args == std::vector<SeccompArg>{{0, 40, 0, "SCMP_CMP_NE"}});

  std::vector<std::string> admin = default_capabilities();
  admin.push_back("CAP_SYS_ADMIN");
  admin.push_back("CAP_SYS_MODULE");
  Seccomp privileged = default_seccomp(admin);
  CHECK(rules_for(privileged, "mount").size() == 1);
  CHECK(rules_for(privileged, "init_module").size() == 1);
  auto free_clone = rules_for(privileged, "clone");
  REQUIRE(free_clone.size() == 1);
  CHECK(free_clone[0].args.empty());
  CHECK(rules_for(privileged, "clone3")[0].action == "SCMP_ACT_ALLOW");

  auto program = compile_seccomp(plain);
  REQUIRE(program);
  CHECK(program->size() > 100);
  auto again = compile_seccomp(plain);
  REQUIRE(again);
  CHECK(again->size() == program->size());
  auto other = compile_seccomp(privileged);
  REQUIRE(other);
  CHECK(other->size() != program->size());
}

TEST_CASE("docker-format seccomp profiles: includes, excludes, archMap, errors", "[seccomp]") {
  const char* profile = R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 38,
    "archMap": [
      {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
      {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
    ],
    "syscalls": [
      {"names": ["read", "write", "no_such_syscall"], "action": "SCMP_ACT_ALLOW"},
      {"name": "getpid", "action": "SCMP_ACT_ALLOW"},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"caps": ["CAP_KILL"]}},
      {"names": ["future"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
      {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 1, "value": 21505, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 21506, "op": "SCMP_CMP_EQ"}]}
    ]
  })";
  auto parsed = parse_docker_seccomp_profile(profile, {"CAP_KILL"});
  REQUIRE(parsed);
  CHECK(parsed->default_errno_ret == 38u);
#if defined(__x86_64__)
  CHECK(parsed->architectures == std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"});
#endif
  CHECK(rules_for(*parsed, "getpid").size() == 1);
  CHECK(rules_for(*parsed, "mount").empty());
  CHECK(rules_for(*parsed, "kill").empty());
  CHECK(rules_for(*parsed, "future").empty());
  // Unknown syscalls are skipped and one index twice becomes two rules.
  REQUIRE(compile_seccomp(*parsed));

  auto bad_action = parse_docker_seccomp_profile(R"({"defaultAction": "SCMP_ACT_EXPLODE"})", {});
  REQUIRE_FALSE(bad_action);
  CHECK(bad_action.error().message() == "seccomp profile: unknown seccomp action `SCMP_ACT_EXPLODE`");
  CHECK_FALSE(parse_docker_seccomp_profile("{", {}));
  CHECK_FALSE(parse_docker_seccomp_profile(R"({"syscalls": [{"names": "read"}]})", {}));
}

TEST_CASE("seccomp survives a config.json round trip", "[seccomp]") {
  ContainerSpec spec = default_spec();
  auto back = parse_spec(spec_to_json(spec));
  REQUIRE(back);
  REQUIRE(back->linux.seccomp);
  CHECK(*back->linux.seccomp == *spec.linux.seccomp);
  spec.linux.seccomp.reset();
  auto none = parse_spec(spec_to_json(spec));
  REQUIRE(none);
  CHECK_FALSE(none->linux.seccomp);
}

TEST_CASE("sysctls must stay in the container's namespaces", "[security]") {
  ContainerSpec spec = default_spec();
  CHECK(check_sysctl(spec, "net.ipv4.ip_forward"));
  CHECK(check_sysctl(spec, "kernel.shmmax"));
  CHECK(check_sysctl(spec, "fs.mqueue.msg_max"));
  auto host = check_sysctl(spec, "vm.swappiness");
  REQUIRE_FALSE(host);
  CHECK(host.error().message() == "sysctl `vm.swappiness` is not namespaced: setting it would change the host");
  spec.linux.namespaces.erase(std::remove_if(spec.linux.namespaces.begin(), spec.linux.namespaces.end(),
                                             [](const Namespace& ns) { return ns.type == "network"; }),
                              spec.linux.namespaces.end());
  auto host_net = check_sysctl(spec, "net.ipv4.ip_forward");
  REQUIRE_FALSE(host_net);
  CHECK(host_net.error().message() == "sysctl `net.ipv4.ip_forward` needs the container's own network namespace");
}

TEST_CASE("a sysctl key must be a name: no slash, no empty part", "[security]") {
  ContainerSpec spec = default_spec();
  // Dots become slashes in /proc/sys: these would name other files.
  for (const char* key : {"net.ipv4/../../kernel/core_pattern", "net..ipv4", ".net.ipv4", "net.", "", "net.ip v4"}) {
    auto refused = check_sysctl(spec, key);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message() ==
          "sysctl `" + std::string(key) + "` is not a sysctl name (letters, digits, `_` and `-`, parts joined by `.`)");
  }
  CHECK(check_sysctl(spec, "net.ipv4.conf.all.accept_redirects"));
  CHECK(check_sysctl(spec, "net.ipv4.tcp_keepalive_time"));
}

TEST_CASE("net sysctls are refused in a joined network namespace that is the host's", "[security]") {
  // `container:NAME` (or compose's `service:X`) where NAME shares the host's
  // network: the namespace joined by path is the one brick runs in.
  ContainerSpec spec = default_spec();
  for (Namespace& ns : spec.linux.namespaces)
    if (ns.type == "network") ns.path = "/proc/self/ns/net";
  auto joined = check_sysctl(spec, "net.ipv4.ip_forward");
  REQUIRE_FALSE(joined);
  CHECK(joined.error().message() ==
        "sysctl `net.ipv4.ip_forward` needs the container's own network namespace: the one it joins is the host's");
  CHECK(check_sysctl(spec, "kernel.shmmax"));  // only net.* belongs to the network namespace

  // Another namespace (here any other file) is the container's own.
  for (Namespace& ns : spec.linux.namespaces)
    if (ns.type == "network") ns.path = "/proc/self/ns/uts";
  CHECK(check_sysctl(spec, "net.ipv4.ip_forward"));
}

TEST_CASE("users resolve against the image's passwd and group files", "[user]") {
  TempDir image = image_with(kPasswd, kGroup);
  auto root = resolve_user(image.path(), "");
  REQUIRE(root);
  CHECK(root->uid == 0);
  CHECK(root->gid == 0);
  CHECK(root->home == "/root");

  auto bob = resolve_user(image.path(), "bob");
  REQUIRE(bob);
  CHECK(bob->uid == 1000);
  CHECK(bob->gid == 1000);
  CHECK(bob->additional_gids == std::vector<uint32_t>{29, 50});
  CHECK(bob->home == "/home/bob");

  auto by_uid = resolve_user(image.path(), "1000");
  REQUIRE(by_uid);
  CHECK(by_uid->uid == 1000);
  CHECK(by_uid->home == "/home/bob");

  // A name that looks like a number is a name first.
  auto named_42 = resolve_user(image.path(), "42");
  REQUIRE(named_42);
  CHECK(named_42->uid == 4200);

  auto unknown_uid = resolve_user(image.path(), "1234:5678");
  REQUIRE(unknown_uid);
  CHECK(unknown_uid->uid == 1234);
  CHECK(unknown_uid->gid == 5678);
  CHECK(unknown_uid->additional_gids.empty());
  CHECK(unknown_uid->home == "/");

  // An explicit group replaces the primary one and drops the implicit extras.
  auto bob_video = resolve_user(image.path(), "bob:video");
  REQUIRE(bob_video);
  CHECK(bob_video->gid == 44);
  CHECK(bob_video->additional_gids.empty());

  auto with_extra = resolve_user(image.path(), "nobody", {"audio", "1234"});
  REQUIRE(with_extra);
  CHECK(with_extra->uid == 65534);
  CHECK(with_extra->additional_gids == std::vector<uint32_t>{29, 1234});

  auto no_user = resolve_user(image.path(), "alice");
  REQUIRE_FALSE(no_user);
  CHECK(no_user.error().message() == "user `alice` not found in the image's /etc/passwd");
  auto no_group = resolve_user(image.path(), "bob:wheel");
  REQUIRE_FALSE(no_group);
  CHECK(no_group.error().message() == "group `wheel` not found in the image's /etc/group");
  auto too_big = resolve_user(image.path(), "4294967296");
  REQUIRE_FALSE(too_big);
  CHECK(too_big.error().message() == "uid `4294967296` is out of range 0-2147483647");
}

TEST_CASE("users: images without passwd, and symlinks that point out of the image", "[user]") {
  TempDir scratch = image_with("", "");
  auto numeric = resolve_user(scratch.path(), "1000:1000");
  REQUIRE(numeric);
  CHECK(numeric->uid == 1000);
  auto named = resolve_user(scratch.path(), "bob");
  REQUIRE_FALSE(named);
  CHECK(named.error().message() == "user `bob` not found: the image has no /etc/passwd");

  // /etc/passwd -> the host's /etc/hostname must resolve beneath the image:
  // here, to a file the image does not have.
  TempDir hostile = image_with("", "");
  std::filesystem::create_symlink("../../../../../../../../etc/hostname", hostile.path() + "/etc/passwd");
  auto root = resolve_user(hostile.path(), "root");
  REQUIRE_FALSE(root);
  CHECK(root.error().message() == "user `root` not found: the image has no /etc/passwd");

  ContainerSpec spec = default_spec();
  TempDir image = image_with(kPasswd, kGroup);
  spec.root.path = image.path();
  REQUIRE(apply_user(spec, "bob"));
  CHECK(spec.process.user.uid == 1000);
  CHECK(contains(spec.process.env, "HOME=/home/bob"));
  spec.process.env.push_back("HOME=/custom");
  ContainerSpec kept = spec;
  kept.process.env = {"HOME=/custom"};
  REQUIRE(apply_user(kept, "bob"));
  CHECK(kept.process.env == std::vector<std::string>{"HOME=/custom"});
}

TEST_CASE("compiled filters are cached on disk and only used for the exact filter", "[seccomp]") {
  auto dir = TempDir::create("brick-seccomp-cache");
  REQUIRE(dir);
  const std::string cache = dir->path() + "/cache";
  set_seccomp_cache_directory(cache);
  Seccomp first = default_seccomp({"CAP_KILL"});
  first.syscalls.push_back({{"getpid"}, "SCMP_ACT_ERRNO", 7u, {}});
  Seccomp second = first;
  second.syscalls.back().errno_ret = 8u;

  auto compiled = compile_seccomp(first);
  REQUIRE(compiled);
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(cache)) files.push_back(entry.path());
  REQUIRE(files.size() == 1);
  // A file whose recorded filter does not match is recompiled over.
  REQUIRE(write_file_atomic(files[0], "not this filter"));
  REQUIRE(compile_seccomp(second));  // evicts `first` from the in-memory cache
  auto again = compile_seccomp(first);
  REQUIRE(again);
  REQUIRE(again->size() == compiled->size());
  CHECK(std::memcmp(again->data(), compiled->data(), compiled->size() * sizeof(sock_filter)) == 0);
  CHECK(read_file(files[0])->size() > compiled->size() * sizeof(sock_filter));
  set_seccomp_cache_directory("");
}
