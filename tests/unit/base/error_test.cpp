#include "base/error.hpp"

#include <sys/stat.h>

#include <algorithm>
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

TEST_CASE("several new files are written atomically, in order, and synced") {
  auto dir = TempDir::create("brick-test").value();
  REQUIRE(write_files_atomic(dir.path(), {{"config.json", "{}"}, {"state.json", "[]"}}, 0600));
  CHECK(read_file(dir.path() + "/config.json").value() == "{}");
  CHECK(read_file(dir.path() + "/state.json").value() == "[]");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files.push_back(entry.path().filename());
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"config.json", "state.json"});
  // A directory that is not there: an error naming the file, nothing written.
  auto failed = write_files_atomic(dir.path() + "/nope", {{"a", "1"}});
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message().find("/nope/a") != std::string::npos);
}

TEST_CASE("remove_tree removes a whole tree and follows no symlink out of it") {
  auto dir = TempDir::create("brick-test").value();
  const std::string outside = dir.path() + "/outside";
  std::filesystem::create_directories(outside + "/keep");
  REQUIRE(write_file_atomic(outside + "/keep/file", "x"));
  const std::string tree = dir.path() + "/tree";
  std::filesystem::create_directories(tree + "/a/b/c");
  std::filesystem::create_directories(tree + "/empty");
  REQUIRE(write_file_atomic(tree + "/a/b/c/deep", "x"));
  REQUIRE(write_file_atomic(tree + "/top", "x"));
  std::filesystem::create_directory_symlink(outside, tree + "/a/link-to-outside");
  std::filesystem::create_symlink(outside + "/keep/file", tree + "/file-link");
  REQUIRE(remove_tree(tree));
  CHECK_FALSE(std::filesystem::exists(tree));
  CHECK(read_file(outside + "/keep/file").value() == "x");
  // Gone already, a symlink or a plain file: the name itself, no error.
  CHECK(remove_tree(tree));
  std::filesystem::create_directory_symlink(outside, dir.path() + "/dirlink");
  REQUIRE(remove_tree(dir.path() + "/dirlink"));
  CHECK_FALSE(std::filesystem::is_symlink(dir.path() + "/dirlink"));
  CHECK(std::filesystem::exists(outside + "/keep/file"));
  REQUIRE(remove_tree(outside + "/keep/file"));
  CHECK_FALSE(std::filesystem::exists(outside + "/keep/file"));
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
