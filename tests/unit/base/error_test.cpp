#include "base/error.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/temp_dir.hpp"

using namespace brick;

namespace {
Result<int> inner(bool ok) {
  if (!ok) return fail(Error("creating veth `vb3a1`", EEXIST));
  return 7;
}
Result<int> outer(bool ok) {
  int v = BRICK_TRY_CTX(inner(ok), "starting `web`");
  return v + 1;
}
}  // namespace

TEST_CASE("errors carry context outermost first, then errno") {
  auto r = outer(false);
  REQUIRE_FALSE(r);
  CHECK(r.error().message() == "starting `web`: creating veth `vb3a1`: File exists");
  CHECK(r.error().errno_value() == EEXIST);
  CHECK(outer(true).value() == 8);
}

TEST_CASE("error details are printed one per line after the headline") {
  Error e("2 errors");
  e.add_detail("a.yaml:1:1: x").add_detail("a.yaml:2:1: y");
  CHECK(e.full() == "2 errors\na.yaml:1:1: x\na.yaml:2:1: y");
}

TEST_CASE("atomic write replaces the file whole and leaves no temp file") {
  auto dir = TempDir::create("brick-test").value();
  std::string p = dir.path() + "/rec.json";
  REQUIRE(write_file_atomic(p, "old"));
  REQUIRE(write_file_atomic(p, "new"));
  CHECK(read_file(p).value() == "new");
  // The name says it: only the record is left, with exactly the mode asked
  // for (umask does not apply).
  REQUIRE(write_file_atomic(p, "newer", 0640));
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files.push_back(entry.path().filename());
  CHECK(files == std::vector<std::string>{"rec.json"});
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(read_file(p).value() == "newer");
  auto missing = read_file(dir.path() + "/nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message().find("No such file") != std::string::npos);
}

TEST_CASE("a held file lock excludes a second try") {
  auto dir = TempDir::create("brick-test").value();
  auto lock = FileLock::acquire(dir.path() + "/lock");
  REQUIRE(lock);
  auto second = FileLock::try_acquire(dir.path() + "/lock");
  REQUIRE_FALSE(second);
  CHECK(second.error().errno_value() == EWOULDBLOCK);
}

TEST_CASE("closest_match suggests plausible typos only") {
  std::vector<std::string> keys{"image", "environment", "ports", "volumes"};
  CHECK(closest_match("imgae", keys) == "image");
  CHECK(closest_match("enviroment", keys) == "environment");
  CHECK(closest_match("zzzzzz", keys).empty());
}
