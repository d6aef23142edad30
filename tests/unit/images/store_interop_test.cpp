// brick's archives against the tools users already have: skopeo and umoci.
// Each case is skipped (with a warning) when the tool is not installed.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "base/file.hpp"
#include "images/store.hpp"
#include "store_test_util.hpp"

using namespace brick;
using namespace brick::images;
using namespace brick::images::test;

namespace {

bool have(const std::string& tool) { return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0; }

// Runs `cmd` through the shell; its stdout, and whether it exited 0.
std::pair<bool, std::string> sh(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {false, ""};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  INFO(cmd << "\n" << out);
  return {rc == 0, out};
}

}  // namespace

TEST_CASE("an OCI archive made by umoci and skopeo loads", "[store][interop]") {
  if (!have("umoci") || !have("skopeo")) {
    WARN("umoci or skopeo not installed; skipped");
    return;
  }
  TempDir tmp = temp_dir();
  const std::string t = tmp.path();
  // umoci 0.4.7's `insert` of a single file writes a truncated tar, so the
  // layer comes from unpack + repack.
  auto [ok, out] = sh("cd " + t + " && umoci init --layout L && umoci new --image L:t && " +
                      "umoci unpack --rootless --image L:t B && mkdir -p B/rootfs/etc && " +
                      "printf hello > B/rootfs/etc/f && umoci repack --image L:t B && " +
                      "umoci config --image L:t --config.cmd sh && skopeo copy oci:L:t oci-archive:A.tar:myapp:1");
  REQUIRE(ok);
  auto store = Store::open(t + "/root");
  REQUIRE(store);
  auto names = store->load_archive(t + "/A.tar");
  INFO((names ? "" : names.error().message()));
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"docker.io/library/myapp:1"});
  auto info = store->resolve("myapp:1");
  REQUIRE(info);
  CHECK(info->config.cmd == std::vector<std::string>{"sh"});
  REQUIRE_FALSE(info->layer_dirs.empty());
  CHECK(*read_file(info->layer_dirs.back() + "/etc/f") == "hello");
  // The layout itself, by transport.
  CHECK(store->resolve("oci:" + t + "/L:t"));
}

TEST_CASE("brick image save output is read by skopeo and unpacked by umoci", "[store][interop]") {
  if (!have("umoci") || !have("skopeo")) {
    WARN("umoci or skopeo not installed; skipped");
    return;
  }
  TempDir tmp = temp_dir();
  const std::string t = tmp.path();
  std::filesystem::create_directories(t + "/rootfs/etc");
  REQUIRE(write_file_atomic(t + "/rootfs/etc/motd", "hi"));
  auto store = Store::open(t + "/root");
  REQUIRE(store);
  REQUIRE(store->import_rootfs(t + "/rootfs", "local/app:1", {"CMD [\"sh\"]"}));
  std::string layer = make_layer(t + "/l.tar", {{"x", "y"}}, "gzip");
  docker_archive(t + "/d.tar", {{{"other:2"}, config_for({layer}), {layer}}});
  REQUIRE(store->load_archive(t + "/d.tar"));
  const std::string digest = store->resolve("local/app:1")->manifest_digest;

  REQUIRE(store->save({"local/app:1"}, t + "/one.tar"));
  auto [ok, out] = sh("skopeo inspect oci-archive:" + t + "/one.tar");
  REQUIRE(ok);
  CHECK_THAT(out, Catch::Contains(digest));

  REQUIRE(store->save({"local/app:1", "other:2"}, t + "/two.tar"));
  auto [ok2, out2] = sh("skopeo inspect oci-archive:" + t + "/two.tar:docker.io/local/app:1");
  REQUIRE(ok2);
  CHECK_THAT(out2, Catch::Contains(digest));

  auto [ok3, out3] = sh("mkdir " + t + "/layout && tar -xf " + t + "/two.tar -C " + t + "/layout && " +
                        "umoci unpack --rootless --image " + t + "/layout:docker.io/library/other:2 " + t + "/bundle");
  REQUIRE(ok3);
  CHECK(*read_file(t + "/bundle/rootfs/x") == "y");
}
