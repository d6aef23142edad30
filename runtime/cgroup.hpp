// Cgroups for one container: cgroup v2, cgroup v1 and the hybrid of the two
// behind one interface.
//
// Everything takes a CgroupLayout whose `fs_root` is prepended to every path,
// so tests point a layout at a TempDir laid out like /sys/fs/cgroup.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

struct clone_args;

namespace brick::runtime {

enum class CgroupMode {
  unified,  // pure cgroup v2
  legacy,   // only v1 hierarchies
  hybrid,   // v1 hierarchies plus a cgroup2 mount (usually without controllers)
};
std::string_view to_string(CgroupMode mode);

// One v1 hierarchy. A hierarchy may carry several controllers ("cpu,cpuacct").
struct CgroupV1Mount {
  std::string mount_point;               // as the kernel names it, e.g. /sys/fs/cgroup/memory
  std::string root;                      // the mount's root inside the hierarchy (mountinfo field 4)
  std::vector<std::string> controllers;  // e.g. {"cpu", "cpuacct"}
  std::string own_path;                  // this process's cgroup there (/proc/self/cgroup), e.g. /a/b
};

struct CgroupV2Mount {
  std::string mount_point;
  std::string root;
  std::vector<std::string> controllers;  // cgroup.controllers at own_path
  std::string own_path;
};

struct CgroupLayout {
  CgroupMode mode = CgroupMode::unified;
  std::string fs_root;                      // "" on the real host
  std::map<std::string, CgroupV1Mount> v1;  // controller name -> its hierarchy
  std::optional<CgroupV2Mount> unified;     // the cgroup2 mount, if any

  bool has_v1(std::string_view controller) const { return v1.contains(std::string(controller)); }
};

// Parses mountinfo and /proc/self/cgroup texts; reads cgroup.controllers under
// `fs_root` + the cgroup2 mount. Fails when no cgroup filesystem is mounted.
Result<CgroupLayout> detect_cgroup_layout(std::string_view mountinfo, std::string_view proc_self_cgroup,
                                          const std::string& fs_root = "");
// The same, from this process's /proc/self/mountinfo and /proc/self/cgroup.
Result<CgroupLayout> detect_host_cgroup_layout();

// A device rule as in the OCI runtime spec. major/minor -1 mean "*".
struct DeviceRule {
  bool allow = false;
  char type = 'a';  // 'a', 'c' or 'b'
  int64_t major = -1;
  int64_t minor = -1;
  std::string access = "rwm";
  bool operator==(const DeviceRule&) const = default;
};

// Every field optional: unset means "leave as it is".
struct CgroupResources {
  std::optional<int64_t> memory_limit;        // bytes, -1 unlimited
  std::optional<int64_t> memory_reservation;  // bytes (v1 soft limit, v2 memory.low), -1 unlimited
  std::optional<int64_t> memory_swap;         // memory + swap, docker semantics, -1 unlimited
  std::optional<int64_t> cpu_quota;           // microseconds per period, -1 unlimited
  std::optional<uint64_t> cpu_period;         // microseconds
  std::optional<uint64_t> cpu_shares;         // v1 shares; on v2 converted to cpu.weight
  std::optional<uint64_t> cpu_weight;         // v2 weight 1..10000; on v1 converted to shares
  std::optional<std::string> cpuset_cpus;     // e.g. "0-1"
  std::optional<std::string> cpuset_mems;
  std::optional<int64_t> pids_limit;  // <= 0 unlimited
  std::vector<DeviceRule> devices;    // empty: leave devices alone
};

// runc's and crun's mapping of cgroup v1 cpu.shares [2, 262144] onto cgroup v2
// cpu.weight [1, 10000]; 0 stays 0 ("unset").
uint64_t cpu_shares_to_weight(uint64_t shares);
uint64_t cpu_weight_to_shares(uint64_t weight);

struct CgroupStats {
  uint64_t memory_usage = 0;  // bytes
  uint64_t pids_current = 0;
  uint64_t cpu_usage_ns = 0;
};

class CgroupBackend;

class Cgroup {
 public:
  // Creates `path` (e.g. "brick/<project>/<container-id>") below this
  // process's own cgroup in every hierarchy brick uses (a path starting with
  // '/' is taken from the hierarchy's root instead), then applies `resources`.
  // On failure everything created is removed again.
  static Result<Cgroup> create(const CgroupLayout& layout, std::string_view path, const CgroupResources& resources);

  Cgroup(Cgroup&&) noexcept;
  Cgroup& operator=(Cgroup&&) noexcept;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  // Destroys the cgroup unless keep() was called.
  ~Cgroup();

  // Moves a process (all its threads) into the cgroup in every hierarchy.
  Status add_process(pid_t pid);
  // Updates limits live; only the fields that are set are written.
  Status set(const CgroupResources& resources);
  Result<CgroupStats> stats() const;
  // Sends `signal` to every process until none is left (SIGKILL) or once
  // to each (other signals). Bounded: fails if processes survive ~5 s.
  Status kill_all(int signal);
  Status freeze();
  Status thaw();
  // Kills what is left and removes the directory in every hierarchy, and the
  // parents up to the own cgroup when they are empty. Once it succeeds the
  // object holds nothing: its destructor removes nothing again.
  Status destroy();
  // Leaves the cgroup on disk when this object goes away.
  void keep() { kept_ = true; }

  // Every directory of this cgroup (one per hierarchy), for tests and records.
  std::vector<std::string> directories() const;
  // The directory holding `controller`'s files ("" where not managed).
  std::string directory(std::string_view controller) const;

 private:
  explicit Cgroup(std::unique_ptr<CgroupBackend> backend);
  std::unique_ptr<CgroupBackend> backend_;
  bool kept_ = false;
};

// How a new process joins a cgroup's directories without anyone writing its
// pid to cgroup.procs: that takes the kernel's threadgroup lock for writing,
// an RCU grace period (about 7 ms here) on every container start and exec.
//  - cgroup v2: the process is born there (clone3's CLONE_INTO_CGROUP with
//    `clone_into`);
//  - cgroup v1: the process writes "0" (itself, its one thread) to each
//    hierarchy's `tasks` file, opened here beforehand; moving a single
//    thread by itself takes no threadgroup lock.
struct CgroupJoin {
  UniqueFd clone_into;
  std::string clone_into_dir;
  std::vector<UniqueFd> tasks;
  std::vector<std::string> task_dirs;  // tasks[i] is task_dirs[i]'s file
  bool late = false;                   // set by clone_joining: clone_into was refused
};

// Opens what joining `dirs` (Cgroup::directories(), a record's cgroup_dirs)
// takes; a cgroup2 directory is cloned into, any other is a v1 hierarchy's.
// Errors name the directory.
Result<CgroupJoin> open_cgroup_join(const std::vector<std::string>& dirs);
// For the new process itself, between clone and exec (no allocation): joins
// every `tasks` file. Returns -1, or the index that failed with errno set.
int join_cgroup_tasks(const CgroupJoin& join) noexcept;
// clone3(args) as fork, the child born in join.clone_into where there is
// one; where the kernel refuses that (before 5.7), a plain clone3 and
// join.late set. Returns as clone3 does (0 in the child).
long clone_joining(struct clone_args& args, CgroupJoin& join);
// After clone_joining, with the new process's pid: where join.late, the old
// way, `pid` written to clone_into_dir's cgroup.procs; else nothing.
Status join_cgroup_late(const CgroupJoin& join, pid_t pid);

}  // namespace brick::runtime
