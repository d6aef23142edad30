// A container's root filesystem: the image's layers as overlay lowerdirs and
// a per-container upper layer, mounted under the container's own directory.
#pragma once

#include <string>

#include "base/error.hpp"
#include "images/overlay.hpp"
#include "images/store.hpp"

namespace brick::images {

// Mounts `image` at `<container_dir>/rootfs`, with writes going to
// `<container_dir>/upper` (and overlay's `<container_dir>/work`). With
// `read_only` there is no upper layer and the mount refuses writes (EROFS).
// The directories are created as needed; the returned guard unmounts.
Result<MountGuard> prepare_rootfs(const ImageInfo& image, const std::string& container_dir, bool read_only,
                                  UpperSync sync = UpperSync::durable);

}  // namespace brick::images
