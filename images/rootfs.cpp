#include "images/rootfs.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <vector>

namespace brick::images {

namespace {

Status make_dir(const std::string& path, mode_t mode = 0700) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return fail(Error::from_errno("creating `" + path + "`"));
  return {};
}

}  // namespace

Result<MountGuard> prepare_rootfs(const ImageInfo& image, const std::string& container_dir, bool read_only,
                                  UpperSync sync) {
  const std::string what = "preparing the root filesystem in `" + container_dir + "`";
  if (image.layer_dirs.empty()) return fail(Error("image `" + image.name + "` has no layers").context(what));
  // The store lists layers bottom to top; overlayfs wants the topmost first.
  std::vector<std::string> lower(image.layer_dirs.rbegin(), image.layer_dirs.rend());
  std::error_code ec;
  std::filesystem::create_directories(container_dir, ec);
  if (ec) return fail(Error("creating `" + container_dir + "`", ec.value()).context(what));
  const std::string target = container_dir + "/rootfs";
  BRICK_TRY_CTX(make_dir(target), what);
  std::string upper, work;
  if (!read_only) {
    upper = container_dir + "/upper";
    work = container_dir + "/work";
    // The merged root takes the upper directory's mode: 0700 would lock every
    // non-root user of the container out of `/`.
    BRICK_TRY_CTX(make_dir(upper, 0755), what);
    BRICK_TRY_CTX(make_dir(work), what);
  }
  return BRICK_TRY_CTX(mount_overlay(lower, upper, work, target, OverlayApi::automatic, sync), what);
}

}  // namespace brick::images
