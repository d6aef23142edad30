// Privileged: run inside tests/integration/sandbox.sh (a private mount
// namespace), where the overlays these tests mount die with the namespace.
#include "images/overlay.hpp"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "images/unpack.hpp"
#include "unit/images/tar_builder.hpp"

using namespace brick;
using namespace brick::testing;
using brick::images::OverlayApi;
namespace fs = std::filesystem;

namespace {

bool have_root() {
  if (::geteuid() == 0) return true;
  WARN("skipped: needs root (run through tests/integration/sandbox.sh)");
  return false;
}

bool is_empty_dir(const std::string& path) { return fs::is_directory(path) && fs::is_empty(path); }

// Empty upper and work directories, as a new container gets them.
void fresh_dirs(const std::string& upper, const std::string& work) {
  for (const auto& d : {upper, work}) {
    fs::remove_all(d);
    fs::create_directories(d);
  }
}

bool can_write(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// Two layers: the second deletes etc/gone and makes `opaque` opaque.
struct TwoLayers {
  TempDir tmp = TempDir::create("brick-overlay").value();
  std::string lower1 = tmp.path() + "/l1", lower2 = tmp.path() + "/l2", merged = tmp.path() + "/merged";
  TwoLayers() {
    for (const auto& d : {lower1, lower2, merged}) fs::create_directories(d);
    std::string tar1 = tmp.path() + "/1.tar", tar2 = tmp.path() + "/2.tar";
    REQUIRE(write_tar(
        tar1,
        {make_file("etc/keep", "kept"), make_file("etc/gone", "deleted above"), make_file("opaque/lower", "hidden"),
         make_file("opaque/sub/deep", "hidden"), make_file("other/x", "x")},
        Compression::gzip));
    REQUIRE(write_tar(tar2,
                      {make_dir("etc"), make_file("etc/.wh.gone", ""), make_file("etc/added", "new"),
                       make_dir("opaque"), make_file("opaque/.wh..wh..opq", ""), make_file("opaque/top", "top")},
                      Compression::zstd));
    auto r1 = images::unpack_layer(tar1, lower1);
    auto r2 = images::unpack_layer(tar2, lower2);
    INFO((r1 ? std::string() : r1.error().full()) << (r2 ? std::string() : r2.error().full()));
    REQUIRE(r1);
    REQUIRE(r2);
  }
  void check_merged() const {
    CHECK(read_file(merged + "/etc/keep").value_or("") == "kept");
    CHECK(read_file(merged + "/etc/added").value_or("") == "new");
    CHECK_FALSE(fs::exists(fs::symlink_status(merged + "/etc/gone")));
    CHECK(read_file(merged + "/opaque/top").value_or("") == "top");
    CHECK_FALSE(fs::exists(merged + "/opaque/lower"));
    CHECK_FALSE(fs::exists(merged + "/opaque/sub"));
    CHECK(read_file(merged + "/other/x").value_or("") == "x");
  }
};

}  // namespace

TEST_CASE("overlay of unpacked layers honours whiteouts and opaque dirs", "[images][overlay]") {
  if (!have_root()) return;
  TwoLayers t;
  auto api = GENERATE(OverlayApi::automatic, OverlayApi::layer_fds, OverlayApi::layer_paths, OverlayApi::mount_data);
  INFO("api " << static_cast<int>(api));
  std::string upper = t.tmp.path() + "/upper", work = t.tmp.path() + "/work";
  fs::create_directories(upper);
  fs::create_directories(work);
  {
    auto guard = images::mount_overlay({t.lower2, t.lower1}, upper, work, t.merged, api);
    INFO((guard ? std::string() : guard.error().full()));
    REQUIRE(guard);
    t.check_merged();
    REQUIRE(write_file_atomic(t.merged + "/etc/written", "mine"));
    CHECK(fs::exists(upper + "/etc/written"));
    CHECK_FALSE(fs::exists(t.lower2 + "/etc/written"));
    REQUIRE(guard->unmount());
    CHECK(is_empty_dir(t.merged));
  }
  SECTION("the guard's destructor unmounts") {
    fresh_dirs(upper, work);
    {
      auto guard = images::mount_overlay({t.lower2, t.lower1}, upper, work, t.merged, api);
      REQUIRE(guard);
      CHECK_FALSE(is_empty_dir(t.merged));
    }
    CHECK(is_empty_dir(t.merged));
  }
}

// The super options of the overlay mounted at `target`, from mountinfo.
std::string super_options_of(const std::string& target) {
  std::string info = read_file("/proc/self/mountinfo").value_or("");
  std::istringstream lines(info);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    if (point != target) continue;
    const size_t dash = line.find(" - ");
    return dash == std::string::npos ? "" : line.substr(dash + 3);
  }
  return "";
}

