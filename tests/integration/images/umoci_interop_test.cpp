// Interop: a layer that umoci writes unpacks with brick to the same tree
// `umoci unpack --rootless` makes, and brick computes the digests umoci
// recorded in the manifest and config.
#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "images/unpack.hpp"
#include "unit/images/tar_builder.hpp"

using namespace brick;
using brick::testing::shell;
namespace fs = std::filesystem;

namespace {

bool run(const std::string& command) {
  int status = ::system((command + " >/dev/null 2>&1").c_str());
  if (status != 0) WARN("failed: " << command);
  return status == 0;
}

nlohmann::json read_blob(const std::string& layout, const std::string& digest) {
  std::string path = layout + "/blobs/sha256/" + digest.substr(digest.find(':') + 1);
  return nlohmann::json::parse(read_file(path).value(), nullptr, false);
}

// rel path -> type, permissions, mtime, link count, and content or target.
std::map<std::string, std::string> describe(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    std::string path = entry.path().string();
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    char head[96];
    snprintf(head, sizeof head, "%06o mtime=%lld nlink=%lu ", static_cast<unsigned>(st.st_mode),
             static_cast<long long>(st.st_mtime), S_ISDIR(st.st_mode) ? 0UL : static_cast<unsigned long>(st.st_nlink));
    std::string what = head;
    if (S_ISLNK(st.st_mode)) what += "-> " + fs::read_symlink(path).string();
    if (S_ISREG(st.st_mode)) what += read_file(path).value();
    out[path.substr(root.size())] = what;
  }
  return out;
}

}  // namespace

TEST_CASE("layers written by umoci unpack as umoci unpacks them", "[images][interop]") {
  if (shell("command -v umoci").empty()) {
    WARN("skipped: umoci is not installed");
    return;
  }
  TempDir tmp = TempDir::create("brick-umoci").value();
  std::string layout = tmp.path() + "/oci", src = tmp.path() + "/src", bundle = tmp.path() + "/bundle";
  fs::create_directories(src + "/bin");
  fs::create_directories(src + "/private/empty");
  REQUIRE(write_file_atomic(src + "/hello.txt", "hello\n"));
  REQUIRE(write_file_atomic(src + "/bin/tool", "#!/bin/sh\necho tool\n", 0755));
  REQUIRE(write_file_atomic(src + "/setuid", "s", 04711));
  fs::create_symlink("bin/tool", src + "/link");
  fs::create_symlink("/etc/absolute", src + "/abs");
  fs::create_hard_link(src + "/hello.txt", src + "/hard");
  fs::permissions(src + "/private", fs::perms::owner_all);
  REQUIRE(write_file_atomic(tmp.path() + "/extra", "second layer\n"));

  REQUIRE(run("umoci init --layout " + layout));
  REQUIRE(run("umoci new --image " + layout + ":t"));
  REQUIRE(run("umoci insert --image " + layout + ":t " + src + " /opt"));
  REQUIRE(run("umoci insert --image " + layout + ":t " + tmp.path() + "/extra /etc/extra"));
  REQUIRE(run("umoci unpack --rootless --image " + layout + ":t " + bundle));

  auto index = nlohmann::json::parse(read_file(layout + "/index.json").value(), nullptr, false);
  REQUIRE(index.contains("manifests"));
  auto manifest = read_blob(layout, index["manifests"][0]["digest"].get<std::string>());
  auto config = read_blob(layout, manifest["config"]["digest"].get<std::string>());
  const auto& layers = manifest["layers"];
  const auto& diff_ids = config["rootfs"]["diff_ids"];
  REQUIRE(layers.size() == 2);
  REQUIRE(diff_ids.size() == 2);

  std::string dest = tmp.path() + "/brick";
  fs::create_directories(dest);
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string digest = layers[i]["digest"].get<std::string>();
    std::string blob = layout + "/blobs/sha256/" + digest.substr(7);
    // Same tree for both: rootless, owned by the caller, as umoci --rootless.
    auto result = images::unpack_layer(blob, dest, {.preserve_ownership = false});
    INFO((result ? std::string() : result.error().full()));
    REQUIRE(result);
    CHECK(result->compressed_digest == digest);
    CHECK(result->diff_id == diff_ids[i].get<std::string>());
    CHECK(result->compressed_size == layers[i]["size"].get<uint64_t>());
  }
  auto ours = describe(dest);
  auto theirs = describe(bundle + "/rootfs");
  CHECK(ours.count("/opt/private/empty") == 1);
  CHECK(ours == theirs);
}
