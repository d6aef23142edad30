#include "base/read_beneath.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/temp_dir.hpp"
#include "base/unique_fd.hpp"

using namespace brick;
namespace fs = std::filesystem;

namespace {

// outer/ holds root/ (a container's root) and secret, which a symlink in the
// root must not reach.
struct Fixture {
  TempDir outer = std::move(TempDir::create("brick-read-beneath").value());
  std::string root = outer.path() + "/root";
  UniqueFd root_fd;
  Fixture() {
    fs::create_directories(root + "/etc");
    write(outer.path() + "/secret", "root:x:0:0:host secret:/root:/bin/sh\n");
    root_fd = UniqueFd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  static void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
};

constexpr size_t kCap = 64 * 1024;

}  // namespace

TEST_CASE("read_regular_beneath reads a regular file", "[read_beneath]") {
  Fixture f;
  Fixture::write(f.root + "/etc/passwd", "bob:x:1000:1000::/home/bob:/bin/sh\n");
  auto text = read_regular_beneath(f.root_fd.get(), "/etc/passwd", kCap);
  REQUIRE(text);
  CHECK(*text == "bob:x:1000:1000::/home/bob:/bin/sh\n");
  // Exactly at the cap is fine; an empty file too.
  Fixture::write(f.root + "/etc/group", std::string(kCap, 'g'));
  CHECK(read_regular_beneath(f.root_fd.get(), "etc/group", kCap).value().size() == kCap);
  Fixture::write(f.root + "/etc/empty", "");
  CHECK(read_regular_beneath(f.root_fd.get(), "etc/empty", kCap).value().empty());
  // A symlink that stays inside the root is followed.
  fs::create_symlink("passwd", f.root + "/etc/alias");
  CHECK(read_regular_beneath(f.root_fd.get(), "etc/alias", kCap).value().starts_with("bob:"));
}

TEST_CASE("read_regular_beneath says when the file is missing", "[read_beneath]") {
  Fixture f;
  auto text = read_regular_beneath(f.root_fd.get(), "/etc/passwd", kCap);
  REQUIRE_FALSE(text);
  CHECK(text.error().errno_value() == ENOENT);
}

TEST_CASE("read_regular_beneath refuses a FIFO without blocking", "[read_beneath]") {
  Fixture f;
  REQUIRE(::mkfifo((f.root + "/etc/passwd").c_str(), 0644) == 0);
  auto text = read_regular_beneath(f.root_fd.get(), "/etc/passwd", kCap);
  REQUIRE_FALSE(text);
  CHECK_THAT(text.error().message(), Catch::Contains("`/etc/passwd` is a FIFO, not a regular file"));
}

TEST_CASE("read_regular_beneath refuses a device and a directory", "[read_beneath]") {
  // No mknod without root: the host's own /dev/zero, seen from "/" as root.
  UniqueFd slash(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  auto zero = read_regular_beneath(slash.get(), "/dev/zero", kCap);
  REQUIRE_FALSE(zero);
  CHECK_THAT(zero.error().message(), Catch::Contains("`/dev/zero` is a character device, not a regular file"));

  Fixture f;
  fs::create_directory(f.root + "/etc/passwd");
  auto dir = read_regular_beneath(f.root_fd.get(), "/etc/passwd", kCap);
  REQUIRE_FALSE(dir);
  CHECK_THAT(dir.error().message(), Catch::Contains("is a directory"));
}

TEST_CASE("read_regular_beneath refuses a file over the cap", "[read_beneath]") {
  Fixture f;
  Fixture::write(f.root + "/etc/passwd", std::string(kCap + 1, 'x'));
  auto text = read_regular_beneath(f.root_fd.get(), "/etc/passwd", kCap);
  REQUIRE_FALSE(text);
  CHECK_THAT(text.error().message(), Catch::Contains("`/etc/passwd` is larger than 65536 bytes"));
  auto mib = read_regular_beneath(f.root_fd.get(), "/etc/passwd", 8 * 1024 * 1024);
  REQUIRE(mib);  // 64 KiB + 1 is well under 8 MiB
  Fixture::write(f.root + "/etc/passwd", std::string(8 * 1024 * 1024 + 1, 'x'));
  auto big = read_regular_beneath(f.root_fd.get(), "/etc/passwd", 8 * 1024 * 1024);
  REQUIRE_FALSE(big);
  CHECK_THAT(big.error().message(), Catch::Contains("is larger than 8 MiB"));
}

TEST_CASE("read_regular_beneath keeps symlinks inside the root", "[read_beneath]") {
  // Every way out is read as a path inside the root, where there is no such
  // file: the host's secret is never read.
  for (std::string target : {"../../secret", "/../secret", "/../../../../../../secret"}) {
    Fixture f;
    INFO("etc/passwd -> " << target);
    fs::create_symlink(target, f.root + "/etc/passwd");
    auto text = read_regular_beneath(f.root_fd.get(), "/etc/passwd", kCap);
    REQUIRE_FALSE(text);
    CHECK(text.error().errno_value() == ENOENT);
  }
  Fixture f;
  fs::create_symlink(f.outer.path() + "/secret", f.root + "/etc/passwd");
  auto absolute = read_regular_beneath(f.root_fd.get(), "/etc/passwd", kCap);
  REQUIRE_FALSE(absolute);
  CHECK(absolute.error().errno_value() == ENOENT);
  // The link to /dev/zero of the attack: the root's own dev/zero, here a
  // large regular file: refused by size, not read forever.
  Fixture z;
  fs::create_directory(z.root + "/dev");
  Fixture::write(z.root + "/dev/zero", std::string(kCap * 2, '\0'));
  fs::create_symlink("/dev/zero", z.root + "/etc/passwd");
  auto zero = read_regular_beneath(z.root_fd.get(), "/etc/passwd", kCap);
  REQUIRE_FALSE(zero);
  CHECK_THAT(zero.error().message(), Catch::Contains("larger than"));
}
