// cgroup v1: one directory per hierarchy (a hierarchy may carry several
// controllers, e.g. "cpu,cpuacct"). Used for legacy and hybrid hosts; on a
// hybrid host the cgroup2 mount holds no controller brick needs.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <utility>

#include "base/scope_exit.hpp"
#include "runtime/cgroup_backend.hpp"

namespace brick::runtime {
namespace {

namespace fs = cgroup_fs;

// The controllers a container is placed in. net_cls, perf_event and friends
// are left where the process already is.
constexpr std::string_view kControllers[] = {"cpu",  "cpuacct", "cpuset",  "memory",
                                             "pids", "devices", "freezer", "blkio"};

struct Hierarchy {
  std::vector<std::string> controllers;
  std::string base;  // the own cgroup (or the hierarchy root): never removed
  std::string dir;   // base + the container's path
};

std::string device_rule_text(const DeviceRule& rule) {
  auto number = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  if (rule.type == 'a') return "a";
  return std::string(1, rule.type) + " " + number(rule.major) + ":" + number(rule.minor) + " " + rule.access;
}

class CgroupV1 final : public CgroupBackend {
 public:
  CgroupV1(const CgroupLayout& layout, std::vector<std::string> parts, bool from_root) : parts_(std::move(parts)) {
    for (std::string_view c : kControllers) {
      auto it = layout.v1.find(std::string(c));
      if (it == layout.v1.end()) continue;
      const CgroupV1Mount& m = it->second;
      std::string base = fs::join(layout.fs_root, m.mount_point);
      if (!from_root) base = fs::join(base, m.own_path);
      bool seen = std::any_of(hierarchies_.begin(), hierarchies_.end(),
                              [&](const Hierarchy& h) { return h.controllers == m.controllers; });
      if (seen) continue;
      std::string dir = base;
      for (const std::string& p : parts_) dir = fs::join(dir, p);
      hierarchies_.push_back(Hierarchy{m.controllers, base, dir});
    }
  }

  Status create() override {
    if (hierarchies_.empty()) return fail(Error("no cgroup v1 controller brick uses is mounted", ENOENT));
    for (const Hierarchy& h : hierarchies_) {
      bool cpuset = std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end();
      std::string parent = h.base;
      for (const std::string& part : parts_) {
        std::string dir = fs::join(parent, part);
        BRICK_TRY(fs::make_dir(dir));
        if (cpuset) {
          BRICK_TRY(inherit_cpuset(parent, dir, "cpuset.cpus"));
          BRICK_TRY(inherit_cpuset(parent, dir, "cpuset.mems"));
        }
        parent = dir;
      }
    }
    return {};
  }

  Status add_process(pid_t pid) override {
    for (const Hierarchy& h : hierarchies_) BRICK_TRY(fs::write(fs::join(h.dir, "cgroup.procs"), std::to_string(pid)));
    return {};
  }

  Status set(const CgroupResources& r) override {
    BRICK_TRY(set_memory(r));
    BRICK_TRY(set_cpu(r));
    if (r.cpuset_cpus) BRICK_TRY(fs::write(BRICK_TRY(file("cpuset", "cpuset.cpus")), *r.cpuset_cpus));
    if (r.cpuset_mems) BRICK_TRY(fs::write(BRICK_TRY(file("cpuset", "cpuset.mems")), *r.cpuset_mems));
    if (r.pids_limit) {
      std::string value = *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit);
      BRICK_TRY(fs::write(BRICK_TRY(file("pids", "pids.max")), value));
    }
    if (!r.devices.empty()) {
      // Deny everything first, then open what the rules allow: the v1 devices
      // controller applies each line to its list in order.
      std::string deny = BRICK_TRY(file("devices", "devices.deny"));
      std::string allow = BRICK_TRY(file("devices", "devices.allow"));
      BRICK_TRY(fs::write(deny, "a"));
      for (const DeviceRule& rule : r.devices) BRICK_TRY(fs::write(rule.allow ? allow : deny, device_rule_text(rule)));
    }
    return {};
  }

  Result<CgroupStats> stats() const override {
    CgroupStats s;
    if (auto f = file("memory", "memory.usage_in_bytes")) s.memory_usage = BRICK_TRY(fs::read_u64(*f));
    if (auto f = file("pids", "pids.current")) s.pids_current = BRICK_TRY(fs::read_u64(*f));
    if (auto f = file("cpuacct", "cpuacct.usage")) s.cpu_usage_ns = BRICK_TRY(fs::read_u64(*f));
    return s;
  }

