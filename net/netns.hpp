// Pinning a container's network namespace: a bind mount of /proc/<pid>/ns/net
// onto `<run_root>/netns/<id>`, so the namespace outlives a restart of its
// first process and `exec`, healthchecks and a restarted container find it.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace brick::net {

// `<run_root>/netns/<id>`.
std::string pinned_netns_path(const std::string& run_root, const std::string& id);

// Owns one pin: unmounts and removes the file when destroyed, unless keep().
class PinnedNetns {
 public:
  // Pins the network namespace of process `pid` under `id` (a container ID
  // or name: letters, digits, `_`, `.`, `-`). Fails with EEXIST when `id`
  // is already pinned.
  static Result<PinnedNetns> pin(const std::string& run_root, const std::string& id, pid_t pid);
  PinnedNetns(PinnedNetns&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  PinnedNetns& operator=(PinnedNetns&&) = delete;
  ~PinnedNetns();

  const std::string& path() const { return path_; }
  // Opens the namespace (O_RDONLY), for attach() or setns().
  Result<UniqueFd> open() const;
  // Success: the container record owns the pin; undo with unpin_netns().
  void keep() { path_.clear(); }
  Status unpin();

 private:
  explicit PinnedNetns(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Opens a pinned namespace; ENOENT when `id` is not pinned.
Result<UniqueFd> open_pinned_netns(const std::string& run_root, const std::string& id);

// Unmounts and removes a pin from any process; one already gone is fine.
Status unpin_netns(const std::string& run_root, const std::string& id);

}  // namespace brick::net
