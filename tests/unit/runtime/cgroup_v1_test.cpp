// The cgroup v1 backend against TempDirs laid out like a legacy host (cpu and
// cpuacct comma-joined) and like this hybrid host (one hierarchy per
// controller, the memory cgroup below the own cgroup).
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/cgroup_backend.hpp"
#include "unit/runtime/cgroup_fixture.hpp"

using namespace brick;
using namespace brick::runtime;
using namespace brick::runtime::testing;

namespace {

using Writes = std::vector<std::pair<std::string, std::string>>;

struct V1Host {
  TempDir tmp = TempDir::create("cgroup-v1").value();
  CgroupLayout layout;
  cgroup_fs::WriteLog log;

  // `mounts`: hierarchy directory name -> own cgroup path in it.
  V1Host(const std::vector<std::pair<std::string, std::string>>& mounts, const std::string& mountinfo,
         const std::string& proc_cgroup) {
    for (const auto& [mount, own] : mounts) {
      std::string base = "sys/fs/cgroup/" + mount + own;
      put(tmp.path(), base + "/cgroup.procs", "");
      if (mount == "cpuset") {
        put(tmp.path(), base + "/cpuset.cpus", "0-3\n");
        put(tmp.path(), base + "/cpuset.mems", "0\n");
      }
      std::string dir = base;
      for (const char* part : {"brick", "demo", "c1"}) {
        dir += std::string("/") + part;
        put(tmp.path(), dir + "/cgroup.procs", "");
        if (mount == "cpuset") {
          put(tmp.path(), dir + "/cpuset.cpus", "\n");  // the kernel starts a child cpuset empty
          put(tmp.path(), dir + "/cpuset.mems", "\n");
        }
      }
      for (const char* f :
           {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes",
            "memory.usage_in_bytes", "cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpuacct.usage", "pids.max",
            "pids.current", "devices.allow", "devices.deny", "freezer.state"})
        if (std::string(f).starts_with(mount.substr(0, mount.find(',')) + ".") ||
            (mount == "cpu,cpuacct" && std::string(f).starts_with("cpuacct.")))
          put(tmp.path(), dir + "/" + f, "");
    }
    put(tmp.path(), "sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");  // read only on hybrid hosts
    layout = detect_cgroup_layout(mountinfo, proc_cgroup, tmp.path()).value();
    cgroup_fs::record_writes(&log);
  }
  ~V1Host() { cgroup_fs::record_writes(nullptr); }

  void set_file(const std::string& rel, const std::string& content) { put(tmp.path(), rel, content); }

  Writes writes() const {
    Writes out;
    for (const auto& [path, value] : log) out.emplace_back(path.substr(tmp.path().size()), value);
    return out;
  }
};

V1Host legacy_host() {
  return V1Host(
      {{"cpu,cpuacct", ""}, {"cpuset", ""}, {"memory", "/user/1"}, {"pids", ""}, {"devices", ""}, {"freezer", ""}},
      "27 25 0:23 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "28 25 0:24 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
      "29 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "30 25 0:26 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
      "31 25 0:27 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n"
      "32 25 0:28 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
      "33 25 0:29 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n",
      "6:name=systemd:/user/1\n5:freezer:/\n4:devices:/\n3:pids:/\n2:memory:/user/1\n1:cpuset:/\n0:cpu,cpuacct:/\n");
}

const std::string kMem = "/sys/fs/cgroup/memory/user/1/brick/demo/c1/";
const std::string kCpu = "/sys/fs/cgroup/cpu,cpuacct/brick/demo/c1/";

}  // namespace

