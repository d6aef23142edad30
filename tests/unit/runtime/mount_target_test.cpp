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

TEST_CASE("a symlinked parent pointing at a host directory stays inside the root", "[mounts]") {
  Root root = make_root();
  auto host = TempDir::create("brick-mnt-host");
  REQUIRE(host);
  // The image says `/p -> <a host path that exists>`: inside the root that
  // path does not exist, and it is not invented; the host is untouched.
  fs::create_symlink(host->path(), root.dir.path() + "/p");
  Opened o = open_target(root, "/p/sub", false);
  CHECK_FALSE(o.fd);
  CHECK(o.err == ENOENT);
  CHECK(fs::is_empty(host->path()));
  // A dangling last component, for a file bind: O_EXCL never follows it.
  fs::create_symlink(host->path() + "/made-by-bind", root.dir.path() + "/f");
  Opened f = open_target(root, "/f", true);
  CHECK_FALSE(f.fd);
  CHECK(f.err == ENOENT);
  CHECK(fs::is_empty(host->path()));
  // When the root does have that path, the link leads there.
  fs::create_directories(root.dir.path() + host->path());
  Opened inside = open_target(root, "/p/sub", false);
  REQUIRE(inside.fd);
  CHECK(fd_path(inside.fd.get()) == root.dir.path() + host->path() + "/sub");
  CHECK(fs::is_empty(host->path()));
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