TEST_CASE("a throwaway upper layer is never synced: overlayfs' volatile", "[images][overlay]") {
  if (!have_root()) return;
  TwoLayers t;
  auto api = GENERATE(OverlayApi::automatic, OverlayApi::layer_paths, OverlayApi::mount_data);
  INFO("api " << static_cast<int>(api));
  std::string upper = t.tmp.path() + "/upper", work = t.tmp.path() + "/work";
  fresh_dirs(upper, work);
  {
    auto guard =
        images::mount_overlay({t.lower2, t.lower1}, upper, work, t.merged, api, images::UpperSync::volatile_upper);
    INFO((guard ? std::string() : guard.error().full()));
    REQUIRE(guard);
    CHECK_THAT(super_options_of(t.merged), Catch::Contains("volatile"));
    t.check_merged();
    REQUIRE(write_file_atomic(t.merged + "/etc/written", "mine"));
    CHECK(fs::exists(upper + "/etc/written"));
  }
  fresh_dirs(upper, work);
  // And by default it is synced like any other mount.
  auto guard = images::mount_overlay({t.lower2, t.lower1}, upper, work, t.merged, api);
  REQUIRE(guard);
  CHECK_THAT(super_options_of(t.merged), !Catch::Contains("volatile"));
}

TEST_CASE("overlays without an upper are read-only", "[images][overlay]") {
  if (!have_root()) return;
  TwoLayers t;
  {
    auto guard = images::mount_overlay({t.lower2, t.lower1}, "", "", t.merged);
    INFO((guard ? std::string() : guard.error().full()));
    REQUIRE(guard);
    t.check_merged();
    CHECK_FALSE(can_write(t.merged + "/new"));
    CHECK(errno == EROFS);
  }
  CHECK(is_empty_dir(t.merged));
  {
    auto guard = images::mount_overlay({t.lower1}, "", "", t.merged);
    INFO((guard ? std::string() : guard.error().full()));
    REQUIRE(guard);
    CHECK(read_file(t.merged + "/etc/gone").value_or("") == "deleted above");
    CHECK_FALSE(can_write(t.merged + "/new"));
    CHECK(errno == EROFS);
  }
  CHECK(is_empty_dir(t.merged));
  CHECK_FALSE(images::mount_overlay({}, "", "", t.merged));
  CHECK_FALSE(images::mount_overlay({t.lower1}, t.tmp.path(), "", t.merged));
  auto missing = images::mount_overlay({t.lower1 + "/missing"}, "", "", t.merged);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message(), Catch::Contains("missing"));
}

TEST_CASE("many layers with long paths overflow one page of mount options", "[images][overlay]") {
  if (!have_root()) return;
  TempDir tmp = TempDir::create("brick-overlay").value();
  const int count = 120;
  std::string deep = tmp.path() + "/" + std::string(80, 'd');
  std::vector<std::string> lowers;  // topmost first
  size_t total = 0;
  for (int i = count - 1; i >= 0; --i) {
    std::string dir = deep + "/layer-" + std::to_string(i);
    fs::create_directories(dir);
    REQUIRE(write_file_atomic(dir + "/from-" + std::to_string(i), "x"));
    REQUIRE(write_file_atomic(dir + "/top", std::to_string(i)));
    lowers.push_back(dir);
    total += dir.size() + 1;
  }
  REQUIRE(total > 4096);
  std::string merged = tmp.path() + "/merged";
  fs::create_directories(merged);
  auto api = GENERATE(OverlayApi::automatic, OverlayApi::layer_fds, OverlayApi::mount_data);
  INFO("api " << static_cast<int>(api));
  auto guard = images::mount_overlay(lowers, "", "", merged, api);
  INFO((guard ? std::string() : guard.error().full()));
  REQUIRE(guard);
  CHECK(read_file(merged + "/top").value_or("") == std::to_string(count - 1));
  CHECK(fs::exists(merged + "/from-0"));
  CHECK(fs::exists(merged + "/from-" + std::to_string(count - 1)));
  REQUIRE(guard->unmount());
  CHECK(is_empty_dir(merged));
}
