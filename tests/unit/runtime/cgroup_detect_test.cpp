// Detection of the cgroup layout from mountinfo and /proc/self/cgroup texts,
// with cgroup.controllers read from a TempDir laid out like /sys/fs/cgroup.
#include <catch2/catch.hpp>

#include "base/temp_dir.hpp"
#include "runtime/cgroup.hpp"
#include "unit/runtime/cgroup_fixture.hpp"

using namespace brick;
using namespace brick::runtime;
using namespace brick::runtime::testing;

TEST_CASE("this hybrid host: v1 per controller, memory below the own cgroup, cgroup2 with hugetlb") {
  TempDir tmp = TempDir::create("cgroup-detect").value();
  put(tmp.path(), "sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
  auto layout = detect_cgroup_layout(kHybridMountinfo, kHybridProcCgroup, tmp.path());
  REQUIRE(layout);
  CHECK(layout->mode == CgroupMode::hybrid);
  CHECK(layout->fs_root == tmp.path());
  for (const char* c : {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"})
    CHECK(layout->has_v1(c));
  CHECK_FALSE(layout->has_v1("systemd"));
  CHECK_FALSE(layout->has_v1("name=systemd"));
  CHECK(layout->v1.at("cpu").mount_point == "/sys/fs/cgroup/cpu");
  CHECK(layout->v1.at("cpuacct").mount_point == "/sys/fs/cgroup/cpuacct");
  CHECK(layout->v1.at("memory").own_path == kHybridMemoryCgroup);
  CHECK(layout->v1.at("pids").own_path == "/");
  REQUIRE(layout->unified);
  CHECK(layout->unified->mount_point == "/sys/fs/cgroup/unified");
  CHECK(layout->unified->own_path == "/");
  CHECK(layout->unified->controllers == std::vector<std::string>{"hugetlb"});
}

TEST_CASE("pure v2: controllers come from the own cgroup's cgroup.controllers") {
  TempDir tmp = TempDir::create("cgroup-detect").value();
  put(tmp.path(), "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  put(tmp.path(), "sys/fs/cgroup/user.slice/session-1.scope/cgroup.controllers", "cpu memory pids\n");
  const char* mountinfo =
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n";
  auto layout = detect_cgroup_layout(mountinfo, "0::/user.slice/session-1.scope\n", tmp.path());
  REQUIRE(layout);
  CHECK(layout->mode == CgroupMode::unified);
  CHECK(layout->v1.empty());
  REQUIRE(layout->unified);
  CHECK(layout->unified->mount_point == "/sys/fs/cgroup");
  CHECK(layout->unified->own_path == "/user.slice/session-1.scope");
  CHECK(layout->unified->controllers == std::vector<std::string>{"cpu", "memory", "pids"});
}

TEST_CASE("legacy v1: comma-joined cpu,cpuacct is one hierarchy, a mount root is taken off the own path") {
  const char* mountinfo =
      "25 20 0:21 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
      "26 25 0:22 /docker/abc /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
      "27 25 0:23 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
      "28 25 0:24 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "29 25 0:25 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
      "30 25 0:26 / /sys/fs/cgroup/cpu\\040weird rw - cgroup cgroup rw,pids\n";
  const char* proc =
      "5:pids:/\n4:net_cls,net_prio:/\n3:memory:/docker/abc/inner\n2:cpu,cpuacct:/docker/abc\n"
      "1:name=systemd:/docker/abc\n";
  auto layout = detect_cgroup_layout(mountinfo, proc, "/nonexistent");
  REQUIRE(layout);
  CHECK(layout->mode == CgroupMode::legacy);
  CHECK_FALSE(layout->unified);
  CHECK(layout->v1.at("cpu").mount_point == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(layout->v1.at("cpuacct").mount_point == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(layout->v1.at("cpu").controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(layout->v1.at("cpu").own_path == "/");
  CHECK(layout->v1.at("memory").root == "/docker/abc");
  CHECK(layout->v1.at("memory").own_path == "/inner");
  CHECK(layout->v1.at("net_prio").mount_point == "/sys/fs/cgroup/net_cls,net_prio");
  CHECK(layout->v1.at("pids").mount_point == "/sys/fs/cgroup/cpu weird");
}

TEST_CASE("detection fails on malformed texts and on hosts without cgroups") {
  auto bad = detect_cgroup_layout("31 23 0:28 / /sys/fs/cgroup rw\n", "0::/\n", "");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("mountinfo line 1") != std::string::npos);

  auto none = detect_cgroup_layout("23 1 8:1 / / rw - ext4 /dev/root rw\n", "0::/\n", "");
  REQUIRE_FALSE(none);
  CHECK(none.error().message().find("no cgroup filesystem") != std::string::npos);

  auto bad_proc = detect_cgroup_layout(kHybridMountinfo, "garbage\n", "");
  REQUIRE_FALSE(bad_proc);
  CHECK(bad_proc.error().message().find("/proc/self/cgroup") != std::string::npos);
}

TEST_CASE("the host's own texts parse with the same parser") {
  auto layout = detect_host_cgroup_layout();
  // Containers without /sys/fs/cgroup exist; when there is one, it parses.
  if (!layout) {
    CHECK(layout.error().message().find("no cgroup filesystem") != std::string::npos);
    return;
  }
  CHECK((layout->unified || !layout->v1.empty()));
}

TEST_CASE("cpu shares map onto cpu.weight as runc and crun do") {
  CHECK(cpu_shares_to_weight(0) == 0);
  CHECK(cpu_shares_to_weight(2) == 1);
  CHECK(cpu_shares_to_weight(1024) == 39);
  CHECK(cpu_shares_to_weight(262144) == 10000);
  CHECK(cpu_weight_to_shares(1) == 2);
  CHECK(cpu_weight_to_shares(100) == 2597);
  CHECK(cpu_weight_to_shares(10000) == 262144);
}