  Status kill_all(int signal) override {
    std::vector<pid_t> first = BRICK_TRY(live_pids());
    if (signal != SIGKILL) return fs::signal_pids(first, signal);
    // Empty already (the usual end: the pid namespace died with its init):
    // nothing is left that could fork, so no freezing, which costs a
    // scheduler round trip per task and two writes.
    if (first.empty()) return {};
    // The v1 freezer stops the processes so none can fork a child we would
    // miss between reading cgroup.procs and signalling (runc does the same).
    // A frozen task dies only once thawed: the first round thaws right after
    // signalling, and an error on the way must not leave the cgroup frozen.
    bool frozen = !directory("freezer").empty() && freeze().has_value();
    ScopeExit thaw_on_error([&] {
      if (frozen) (void)thaw();
    });
    for (int round = 0; round < 500; ++round) {
      std::vector<pid_t> pids = BRICK_TRY(live_pids());
      if (pids.empty()) break;
      BRICK_TRY(fs::signal_pids(pids, SIGKILL));
      if (std::exchange(frozen, false)) BRICK_TRY(thaw());
      fs::pause_briefly();
    }
    if (std::exchange(frozen, false)) BRICK_TRY(thaw());
    if (!BRICK_TRY(live_pids()).empty())
      return fail(Error("processes in `" + hierarchies_.front().dir + "` survived SIGKILL for 5 s", EBUSY));
    return {};
  }

  Status freeze() override {
    std::string state = BRICK_TRY(file("freezer", "freezer.state"));
    BRICK_TRY(fs::write(state, "FROZEN"));
    // The kernel answers FREEZING until every task has stopped.
    for (int round = 0; round < 500; ++round) {
      if (BRICK_TRY(fs::read(state)) == "FROZEN") return {};
      fs::pause_briefly();
    }
    (void)fs::write(state, "THAWED");
    return fail(Error("`" + state + "` stayed FREEZING for 5 s", EBUSY));
  }

  Status thaw() override {
    BRICK_TRY(fs::write(BRICK_TRY(file("freezer", "freezer.state")), "THAWED"));
    return {};
  }

  // Every hierarchy is tried even when one fails, so a cgroup stuck in one
  // (EBUSY) does not leave the others behind; the first error is returned.
  Status destroy() override {
    // The usual end: the pid namespace died with its init and took every
    // task along. rmdir refuses (EBUSY) a cgroup that still has a task or a
    // child, so one rmdir per hierarchy is the whole teardown then; the
    // kill and the walk below run only once one is refused.
    bool all_gone = true;
    for (const Hierarchy& h : hierarchies_) {
      if (::rmdir(h.dir.c_str()) != 0 && errno != ENOENT) {
        all_gone = false;
        break;
      }
    }
    if (all_gone) {
      for (const Hierarchy& h : hierarchies_) fs::remove_empty_parents(h.dir, parts_.size() - 1);
      return {};
    }
    Status result = kill_all(SIGKILL);
    for (const Hierarchy& h : hierarchies_) {
      Status removed = fs::remove_tree(h.dir);
      if (removed)
        fs::remove_empty_parents(h.dir, parts_.size() - 1);
      else if (result)
        result = std::move(removed);
    }
    return result;
  }

  std::vector<std::string> directories() const override {
    std::vector<std::string> out;
    out.reserve(hierarchies_.size());
    for (const Hierarchy& h : hierarchies_) out.push_back(h.dir);
    return out;
  }

  std::string directory(std::string_view controller) const override {
    for (const Hierarchy& h : hierarchies_)
      if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) return h.dir;
    return "";
  }

 private:
  Result<std::string> file(std::string_view controller, std::string_view name) const {
    std::string dir = directory(controller);
    if (dir.empty())
      return fail(Error("the cgroup v1 `" + std::string(controller) + "` controller is not mounted", ENOENT));
    return fs::join(dir, name);
  }

  // A new cpuset cgroup starts with empty cpus and mems (unless the parent
  // sets cgroup.clone_children), and the kernel refuses to attach a task to a
  // cpuset without CPUs or memory nodes (ENOSPC). Copy the parent's.
  static Status inherit_cpuset(const std::string& parent, const std::string& dir, std::string_view name) {
    std::string mine = fs::join(dir, name);
    if (!BRICK_TRY(fs::read(mine)).empty()) return {};
    std::string theirs = BRICK_TRY(fs::read(fs::join(parent, name)));
    return fs::write(mine, theirs);
  }

