#include "base/private_dir.hpp"

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

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("make_private_dir creates a directory only its owner enters", "[private_dir]") {
  TempDir tmp = std::move(TempDir::create("brick-private").value());
  const std::string dir = tmp.path() + "/root/volumes";
  REQUIRE(make_private_dir(dir));
  CHECK(fs::is_directory(dir));
  CHECK(mode_of(dir) == 0700);
  REQUIRE(make_private_dir(dir));  // again: fine
  CHECK(mode_of(dir) == 0700);
}

TEST_CASE("make_private_dir tightens a store an older brick left at 0755", "[private_dir]") {
  TempDir tmp = std::move(TempDir::create("brick-private").value());
  const std::string dir = tmp.path() + "/images";
  fs::create_directory(dir);
  REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  REQUIRE(make_private_dir(dir));
  CHECK(mode_of(dir) == 0700);
}

TEST_CASE("make_private_dir names a path that cannot be a directory", "[private_dir]") {
  TempDir tmp = std::move(TempDir::create("brick-private").value());
  const std::string file = tmp.path() + "/containers";
  REQUIRE(::close(::creat(file.c_str(), 0644)) == 0);
  auto made = make_private_dir(file);
  REQUIRE_FALSE(made);
  CHECK_THAT(made.error().message(), Catch::Contains("`" + file + "`"));
}
