// Mounting unpacked layers as one overlayfs tree, and owning that mount.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace brick::images {

// Owns a mount: the destructor detaches it (umount2 MNT_DETACH, so a busy
// mount still leaves the tree) unless keep() handed it to someone else.
class MountGuard {
 public:
  MountGuard() = default;
  explicit MountGuard(std::string target) : target_(std::move(target)) {}
  MountGuard(MountGuard&& other) noexcept;
  MountGuard& operator=(MountGuard&& other) noexcept;
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  ~MountGuard();

  const std::string& target() const { return target_; }
  // Success: the mount outlives the guard.
  void keep() { target_.clear(); }
  // Detaches now, reporting failure (the destructor cannot).
  Status unmount();

 private:
  std::string target_;
};

// How the overlay is assembled; `automatic` picks the newest the kernel has.
// The others exist so tests can exercise every path on one kernel.
enum class OverlayApi {
  automatic,
  layer_fds,    // fsconfig(FSCONFIG_SET_FD, "lowerdir+") — Linux 6.13
  layer_paths,  // fsconfig(FSCONFIG_SET_STRING, "lowerdir+") — Linux 6.8
  mount_data,   // mount(2) with "lowerdir=a:b:c" — any kernel
};

// Whether writes to the upper layer are synced: `volatile_upper` is
// overlayfs' `volatile` (Linux 5.10), which skips every sync of the upper
// filesystem, unmount's included. Only for a layer thrown away with its
// container (podman does the same for --rm): after a host crash overlayfs
// refuses to mount it again. A kernel without it mounts durably.
enum class UpperSync { durable, volatile_upper };

// Mounts an overlay of `lowerdirs` (topmost first) at `target`. With `upper`
// and `work` empty it is read-only; a single lowerdir and no upper becomes a
// read-only bind mount when overlayfs refuses a one-layer stack. Errors carry
// what the kernel logged about the failure.
Result<MountGuard> mount_overlay(const std::vector<std::string>& lowerdirs, const std::string& upper,
                                 const std::string& work, const std::string& target,
                                 OverlayApi api = OverlayApi::automatic, UpperSync sync = UpperSync::durable);

}  // namespace brick::images
