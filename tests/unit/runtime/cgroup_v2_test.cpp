// The cgroup v2 backend against a TempDir laid out like a pure v2 host. The
// files are pre-created (cgroupfs would make them at mkdir); the write log
// records every value in the order the kernel would see it.
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

std::string slurp(const std::string& root, const std::string& rel) { return read_file(root + "/" + rel).value(); }

struct V2Host {
  TempDir tmp = TempDir::create("cgroup-v2").value();
  CgroupLayout layout;
  cgroup_fs::WriteLog log;

  V2Host() {
    const std::string all = "cpuset cpu io memory hugetlb pids rdma misc\n";
    put(tmp.path(), "sys/fs/cgroup/cgroup.controllers", all);
    put(tmp.path(), "sys/fs/cgroup/cgroup.subtree_control", "");
    // brick/ already delegates memory: only what is missing gets enabled.
    put(tmp.path(), "sys/fs/cgroup/brick/cgroup.controllers", "cpuset cpu io memory pids\n");
    put(tmp.path(), "sys/fs/cgroup/brick/cgroup.subtree_control", "memory pids\n");
    put(tmp.path(), "sys/fs/cgroup/brick/demo/cgroup.controllers", "cpu memory pids\n");
    put(tmp.path(), "sys/fs/cgroup/brick/demo/cgroup.subtree_control", "");
    for (const char* f : {"memory.max", "memory.low", "memory.swap.max", "cpu.weight", "cpu.max", "cpuset.cpus",
                          "cpuset.mems", "pids.max", "cgroup.procs", "cgroup.kill", "cgroup.freeze"})
      put(tmp.path(), std::string("sys/fs/cgroup/brick/demo/c1/") + f, "");
    put(tmp.path(), "sys/fs/cgroup/brick/demo/c1/memory.current", "4096\n");
    put(tmp.path(), "sys/fs/cgroup/brick/demo/c1/pids.current", "3\n");
    put(tmp.path(), "sys/fs/cgroup/brick/demo/c1/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
    put(tmp.path(), "sys/fs/cgroup/brick/demo/c1/cgroup.events", "populated 0\nfrozen 1\n");
    const char* mountinfo = "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
    layout = detect_cgroup_layout(mountinfo, "0::/\n", tmp.path()).value();
    cgroup_fs::record_writes(&log);
  }
  ~V2Host() { cgroup_fs::record_writes(nullptr); }

  // The log with the fixture root taken off each path.
  std::vector<std::pair<std::string, std::string>> writes() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [path, value] : log) out.emplace_back(path.substr(tmp.path().size()), value);
    return out;
  }
};

using Writes = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("v2: create enables controllers down the tree and writes every limit to its file") {
  V2Host host;
  CgroupResources r;
  r.memory_limit = 64 << 20;
  r.memory_reservation = 32 << 20;
  r.memory_swap = 128 << 20;
  r.cpu_shares = 1024;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.cpuset_cpus = "0-1";
  r.cpuset_mems = "0";
  r.pids_limit = 32;
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", r);
  REQUIRE(cg);
  cg->keep();
  CHECK(cg->directories() == std::vector<std::string>{host.tmp.path() + "/sys/fs/cgroup/brick/demo/c1"});
  CHECK(host.writes() == Writes{
                             {"/sys/fs/cgroup/cgroup.subtree_control", "+cpu +cpuset +io +memory +pids"},
                             {"/sys/fs/cgroup/brick/cgroup.subtree_control", "+cpu +cpuset +io"},
                             {"/sys/fs/cgroup/brick/demo/cgroup.subtree_control", "+cpu +memory +pids"},
                             {"/sys/fs/cgroup/brick/demo/c1/memory.max", "67108864"},
                             {"/sys/fs/cgroup/brick/demo/c1/memory.low", "33554432"},
                             {"/sys/fs/cgroup/brick/demo/c1/memory.swap.max", "67108864"},
                             {"/sys/fs/cgroup/brick/demo/c1/cpu.weight", "39"},
                             {"/sys/fs/cgroup/brick/demo/c1/cpu.max", "50000 100000"},
                             {"/sys/fs/cgroup/brick/demo/c1/cpuset.cpus", "0-1"},
                             {"/sys/fs/cgroup/brick/demo/c1/cpuset.mems", "0"},
                             {"/sys/fs/cgroup/brick/demo/c1/pids.max", "32"},
                         });
  CHECK(slurp(host.tmp.path(), "sys/fs/cgroup/brick/demo/c1/memory.max") == "67108864");
}

