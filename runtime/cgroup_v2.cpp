// cgroup v2: one directory in the unified hierarchy. Controllers reach it only
// when every ancestor lists them in cgroup.subtree_control.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <utility>

#include "base/strings.hpp"
#include "runtime/cgroup_backend.hpp"
#include "runtime/device_bpf.hpp"

namespace brick::runtime {
namespace {

namespace fs = cgroup_fs;

constexpr std::string_view kControllers[] = {"cpu", "cpuset", "io", "memory", "pids"};

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string& w : split(text, ' '))
    if (!trim(w).empty()) out.emplace_back(trim(w));
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

class CgroupV2 final : public CgroupBackend {
 public:
  CgroupV2(const CgroupLayout& layout, std::vector<std::string> parts, bool from_root) : parts_(std::move(parts)) {
    if (!layout.unified) return;
    base_ = fs::join(layout.fs_root, layout.unified->mount_point);
    if (!from_root) base_ = fs::join(base_, layout.unified->own_path);
    dir_ = base_;
    for (const std::string& p : parts_) dir_ = fs::join(dir_, p);
  }

  Status create() override {
    if (base_.empty()) return fail(Error("no cgroup2 filesystem is mounted", ENOENT));
    std::string parent = base_;
    for (const std::string& part : parts_) {
      BRICK_TRY(enable_controllers(parent));
      parent = fs::join(parent, part);
      BRICK_TRY(fs::make_dir(parent));
    }
    return {};
  }

  Status add_process(pid_t pid) override { return fs::write(fs::join(dir_, "cgroup.procs"), std::to_string(pid)); }

  Status set(const CgroupResources& r) override {
    if (r.memory_limit) BRICK_TRY(fs::write(file("memory.max"), max_or(*r.memory_limit)));
    if (r.memory_reservation) BRICK_TRY(fs::write(file("memory.low"), max_or(*r.memory_reservation)));
    if (r.memory_swap) BRICK_TRY(set_swap(r));

    std::optional<uint64_t> weight = r.cpu_weight;
    if (!weight && r.cpu_shares) weight = cpu_shares_to_weight(*r.cpu_shares);
    if (weight && *weight != 0) BRICK_TRY(fs::write(file("cpu.weight"), std::to_string(*weight)));
    if (r.cpu_quota || r.cpu_period) {
      // cpu.max is "$QUOTA $PERIOD" in one file; like runc, an unset quota
      // means "max" and an unset period leaves the kernel's.
      std::string value = r.cpu_quota && *r.cpu_quota > 0 ? std::to_string(*r.cpu_quota) : "max";
      if (r.cpu_period && *r.cpu_period != 0) value += " " + std::to_string(*r.cpu_period);
      BRICK_TRY(fs::write(file("cpu.max"), value));
    }
    if (r.cpuset_cpus) BRICK_TRY(fs::write(file("cpuset.cpus"), *r.cpuset_cpus));
    if (r.cpuset_mems) BRICK_TRY(fs::write(file("cpuset.mems"), *r.cpuset_mems));
    if (r.pids_limit)
      BRICK_TRY(fs::write(file("pids.max"), *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit)));
    // cgroup v2 has no devices.* files: access is decided by a
    // BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup.
    if (!r.devices.empty()) BRICK_TRY(attach_device_filter(dir_, r.devices));
    return {};
  }

  Result<CgroupStats> stats() const override {
    CgroupStats s;
    if (fs::exists(file("memory.current"))) s.memory_usage = BRICK_TRY(fs::read_u64(file("memory.current")));
    if (fs::exists(file("pids.current"))) s.pids_current = BRICK_TRY(fs::read_u64(file("pids.current")));
    std::string cpu_stat = BRICK_TRY(fs::read(file("cpu.stat")));
    for (const std::string& line : split(cpu_stat, '\n')) {
      std::vector<std::string> kv = words(line);
      if (kv.size() != 2 || kv[0] != "usage_usec") continue;
      uint64_t usec = 0;
      auto [end, ec] = std::from_chars(kv[1].data(), kv[1].data() + kv[1].size(), usec);
      if (ec != std::errc() || end != kv[1].data() + kv[1].size())
        return fail(Error("reading `" + file("cpu.stat") + "`: `" + line + "` is not a usage", EINVAL));
      s.cpu_usage_ns = usec * 1000;
    }
    return s;
  }

