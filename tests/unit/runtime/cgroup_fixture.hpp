// Shared by the cgroup unit tests: files in a TempDir laid out like
// /sys/fs/cgroup, and this machine's own hybrid cgroup texts.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <system_error>

#include "base/file.hpp"

namespace brick::runtime::testing {

// Writes `content` to `root`/`rel`, creating the directories on the way.
inline void put(const std::string& root, const std::string& rel, const std::string& content) {
  std::filesystem::path p = std::filesystem::path(root) / rel;
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  REQUIRE(write_file_atomic(p.string(), content).has_value());
}

// This machine's own /proc/self/mountinfo cgroup lines and /proc/self/cgroup
// (hybrid: one v1 hierarchy per controller, cgroup2 with only hugetlb; the
// memory cgroup below the shell's own).
inline constexpr const char* kHybridMountinfo =
    "23 1 8:1 / / rw,relatime - ext4 /dev/root rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
inline constexpr const char* kHybridMemoryCgroup = "/process_api/37b342d74c204deb0501d25f2d73867f";
inline const std::string kHybridProcCgroup = std::string("9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n") +
                                             "5:devices:/\n4:memory:" + kHybridMemoryCgroup +
                                             "\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

}  // namespace brick::runtime::testing