TEST_CASE("v1: create copies the parent's cpuset into each new level and writes every limit") {
  V1Host host = legacy_host();
  host.set_file(kMem.substr(1) + "memory.limit_in_bytes", "9223372036854771712\n");
  CgroupResources r;
  r.memory_limit = 64 << 20;
  r.memory_reservation = 32 << 20;
  r.memory_swap = 128 << 20;
  r.cpu_shares = 512;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.cpuset_cpus = "1";
  r.pids_limit = 32;
  r.devices = {DeviceRule{true, 'c', 1, 3, "rwm"}, DeviceRule{true, 'c', -1, -1, "m"},
               DeviceRule{false, 'b', 8, 0, "r"}};
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", r);
  REQUIRE(cg);
  cg->keep();
  const std::string cs = "/sys/fs/cgroup/cpuset/brick";
  // The current limit (unlimited) is above the new memsw: memory first.
  CHECK(host.writes() == Writes{
                             {cs + "/cpuset.cpus", "0-3"},
                             {cs + "/cpuset.mems", "0"},
                             {cs + "/demo/cpuset.cpus", "0-3"},
                             {cs + "/demo/cpuset.mems", "0"},
                             {cs + "/demo/c1/cpuset.cpus", "0-3"},
                             {cs + "/demo/c1/cpuset.mems", "0"},
                             {kMem + "memory.limit_in_bytes", "67108864"},
                             {kMem + "memory.memsw.limit_in_bytes", "134217728"},
                             {kMem + "memory.soft_limit_in_bytes", "33554432"},
                             {kCpu + "cpu.shares", "512"},
                             {kCpu + "cpu.cfs_period_us", "100000"},
                             {kCpu + "cpu.cfs_quota_us", "50000"},
                             {cs + "/demo/c1/cpuset.cpus", "1"},
                             {"/sys/fs/cgroup/pids/brick/demo/c1/pids.max", "32"},
                             {"/sys/fs/cgroup/devices/brick/demo/c1/devices.deny", "a"},
                             {"/sys/fs/cgroup/devices/brick/demo/c1/devices.allow", "c 1:3 rwm"},
                             {"/sys/fs/cgroup/devices/brick/demo/c1/devices.allow", "c *:* m"},
                             {"/sys/fs/cgroup/devices/brick/demo/c1/devices.deny", "b 8:0 r"},
                         });
  CHECK(cg->directory("cpuacct") == host.tmp.path() + kCpu.substr(0, kCpu.size() - 1));
  CHECK(cg->directories().size() == 6);
}

TEST_CASE("v1: growing memory writes memsw first, so memory <= memsw holds at every step") {
  V1Host host = legacy_host();
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", {});
  REQUIRE(cg);
  cg->keep();
  host.set_file(kMem.substr(1) + "memory.limit_in_bytes", "67108864\n");
  host.log.clear();
  CgroupResources grow;
  grow.memory_limit = 256 << 20;
  grow.memory_swap = 512 << 20;
  REQUIRE(cg->set(grow));
  CHECK(host.writes() ==
        Writes{{kMem + "memory.memsw.limit_in_bytes", "536870912"}, {kMem + "memory.limit_in_bytes", "268435456"}});

  host.log.clear();
  CgroupResources unlimited;
  unlimited.memory_limit = -1;  // implies unlimited swap, written first
  REQUIRE(cg->set(unlimited));
  CHECK(host.writes() == Writes{{kMem + "memory.memsw.limit_in_bytes", "-1"}, {kMem + "memory.limit_in_bytes", "-1"}});

  CgroupResources below;
  below.memory_limit = 2000;
  below.memory_swap = 1000;
  auto refused = cg->set(below);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message().find("below the memory limit") != std::string::npos);
}

TEST_CASE("v1: a weight becomes shares, pids, kill and freeze use every hierarchy") {
  V1Host host = legacy_host();
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", {});
  REQUIRE(cg);
  cg->keep();
  host.log.clear();
  CgroupResources r;
  r.cpu_weight = 100;
  r.pids_limit = -1;
  REQUIRE(cg->set(r));
  REQUIRE(cg->add_process(42));
  CHECK(host.writes() == Writes{
                             {kCpu + "cpu.shares", "2597"},
                             {"/sys/fs/cgroup/pids/brick/demo/c1/pids.max", "max"},
                             {kCpu + "cgroup.procs", "42"},
                             {"/sys/fs/cgroup/cpuset/brick/demo/c1/cgroup.procs", "42"},
                             {kMem + "cgroup.procs", "42"},
                             {"/sys/fs/cgroup/pids/brick/demo/c1/cgroup.procs", "42"},
                             {"/sys/fs/cgroup/devices/brick/demo/c1/cgroup.procs", "42"},
                             {"/sys/fs/cgroup/freezer/brick/demo/c1/cgroup.procs", "42"},
                         });
  host.log.clear();
  // Plain files keep the pid written above; empty them so nothing real is
  // signalled. Empty cgroup.procs: SIGKILL finds nobody, so nothing is
  // frozen (nothing is left that could fork).
  for (const std::string& dir : cg->directories()) put(dir, "cgroup.procs", "");
  REQUIRE(cg->kill_all(SIGKILL));
  CHECK(host.writes().empty());

  host.set_file(kMem.substr(1) + "memory.usage_in_bytes", "8192\n");
  host.set_file("sys/fs/cgroup/pids/brick/demo/c1/pids.current", "2\n");
  host.set_file(kCpu.substr(1) + "cpuacct.usage", "123456\n");
  auto stats = cg->stats();
  REQUIRE(stats);
  CHECK(stats->memory_usage == 8192);
  CHECK(stats->pids_current == 2);
  CHECK(stats->cpu_usage_ns == 123456);
}

