// Private to runtime/cgroup*.cpp: the interface each cgroup backend (v1, v2)
// implements, and the file helpers they share.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/cgroup.hpp"

namespace brick::runtime {

class CgroupBackend {
 public:
  virtual ~CgroupBackend() = default;
  virtual Status create() = 0;
  virtual Status add_process(pid_t pid) = 0;
  virtual Status set(const CgroupResources& resources) = 0;
  virtual Result<CgroupStats> stats() const = 0;
  virtual Status kill_all(int signal) = 0;
  virtual Status freeze() = 0;
  virtual Status thaw() = 0;
  virtual Status destroy() = 0;
  virtual std::vector<std::string> directories() const = 0;
  virtual std::string directory(std::string_view controller) const = 0;
};

// `path` with its parts checked: relative parts only, no "." or "..".
Result<std::vector<std::string>> split_cgroup_path(std::string_view path);

std::unique_ptr<CgroupBackend> make_cgroup_v1(const CgroupLayout& layout, std::vector<std::string> parts,
                                              bool from_root);
std::unique_ptr<CgroupBackend> make_cgroup_v2(const CgroupLayout& layout, std::vector<std::string> parts,
                                              bool from_root);

namespace cgroup_fs {

// Writes `value` with one write(2) to an existing file (cgroupfs creates the
// files; we never do). The error names the value and the file.
Status write(const std::string& path, std::string_view value);
// The file's contents with surrounding whitespace trimmed.
Result<std::string> read(const std::string& path);
Result<uint64_t> read_u64(const std::string& path);
bool exists(const std::string& path);
// mkdir, accepting an existing directory.
Status make_dir(const std::string& path);
// rmdir of `path` and, first, of every cgroup below it (a container may nest
// its own), retrying EBUSY for a bounded time: the kernel keeps a cgroup busy
// for a moment after its last task exits. A missing directory is success.
Status remove_tree(const std::string& path);
// rmdir of the `levels` directories above `dir`, innermost first, stopping at
// the first that is not empty: shared parents ("brick/<project>") go when
// their last container does, and the kernel answers EBUSY while another
// container's cgroup remains.
void remove_empty_parents(const std::string& dir, size_t levels);
// The pids in a cgroup.procs or tasks file.
Result<std::vector<pid_t>> read_pids(const std::string& path);
// Sends `signal` to each pid; one that has exited meanwhile (ESRCH) is fine.
Status signal_pids(const std::vector<pid_t>& pids, int signal);
// Joins `a` and `b` with exactly one '/'.
std::string join(std::string_view a, std::string_view b);
// Sleeps a short while between polls of a cgroup file.
void pause_briefly();

// Tests only: when set, every write() above is also appended here as
// {path, value}, so a fixture can assert the exact sequence the kernel would
// see (plain files keep only the last value).
using WriteLog = std::vector<std::pair<std::string, std::string>>;
void record_writes(WriteLog* log);

}  // namespace cgroup_fs
}  // namespace brick::runtime