  Status set_memory(const CgroupResources& r) {
    std::optional<int64_t> memory = r.memory_limit, swap = r.memory_swap;
    if (memory || swap || r.memory_reservation) {
      std::string limit = BRICK_TRY(file("memory", "memory.limit_in_bytes"));
      std::string memsw = BRICK_TRY(file("memory", "memory.memsw.limit_in_bytes"));
      // memory.memsw.* exists only with swap accounting (CONFIG_MEMCG_SWAP,
      // swapaccount=1).
      bool swap_accounting = fs::exists(memsw);
      // "Unlimited memory" without a swap value means unlimited swap too, as
      // in runc; otherwise the old memsw limit would cap the new memory limit.
      if (memory == -1 && !swap && swap_accounting) swap = -1;
      if (swap && !swap_accounting)
        return fail(Error("memory+swap limit needs swap accounting: `" + memsw + "` is missing", ENOENT));
      if (memory && swap && *memory > 0 && *swap >= 0 && *swap < *memory)
        return fail(Error(
            "memory+swap limit " + std::to_string(*swap) + " is below the memory limit " + std::to_string(*memory),
            EINVAL));
      // The kernel keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes
      // at every step and answers EINVAL otherwise: raise memsw first when
      // growing, lower the memory limit first when shrinking.
      bool swap_first = false;
      if (memory && swap) swap_first = *swap < 0 || BRICK_TRY(fs::read_u64(limit)) < static_cast<uint64_t>(*swap);
      if (swap_first) BRICK_TRY(fs::write(memsw, std::to_string(*swap)));
      // Below current usage the kernel reclaims, then answers EBUSY; the
      // error then names the file and the value.
      if (memory) BRICK_TRY(fs::write(limit, std::to_string(*memory)));
      if (swap && !swap_first) BRICK_TRY(fs::write(memsw, std::to_string(*swap)));
    }
    if (r.memory_reservation)
      BRICK_TRY(
          fs::write(BRICK_TRY(file("memory", "memory.soft_limit_in_bytes")), std::to_string(*r.memory_reservation)));
    return {};
  }

  Status set_cpu(const CgroupResources& r) {
    std::optional<uint64_t> shares = r.cpu_shares;
    if (!shares && r.cpu_weight) shares = cpu_weight_to_shares(*r.cpu_weight);
    if (shares) BRICK_TRY(fs::write(BRICK_TRY(file("cpu", "cpu.shares")), std::to_string(*shares)));
    if (!r.cpu_period && !r.cpu_quota) return {};
    std::string period_file = BRICK_TRY(file("cpu", "cpu.cfs_period_us"));
    bool period_pending = false;
    if (r.cpu_period) {
      Status st = fs::write(period_file, std::to_string(*r.cpu_period));
      // A shorter period can make old_quota/new_period exceed the parent's
      // quota, which the kernel rejects (EINVAL): retry after the new quota.
      if (!st && (st.error().errno_value() != EINVAL || !r.cpu_quota)) return st;
      period_pending = !st;
    }
    if (r.cpu_quota) {
      std::string quota = *r.cpu_quota < 0 ? "-1" : std::to_string(*r.cpu_quota);
      BRICK_TRY(fs::write(BRICK_TRY(file("cpu", "cpu.cfs_quota_us")), quota));
      if (period_pending) BRICK_TRY(fs::write(period_file, std::to_string(*r.cpu_period)));
    }
    return {};
  }

  // The union of every hierarchy's cgroup.procs; a missing directory counts
  // as empty so destroy() can run twice.
  Result<std::vector<pid_t>> live_pids() const {
    std::set<pid_t> pids;
    for (const Hierarchy& h : hierarchies_) {
      auto listed = fs::read_pids(fs::join(h.dir, "cgroup.procs"));
      if (!listed) {
        if (listed.error().errno_value() == ENOENT) continue;
        return fail(std::move(listed).error());
      }
      pids.insert(listed->begin(), listed->end());
    }
    return std::vector<pid_t>(pids.begin(), pids.end());
  }

  std::vector<std::string> parts_;
  std::vector<Hierarchy> hierarchies_;
};

}  // namespace

std::unique_ptr<CgroupBackend> make_cgroup_v1(const CgroupLayout& layout, std::vector<std::string> parts,
                                              bool from_root) {
  return std::make_unique<CgroupV1>(layout, std::move(parts), from_root);
}

}  // namespace brick::runtime