TEST_CASE("v1 on this hybrid host: memory below the own cgroup, cpu and cpuacct apart, unified left alone") {
  V1Host host({{"cpu", ""},
               {"cpuacct", ""},
               {"cpuset", ""},
               {"memory", kHybridMemoryCgroup},
               {"pids", ""},
               {"devices", ""},
               {"freezer", ""},
               {"blkio", ""}},
              kHybridMountinfo, kHybridProcCgroup);
  REQUIRE(host.layout.unified->controllers == std::vector<std::string>{"hugetlb"});
  REQUIRE(host.layout.mode == CgroupMode::hybrid);
  CgroupResources r;
  r.memory_limit = 64 << 20;
  r.cpu_shares = 512;
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", r);
  REQUIRE(cg);
  cg->keep();
  const std::string root = host.tmp.path() + "/sys/fs/cgroup/";
  CHECK(cg->directory("memory") == root + "memory" + kHybridMemoryCgroup + "/brick/demo/c1");
  CHECK(cg->directory("cpu") == root + "cpu/brick/demo/c1");
  CHECK(cg->directory("cpuacct") == root + "cpuacct/brick/demo/c1");
  CHECK(cg->directory("hugetlb").empty());
  CHECK(cg->directories().size() == 8);
  Writes w = host.writes();
  REQUIRE(w.size() == 8);  // 3 levels x cpus+mems, then memory and shares
  CHECK(w[6] == std::pair<std::string, std::string>{
                    "/sys/fs/cgroup/memory" + std::string(kHybridMemoryCgroup) + "/brick/demo/c1/memory.limit_in_bytes",
                    "67108864"});
  CHECK(w[7] == std::pair<std::string, std::string>{"/sys/fs/cgroup/cpu/brick/demo/c1/cpu.shares", "512"});
}

TEST_CASE("v1: kill_all reports an unreadable process list and leaves the cgroup thawed") {
  V1Host host = legacy_host();
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", {});
  REQUIRE(cg);
  cg->keep();
  for (const std::string& dir : cg->directories()) put(dir, "cgroup.procs", "");
  put(cg->directory("memory"), "cgroup.procs", "not-a-pid\n");
  host.log.clear();
  auto killed = cg->kill_all(SIGKILL);
  REQUIRE_FALSE(killed);
  CHECK(killed.error().message().find("`not-a-pid` is not a pid") != std::string::npos);
  // The list is read before anything is frozen: nothing to thaw.
  CHECK(host.writes().empty());
}

TEST_CASE("v1: kill_all of an empty cgroup freezes nothing") {
  // The usual end of a container: its pid namespace died with its init.
  V1Host host = legacy_host();
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", {});
  REQUIRE(cg);
  cg->keep();
  for (const std::string& dir : cg->directories()) put(dir, "cgroup.procs", "");
  host.log.clear();
  REQUIRE(cg->kill_all(SIGKILL));
  CHECK(host.writes().empty());
}

TEST_CASE("v1: destroy removes every hierarchy it can, even when one refuses") {
  V1Host host = legacy_host();
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", {});
  REQUIRE(cg);
  cg->keep();
  const std::vector<std::string> dirs = cg->directories();
  // Empty every directory but the first hierarchy's, as cgroupfs's would be
  // (its files go with rmdir); the first keeps a plain file, so rmdir fails.
  for (size_t i = 1; i < dirs.size(); ++i)
    for (const auto& entry : std::filesystem::directory_iterator(dirs[i])) std::filesystem::remove(entry.path());
  auto destroyed = cg->destroy();
  REQUIRE_FALSE(destroyed);
  CHECK(destroyed.error().message().find("removing cgroup `" + dirs[0] + "`") != std::string::npos);
  CHECK(std::filesystem::exists(dirs[0]));
  for (size_t i = 1; i < dirs.size(); ++i) {
    INFO(dirs[i]);
    CHECK_FALSE(std::filesystem::exists(dirs[i]));
  }
}

TEST_CASE("v1: a cgroup that fails half-way through its hierarchies is removed from all of them") {
  V1Host host = legacy_host();
  // brick/other/c2 is new: mkdir makes plain empty directories here, so the
  // cpuset hierarchy (the second) fails to read the cpus it should inherit,
  // after cpu,cpuacct got the whole path.
  auto cg = Cgroup::create(host.layout, "brick/other/c2", {});
  REQUIRE_FALSE(cg);
  CHECK(cg.error().message().find("cpuset.cpus") != std::string::npos);
  const std::string root = host.tmp.path() + "/sys/fs/cgroup/";
  for (const char* hierarchy : {"cpu,cpuacct", "cpuset", "memory/user/1", "pids", "devices", "freezer"}) {
    INFO(hierarchy);
    CHECK_FALSE(std::filesystem::exists(root + hierarchy + "/brick/other"));
    CHECK(std::filesystem::exists(root + hierarchy + "/brick/demo/c1"));  // a neighbour stays
  }
}
