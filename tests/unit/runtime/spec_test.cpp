// ContainerSpec: runc's defaults, and config.json text that round-trips.
#include "runtime/spec.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace brick;
using namespace brick::runtime;

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

const Mount* find_mount(const ContainerSpec& spec, const std::string& destination) {
  for (const Mount& m : spec.mounts)
    if (m.destination == destination) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("default_spec carries runc's mounts", "[spec]") {
  ContainerSpec spec = default_spec();
  struct Case {
    const char* destination;
    const char* type;
    const char* option;
  };
  for (const Case& c :
       {Case{"/proc", "proc", "nosuid"}, Case{"/dev", "tmpfs", "mode=755"}, Case{"/dev/pts", "devpts", "newinstance"},
        Case{"/dev/pts", "devpts", "ptmxmode=0666"}, Case{"/dev/shm", "tmpfs", "size=65536k"},
        Case{"/dev/mqueue", "mqueue", "nodev"}, Case{"/sys", "sysfs", "ro"}}) {
    INFO(c.destination << " " << c.option);
    const Mount* m = find_mount(spec, c.destination);
    REQUIRE(m != nullptr);
    CHECK(m->type == c.type);
    CHECK(contains(m->options, c.option));
  }
  // /dev must come before what is mounted beneath it, or the tmpfs hides them.
  CHECK(spec.mounts[1].destination == "/dev");
}

TEST_CASE("default_spec masks and protects /proc and /sys", "[spec]") {
  ContainerSpec spec = default_spec();
  for (const char* p :
       {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"})
    CHECK(contains(spec.linux.masked_paths, p));
  for (const char* p : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"})
    CHECK(contains(spec.linux.readonly_paths, p));
  for (const char* ns : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) CHECK(spec.has_namespace(ns));
  CHECK_FALSE(spec.has_namespace("user"));
  REQUIRE_FALSE(spec.process.env.empty());
  CHECK(spec.process.env[0].starts_with("PATH=/usr/local/sbin:"));
  CHECK(spec.process.capabilities.bounding.size() == 14);
  CHECK(contains(spec.process.capabilities.bounding, "CAP_NET_BIND_SERVICE"));
  CHECK_FALSE(contains(spec.process.capabilities.bounding, "CAP_SYS_ADMIN"));
  CHECK(spec.process.capabilities.ambient.empty());
}

TEST_CASE("config.json round trip", "[spec]") {
  ContainerSpec spec = default_spec();
  spec.root = {"/var/lib/brick/rootfs", true};
  spec.process.args = {"sh", "-c", "echo hi"};
  spec.process.user = {1000, 1000, {10, 20}};
  spec.process.cwd = "/work";
  spec.hostname = "web";
  spec.mounts.push_back({"/data", "bind", "/srv/data", {"rbind", "ro"}});
  spec.linux.sysctl["net.ipv4.ip_forward"] = "1";
  spec.linux.cgroups_path = "brick/demo/web";
  spec.linux.resources.memory_limit = 64 << 20;
  spec.linux.resources.cpu_shares = 512;
  spec.linux.resources.cpu_weight = 20;
  spec.linux.resources.pids_limit = 100;
  // default_spec's allow-list replaced by a short one.
  spec.linux.resources.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rw"}};
  spec.linux.devices.push_back({"/dev/nvidia0", 'c', 195, 0, 0666, 0, 44});
  spec.ld_library_dirs = {"/usr/lib/x86_64-linux-gnu"};
  spec.hooks.create_container.push_back({"/usr/bin/nvidia-ctk", {"nvidia-ctk", "hook", "chmod"}, {"A=1"}, 5});
  spec.hooks.poststop.push_back({"/bin/cleanup", {}, {}, {}});

  const std::string text = spec_to_json(spec);
  auto doc = nlohmann::json::parse(text);
  CHECK(doc["ociVersion"] == "1.0.2");
  CHECK(doc["process"]["user"]["additionalGids"] == nlohmann::json({10, 20}));
  CHECK(doc["linux"]["maskedPaths"].is_array());
  CHECK(doc["linux"]["resources"]["memory"]["limit"] == 64 << 20);
  CHECK(doc["linux"]["resources"]["devices"][0].contains("major") == false);

  auto back = parse_spec(text);
  REQUIRE(back);
  CHECK(spec_to_json(*back) == text);
  CHECK(back->process.args == spec.process.args);
  CHECK(back->process.user.additional_gids == std::vector<uint32_t>{10, 20});
  CHECK(back->mounts == spec.mounts);
  CHECK(back->linux.sysctl == spec.linux.sysctl);
  CHECK(back->linux.resources.cpu_weight == 20u);
  CHECK(back->linux.resources.devices[1].type == 'c');
  CHECK(back->linux.resources.devices[1].minor == 3);
  CHECK(back->linux.devices == spec.linux.devices);
  CHECK(doc["linux"]["devices"][0]["fileMode"] == 0666);
  CHECK(back->root.readonly);
  // brick's own key, outside the OCI ones runc reads.
  CHECK(doc["brick"]["ldLibraryDirs"] == nlohmann::json({"/usr/lib/x86_64-linux-gnu"}));
  CHECK(back->ld_library_dirs == spec.ld_library_dirs);
  CHECK_FALSE(nlohmann::json::parse(spec_to_json(default_spec())).contains("brick"));
  // Hooks under the OCI keys, as runc reads them.
  CHECK(doc["hooks"]["createContainer"][0] == nlohmann::json({{"path", "/usr/bin/nvidia-ctk"},
                                                              {"args", {"nvidia-ctk", "hook", "chmod"}},
                                                              {"env", {"A=1"}},
                                                              {"timeout", 5}}));
  CHECK(doc["hooks"]["poststop"][0] == nlohmann::json({{"path", "/bin/cleanup"}}));
  CHECK(back->hooks == spec.hooks);
  CHECK_FALSE(nlohmann::json::parse(spec_to_json(default_spec())).contains("hooks"));
}

TEST_CASE("default_spec carries docker's device allow-list", "[spec]") {
  ContainerSpec spec = default_spec();
  const auto& rules = spec.linux.resources.devices;
  REQUIRE(rules.size() == default_device_rules().size());
  CHECK_FALSE(rules.front().allow);  // deny everything first
  CHECK(rules.front().type == 'a');
  auto allowed = [&](char type, int64_t major, int64_t minor) {
    for (const DeviceRule& r : rules)
      if (r.allow && r.type == type && r.major == major && r.minor == minor && r.access == "rwm") return true;
    return false;
  };
  CHECK(allowed('c', 1, 3));     // null
  CHECK(allowed('c', 1, 9));     // urandom
  CHECK(allowed('c', 5, 2));     // ptmx
  CHECK(allowed('c', 136, -1));  // pts
  CHECK(allowed('c', 10, 229));  // fuse
  CHECK_FALSE(allowed('c', 195, 0));
}

TEST_CASE("parse_spec reports malformed documents", "[spec]") {
  CHECK_FALSE(parse_spec("{"));
  auto wrong_type = parse_spec(R"({"process": {"args": "sh"}})");
  REQUIRE_FALSE(wrong_type);
  CHECK(wrong_type.error().message().starts_with("parsing container config: "));
  auto minimal = parse_spec(R"({"process": {"args": ["sh"]}, "root": {"path": "/r"}})");
  REQUIRE(minimal);
  CHECK(minimal->process.cwd == "/");
  CHECK(minimal->root.path == "/r");
}