  Status kill_all(int signal) override {
    if (!fs::exists(dir_)) return {};
    // cgroup.kill (Linux 5.14) kills the whole subtree atomically, racing no
    // fork; without it, signal what cgroup.procs lists until it is empty.
    bool use_kill_file = signal == SIGKILL && fs::exists(file("cgroup.kill"));
    if (use_kill_file) BRICK_TRY(fs::write(file("cgroup.kill"), "1"));
    for (int round = 0; round < 500; ++round) {
      std::vector<pid_t> pids = BRICK_TRY(fs::read_pids(file("cgroup.procs")));
      if (pids.empty()) return {};
      if (!use_kill_file) BRICK_TRY(fs::signal_pids(pids, signal));
      if (signal != SIGKILL) return {};
      fs::pause_briefly();
    }
    return fail(Error("processes in `" + dir_ + "` survived SIGKILL for 5 s", EBUSY));
  }

  Status freeze() override { return set_frozen(true); }
  Status thaw() override { return set_frozen(false); }

  Status destroy() override {
    // Usually empty already (the pid namespace died with its init): rmdir,
    // which refuses a cgroup with a task or a child, is then all it takes.
    if (::rmdir(dir_.c_str()) == 0 || errno == ENOENT) {
      fs::remove_empty_parents(dir_, parts_.size() - 1);
      return {};
    }
    Status killed = kill_all(SIGKILL);
    BRICK_TRY(fs::remove_tree(dir_));
    fs::remove_empty_parents(dir_, parts_.size() - 1);
    return killed;
  }

  std::vector<std::string> directories() const override { return {dir_}; }
  std::string directory(std::string_view) const override { return dir_; }

 private:
  std::string file(std::string_view name) const { return fs::join(dir_, name); }

  static std::string max_or(int64_t value) { return value < 0 ? "max" : std::to_string(value); }

  // Docker's memory_swap is memory + swap; memory.swap.max is swap alone.
  Status set_swap(const CgroupResources& r) {
    int64_t swap = *r.memory_swap;
    if (swap < 0) return fs::write(file("memory.swap.max"), "max");
    int64_t memory = 0;
    if (r.memory_limit) {
      memory = *r.memory_limit;
    } else {
      std::string current = BRICK_TRY(fs::read(file("memory.max")));
      memory = current == "max" ? -1 : static_cast<int64_t>(BRICK_TRY(fs::read_u64(file("memory.max"))));
    }
    if (memory < 0) return fail(Error("memory+swap limit " + std::to_string(swap) + " needs a memory limit", EINVAL));
    if (swap < memory)
      return fail(
          Error("memory+swap limit " + std::to_string(swap) + " is below the memory limit " + std::to_string(memory),
                EINVAL));
    return fs::write(file("memory.swap.max"), std::to_string(swap - memory));
  }

  // Only the controllers this level offers and has not yet enabled: writing
  // them all at once fails entirely if one is refused, and an ancestor that
  // holds processes refuses any change (EBUSY, the no-internal-process rule)
  // even where what we need is already on.
  Status enable_controllers(const std::string& dir) {
    std::vector<std::string> offered = words(BRICK_TRY(fs::read(fs::join(dir, "cgroup.controllers"))));
    std::vector<std::string> enabled = words(BRICK_TRY(fs::read(fs::join(dir, "cgroup.subtree_control"))));
    std::string request;
    for (std::string_view c : kControllers) {
      if (!contains(offered, c) || contains(enabled, c)) continue;
      if (!request.empty()) request += ' ';
      request += "+" + std::string(c);
    }
    if (request.empty()) return {};
    Status st = fs::write(fs::join(dir, "cgroup.subtree_control"), request);
    if (!st && st.error().errno_value() == EBUSY)
      return fail(std::move(st).error().context("`" + dir +
                                                "` holds processes, so the kernel will not hand controllers "
                                                "to its children; run brick from a cgroup of its own"));
    return st;
  }

  Status set_frozen(bool frozen) {
    BRICK_TRY(fs::write(file("cgroup.freeze"), frozen ? "1" : "0"));
    // The write only starts freezing; cgroup.events says when it is done.
    std::string want = frozen ? "frozen 1" : "frozen 0";
    for (int round = 0; round < 500; ++round) {
      std::string events = BRICK_TRY(fs::read(file("cgroup.events")));
      for (const std::string& line : split(events, '\n'))
        if (trim(line) == want) return {};
      fs::pause_briefly();
    }
    return fail(Error("`" + file("cgroup.events") + "` never said `" + want + "` within 5 s", EBUSY));
  }

  std::vector<std::string> parts_;
  std::string base_;
  std::string dir_;
};

}  // namespace

std::unique_ptr<CgroupBackend> make_cgroup_v2(const CgroupLayout& layout, std::vector<std::string> parts,
                                              bool from_root) {
  return std::make_unique<CgroupV2>(layout, std::move(parts), from_root);
}

}  // namespace brick::runtime