TEST_CASE("v2: unlimited values are written as max, an explicit weight wins over shares") {
  V2Host host;
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", {});
  REQUIRE(cg);
  cg->keep();
  host.log.clear();
  CgroupResources r;
  r.memory_limit = -1;
  r.memory_swap = -1;
  r.cpu_shares = 1024;
  r.cpu_weight = 500;
  r.cpu_quota = -1;
  r.pids_limit = 0;
  REQUIRE(cg->set(r));
  CHECK(host.writes() == Writes{
                             {"/sys/fs/cgroup/brick/demo/c1/memory.max", "max"},
                             {"/sys/fs/cgroup/brick/demo/c1/memory.swap.max", "max"},
                             {"/sys/fs/cgroup/brick/demo/c1/cpu.weight", "500"},
                             {"/sys/fs/cgroup/brick/demo/c1/cpu.max", "max"},
                             {"/sys/fs/cgroup/brick/demo/c1/pids.max", "max"},
                         });
}

TEST_CASE("v2: swap alone is computed against the current memory.max, and refused without one") {
  V2Host host;
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", {});
  REQUIRE(cg);
  cg->keep();
  put(host.tmp.path(), "sys/fs/cgroup/brick/demo/c1/memory.max", "max\n");
  CgroupResources swap_only;
  swap_only.memory_swap = 100;
  auto refused = cg->set(swap_only);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message().find("needs a memory limit") != std::string::npos);

  put(host.tmp.path(), "sys/fs/cgroup/brick/demo/c1/memory.max", "1000\n");
  host.log.clear();
  swap_only.memory_swap = 1500;
  REQUIRE(cg->set(swap_only));
  CHECK(host.writes() == Writes{{"/sys/fs/cgroup/brick/demo/c1/memory.swap.max", "500"}});

  CgroupResources below;
  below.memory_limit = 2000;
  below.memory_swap = 1000;
  REQUIRE_FALSE(cg->set(below));
}

TEST_CASE("v2: processes, stats, cgroup.kill and freeze use the v2 files") {
  V2Host host;
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", {});
  REQUIRE(cg);
  cg->keep();
  host.log.clear();
  REQUIRE(cg->add_process(1234));
  // The plain file keeps the pid; empty it so nothing real is signalled.
  put(cg->directory("pids"), "cgroup.procs", "");
  REQUIRE(cg->kill_all(SIGKILL));
  REQUIRE(cg->freeze());
  CHECK(host.writes() == Writes{
                             {"/sys/fs/cgroup/brick/demo/c1/cgroup.procs", "1234"},
                             {"/sys/fs/cgroup/brick/demo/c1/cgroup.kill", "1"},
                             {"/sys/fs/cgroup/brick/demo/c1/cgroup.freeze", "1"},
                         });
  auto stats = cg->stats();
  REQUIRE(stats);
  CHECK(stats->memory_usage == 4096);
  CHECK(stats->pids_current == 3);
  CHECK(stats->cpu_usage_ns == 1500000);
}

TEST_CASE("v2: device rules go to a BPF program attached to the cgroup directory") {
  // A temp dir is no cgroup2 directory (and without root no program loads):
  // the attach fails, naming the directory, and the cgroup is removed again.
  V2Host host;
  CgroupResources r;
  r.devices.push_back(DeviceRule{true, 'c', 1, 3, "rwm"});
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", r);
  REQUIRE_FALSE(cg);
  CHECK(cg.error().message().find("attaching the device filter to `" + host.tmp.path() +
                                  "/sys/fs/cgroup/brick/demo/c1`") != std::string::npos);
  CHECK(cg.error().message().find("creating cgroup `brick/demo/c1`") == 0);
}

TEST_CASE("cgroup paths may not climb out of the own cgroup") {
  V2Host host;
  for (const char* bad : {"brick/../../etc", "", "/", "brick/./x"}) {
    auto cg = Cgroup::create(host.layout, bad, {});
    CHECK_FALSE(cg);
  }
  CHECK(host.log.empty());
}

TEST_CASE("a missing controller file is an error naming the file and the value") {
  V2Host host;
  std::filesystem::remove(host.tmp.path() + "/sys/fs/cgroup/brick/demo/c1/pids.max");
  CgroupResources r;
  r.pids_limit = 7;
  auto cg = Cgroup::create(host.layout, "brick/demo/c1", r);
  REQUIRE_FALSE(cg);
  CHECK(cg.error().errno_value() == ENOENT);
  CHECK(cg.error().message().find("writing `7` to `" + host.tmp.path() + "/sys/fs/cgroup/brick/demo/c1/pids.max`") !=
        std::string::npos);
}
