// open_mount_target: where a mount would land, resolved beneath a container
// root full of hostile symlinks. Needs no root: only openat2, mkdirat, openat.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>

#include "base/temp_dir.hpp"
#include "base/unique_fd.hpp"
#include "runtime/mounts.hpp"

using namespace brick;
using namespace brick::runtime;
namespace fs = std::filesystem;

namespace {

struct Root {
  TempDir dir;
  UniqueFd fd;
};

Root make_root() {
  auto dir = TempDir::create("brick-mnt-root");
  REQUIRE(dir);
  UniqueFd fd(::open(dir->path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  return Root{std::move(*dir), std::move(fd)};
}

std::string fd_path(int fd) { return fs::read_symlink("/proc/self/fd/" + std::to_string(fd)).string(); }

struct Opened {
  UniqueFd fd;
  int err = 0;
  MountStep step = MountStep::mount;
};

Opened open_target(const Root& root, const char* path, bool file_target) {
  Opened out;
  int fd = open_mount_target(root.fd.get(), path, file_target, &out.step);
  if (fd < 0) out.err = errno;
  out.fd.reset(fd);
  return out;
}

}  // namespace

TEST_CASE("a missing mount point is created as directories, or an empty file for a file bind", "[mounts]") {
  Root root = make_root();
  Opened dir = open_target(root, "/data/models/cache", false);
  REQUIRE(dir.fd);
  CHECK(fd_path(dir.fd.get()) == root.dir.path() + "/data/models/cache");
  CHECK(fs::is_directory(root.dir.path() + "/data/models/cache"));

  Opened file = open_target(root, "/etc/app//conf.yaml", true);
  REQUIRE(file.fd);
  CHECK(fs::is_regular_file(root.dir.path() + "/etc/app/conf.yaml"));
  CHECK(fs::file_size(root.dir.path() + "/etc/app/conf.yaml") == 0);

  // Found, not made, the second time.
  Opened again = open_target(root, "data/models/cache/", false);
  REQUIRE(again.fd);
  CHECK(fd_path(again.fd.get()) == root.dir.path() + "/data/models/cache");
}

TEST_CASE("a symlink to / or up past the root cannot make the mount land outside it", "[mounts]") {
  Root root = make_root();
  fs::create_symlink("/", root.dir.path() + "/target");
  fs::create_symlink("../../..", root.dir.path() + "/up");
  fs::create_directories(root.dir.path() + "/a/b");
  fs::create_symlink("../../../../../../..", root.dir.path() + "/a/b/deep");
  for (const char* path : {"/target", "/up", "/a/b/deep", "/", "/up/", "/target/."}) {
    INFO(path);
    Opened o = open_target(root, path, false);
    CHECK_FALSE(o.fd);
    CHECK(o.err == EXDEV);
    CHECK(o.step == MountStep::escape);
  }
  // Below such a link, the path is read inside the root: `/up/etc/x` is the
  // root's own etc/x, made there.
  Opened below = open_target(root, "/up/etc/x", false);
  REQUIRE(below.fd);
  CHECK(fd_path(below.fd.get()) == root.dir.path() + "/etc/x");
}

TEST_CASE("a dangling symlink is followed within the root, never to the host", "[mounts]") {
  Root root = make_root();
  auto host = TempDir::create("brick-mnt-host");
  REQUIRE(host);
  // The image says `/p -> <a host directory>`: read inside the root, where
  // the path is made; the host directory stays untouched.
  fs::create_symlink(host->path(), root.dir.path() + "/p");
  Opened parent = open_target(root, "/p/sub", false);
  REQUIRE(parent.fd);
  CHECK(fd_path(parent.fd.get()) == root.dir.path() + host->path() + "/sub");
  // A dangling last component, for a file bind: O_EXCL never follows it;
  // the file is made where the link points, inside the root.
  fs::create_symlink(host->path() + "/made-by-bind", root.dir.path() + "/f");
  Opened file = open_target(root, "/f", true);
  REQUIRE(file.fd);
  CHECK(fs::is_regular_file(root.dir.path() + host->path() + "/made-by-bind"));
  CHECK(fs::is_empty(host->path()));

  // What Ubuntu images have; relative, with `..` that would climb out from
  // a shallower directory.
  fs::create_directories(root.dir.path() + "/etc");
  fs::create_symlink("../../../../run/systemd/resolve/stub-resolv.conf", root.dir.path() + "/etc/resolv.conf");
  Opened resolv = open_target(root, "/etc/resolv.conf", true);
  REQUIRE(resolv.fd);
  CHECK(fd_path(resolv.fd.get()) == root.dir.path() + "/run/systemd/resolve/stub-resolv.conf");

  // Links that lead only to each other end in ELOOP, not a hang.
  fs::create_symlink("/loop-b", root.dir.path() + "/loop-a");
  fs::create_symlink("/loop-a", root.dir.path() + "/loop-b");
  Opened loop = open_target(root, "/loop-a/x", false);
  CHECK_FALSE(loop.fd);
  CHECK(loop.err == ELOOP);
  // A dangling chain that lands on the root is still refused.
  fs::create_symlink("/gone/..", root.dir.path() + "/to-root");
  Opened to_root = open_target(root, "/to-root", false);
  CHECK_FALSE(to_root.fd);
  CHECK(to_root.err == EXDEV);
}

TEST_CASE("a file in the middle of a mount path is an error, not a creation", "[mounts]") {
  Root root = make_root();
  { UniqueFd f(::open((root.dir.path() + "/file").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)); }
  Opened o = open_target(root, "/file/sub", false);
  CHECK_FALSE(o.fd);
  CHECK(o.err == ENOTDIR);
  CHECK(o.step == MountStep::resolve);
}

TEST_CASE("plan_mount gives binds rprivate propagation and refuses `..`", "[mounts]") {
  auto bind = plan_mount("/data", "bind", "/", {"ro"});
  REQUIRE(bind);
  CHECK(bind->options.propagation == (MS_PRIVATE | MS_REC));
  CHECK_FALSE(bind->file_target);
  auto file = plan_mount("/x", "none", "/dev/null", {"rbind", "rshared"});
  REQUIRE(file);
  CHECK(file->file_target);
  CHECK(file->options.propagation == (MS_SHARED | MS_REC));
  auto tmpfs = plan_mount("/tmp", "tmpfs", "tmpfs", {"size=1m"});
  REQUIRE(tmpfs);
  CHECK(tmpfs->options.propagation == 0);
  CHECK_FALSE(plan_mount("/a/../b", "tmpfs", "tmpfs", {}));
  CHECK_FALSE(plan_mount("rel", "tmpfs", "tmpfs", {}));
  CHECK_FALSE(plan_mount("/x", "bind", "/nonexistent-brick-source", {}));
}
