// Replays of fuzz/image_layout_fuzz findings. The layouts are the ones the
// regression seeds fuzz/corpus/image_layout/regression-* describe.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "images/archive.hpp"
#include "images/layout.hpp"

using namespace brick::images;

namespace {

// Stores `data` as a blob of the layout at `dir` and returns its digest.
std::string put_blob(const std::string& dir, const std::string& data) {
  std::string digest = sha256_bytes(data);
  REQUIRE(brick::write_file_atomic(dir + "/blobs/sha256/" + digest.substr(7), data, 0644, false));
  return digest;
}

// An OCI layout with one image whose only layer has `size` as written.
std::string layout_with_layer_size(const std::string& dir, const std::string& size) {
  REQUIRE(::mkdir((dir + "/blobs").c_str(), 0755) == 0);
  REQUIRE(::mkdir((dir + "/blobs/sha256").c_str(), 0755) == 0);
  std::string config = put_blob(dir, R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}})");
  std::string layer = put_blob(dir, std::string(1024, '\0'));
  std::string manifest = put_blob(dir, R"({"schemaVersion":2,"config":{"digest":")" + config +
                                           R"("},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",)"
                                           R"("digest":")" +
                                           layer + R"(","size":)" + size + "}]}");
  REQUIRE(brick::write_file_atomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0644, false));
  REQUIRE(brick::write_file_atomic(dir + "/index.json", R"({"manifests":[{"digest":")" + manifest + R"("}]})", 0644,
                                   false));
  return "manifest `" + manifest + "`: layer `" + layer + "` has size `";
}

}  // namespace

TEST_CASE("read_layout refuses a layer size that is not a non-negative integer", "[layout][fuzz]") {
  // 1e300 used to be cast to uint64_t: undefined behaviour (UBSan:
  // float-cast-overflow); -1 became 2^64-1.
  for (std::string size : {"1e300", "-1", "1.5", "\"12\""}) {
    auto tmp = brick::TempDir::create();
    REQUIRE(tmp);
    std::string prefix = layout_with_layer_size(tmp->path(), size);
    auto images = read_layout(tmp->path());
    INFO(size);
    REQUIRE_FALSE(images.has_value());
    CHECK_THAT(images.error().message(), Catch::StartsWith(prefix) && Catch::Contains("not a non-negative integer"));
  }
  auto tmp = brick::TempDir::create();
  REQUIRE(tmp);
  layout_with_layer_size(tmp->path(), "1024");
  auto images = read_layout(tmp->path());
  REQUIRE(images);
  REQUIRE(images->size() == 1);
  CHECK(images->front().layers.at(0).size == 1024);
}
