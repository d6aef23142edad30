// Privileged: run inside tests/integration/sandbox.sh. A busybox image made
// from Debian's busybox-static becomes a container root filesystem.
#include "images/rootfs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <optional>

#include "base/file.hpp"
#include "base/temp_dir.hpp"

using namespace brick;
namespace fs = std::filesystem;

namespace {

// A one-directory rootfs with busybox at bin/sh, imported as `name`.
images::ImageInfo busybox_image(images::Store& store, const std::string& scratch) {
  const std::string rootfs = scratch + "/src";
  fs::create_directories(rootfs + "/bin");
  fs::copy_file("/bin/busybox", rootfs + "/bin/busybox");
  fs::create_symlink("busybox", rootfs + "/bin/sh");
  REQUIRE(write_file_atomic(rootfs + "/hello", "from the image\n"));
  REQUIRE(store.import_rootfs(rootfs, "brick.local/rootfs-test:1", {}));
  return store.resolve("brick.local/rootfs-test:1").value();
}

// A scratch dir with a store holding the busybox image; nullopt (and a
// warning) where the test cannot run.
struct Fixture {
  TempDir scratch;
  images::Store store;
  images::ImageInfo image;
};

std::optional<Fixture> make_fixture() {
  if (::geteuid() != 0 || !fs::exists("/bin/busybox")) {
    WARN("skipped: needs root and busybox-static");
    return std::nullopt;
  }
  auto scratch = TempDir::create("brick-rootfs").value();
  auto store = images::Store::open(scratch.path() + "/root").value();
  auto image = busybox_image(store, scratch.path());
  return Fixture{std::move(scratch), std::move(store), std::move(image)};
}

int try_create(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

}  // namespace

TEST_CASE("an image becomes a writable root whose writes land in the container's upper dir", "[rootfs]") {
  auto f = make_fixture();
  if (!f) return;
  const auto& image = f->image;
  const std::string dir = f->scratch.path() + "/containers/c1";
  {
    auto mount = images::prepare_rootfs(image, dir, false);
    if (!mount) FAIL(mount.error().message());
    CHECK(read_file(dir + "/rootfs/hello").value() == "from the image\n");
    CHECK(fs::is_symlink(dir + "/rootfs/bin/sh"));
    CHECK(try_create(dir + "/rootfs/written") == 0);
    CHECK(fs::exists(dir + "/upper/written"));
    // The shared layer is untouched.
    for (const auto& layer : image.layer_dirs) CHECK_FALSE(fs::exists(layer + "/written"));
  }
  CHECK(fs::is_empty(dir + "/rootfs"));  // the guard unmounted it
}

TEST_CASE("a read_only root refuses writes with EROFS", "[rootfs]") {
  auto f = make_fixture();
  if (!f) return;
  const auto& image = f->image;
  const std::string dir = f->scratch.path() + "/containers/ro";
  auto mount = images::prepare_rootfs(image, dir, true);
  if (!mount) FAIL(mount.error().message());
  CHECK(read_file(dir + "/rootfs/hello").value() == "from the image\n");
  CHECK(try_create(dir + "/rootfs/nope") == EROFS);
  CHECK_FALSE(fs::exists(dir + "/upper"));
}
