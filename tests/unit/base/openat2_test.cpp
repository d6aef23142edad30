#include "base/openat2.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "base/temp_dir.hpp"

using namespace brick;
namespace fs = std::filesystem;

namespace {

// outer/ holds root/ and is where an escape would land; "/" is checked too.
struct Fixture {
  TempDir outer = std::move(TempDir::create("brick-safe-path").value());
  std::string root = outer.path() + "/root";
  UniqueFd root_fd;
  Fixture() {
    fs::create_directory(root);
    root_fd = UniqueFd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  void link(const std::string& target, const std::string& name) { fs::create_symlink(target, root + "/" + name); }
};

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("mkdir_beneath creates missing components inside the root", "[openat2]") {
  Fixture f;
  auto fd = mkdir_beneath(f.root_fd.get(), "a/b/c");
  REQUIRE(fd);
  CHECK(fs::is_directory(f.root + "/a/b/c"));
  CHECK(mkdir_beneath(f.root_fd.get(), "/a//./b/c/"));  // existing: fine
}

TEST_CASE("hostile symlinks cannot make mkdir_beneath create outside the root", "[openat2]") {
  std::string unique = "brick-escape-" + std::to_string(::getpid());
  // Targets that name the root once clamped: followed, creating inside it.
  for (std::string target : {"/", "../../..", "..", "../", "/../../..", "./../.."}) {
    Fixture f;
    f.link(target, "x");
    INFO("x -> " << target);
    auto fd = mkdir_beneath(f.root_fd.get(), "x/" + unique + "/deeper");
    REQUIRE(fd);
    CHECK_FALSE(exists("/" + unique));
    CHECK_FALSE(exists(f.outer.path() + "/" + unique));
    CHECK(fs::is_directory(f.root + "/" + unique + "/deeper"));  // clamped to the root
  }
  // The outer directory by its absolute path: read as <root><outer>, which
  // does not exist, so the link dangles and nothing is made anywhere.
  for (std::string suffix : {"", "/", "/root/.."}) {
    Fixture f;
    f.link(f.outer.path() + suffix, "x");
    INFO("x -> " << f.outer.path() + suffix);
    REQUIRE_FALSE(mkdir_beneath(f.root_fd.get(), "x/" + unique));
    CHECK_FALSE(exists(f.outer.path() + "/" + unique));
    CHECK_FALSE(exists("/" + unique));
    CHECK_FALSE(exists(f.root + "/" + unique));
  }
}

TEST_CASE("a symlink to a directory outside, met mid-path, stays beneath the root", "[openat2]") {
  Fixture f;
  fs::create_directory(f.outer.path() + "/victim");
  fs::create_directories(f.root + "/a");
  fs::create_symlink("../../victim", f.root + "/a/v");        // relative, two levels up
  REQUIRE_FALSE(mkdir_beneath(f.root_fd.get(), "a/v/made"));  // <root>/victim: dangling
  CHECK_FALSE(exists(f.outer.path() + "/victim/made"));
  fs::create_directory(f.root + "/victim");
  REQUIRE(mkdir_beneath(f.root_fd.get(), "a/v/made"));
  CHECK_FALSE(exists(f.outer.path() + "/victim/made"));
  CHECK(fs::is_directory(f.root + "/victim/made"));
}

TEST_CASE("a dangling symlink is an error, not something to create through", "[openat2]") {
  Fixture f;
  f.link("/nowhere-" + std::to_string(::getpid()), "x");
  auto fd = mkdir_beneath(f.root_fd.get(), "x/y");
  REQUIRE_FALSE(fd);
  CHECK(fd.error().message().find("dangling symlink") != std::string::npos);
  CHECK_FALSE(exists(f.root + "/nowhere-" + std::to_string(::getpid())));
}

TEST_CASE("a file in the way is an error", "[openat2]") {
  Fixture f;
  { UniqueFd fd(::open((f.root + "/file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)); }
  auto fd = mkdir_beneath(f.root_fd.get(), "file/sub");
  REQUIRE_FALSE(fd);
  CHECK(fd.error().errno_value() == ENOTDIR);
}

TEST_CASE("open_beneath with O_CREAT through hostile symlinks creates inside the root", "[openat2]") {
  for (std::string target : {"%O", "../..", "/"}) {
    Fixture f;
    if (target == "%O") target = f.outer.path();
    f.link(target, "x");
    INFO("x -> " << target);
    auto fd = open_beneath(f.root_fd.get(), "x/created", O_CREAT | O_WRONLY, 0600);
    CHECK_FALSE(exists(f.outer.path() + "/created"));
    // The absolute outer path does not exist beneath the root: ENOENT.
    CHECK(bool(fd) == (target != f.outer.path()));
    CHECK(exists(f.root + "/created") == bool(fd));
  }
}

TEST_CASE("open_beneath resolves .. and absolute paths at the root and refuses magic links", "[openat2]") {
  Fixture f;
  { UniqueFd fd(::open((f.outer.path() + "/secret").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)); }
  CHECK_FALSE(open_beneath(f.root_fd.get(), "../secret", O_RDONLY));
  CHECK_FALSE(open_beneath(f.root_fd.get(), f.outer.path() + "/secret", O_RDONLY));
  CHECK(open_beneath(f.root_fd.get(), "/", O_PATH | O_DIRECTORY));
  // /proc/self/fd/N inside the root resolves beneath it (where nothing is);
  // a symlink to it is refused as a magic link or not found, never followed.
  f.link("/proc/self/root", "magic");
  CHECK_FALSE(open_beneath(f.root_fd.get(), "magic/etc/passwd", O_RDONLY));
}
