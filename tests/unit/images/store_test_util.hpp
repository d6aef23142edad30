// Builders for small image archives (docker save and OCI) in a temp dir.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/temp_dir.hpp"
#include "images/archive.hpp"
#include "images/layout.hpp"
#include "images/unpack.hpp"
#include "unit/images/tar_builder.hpp"

namespace brick::images::test {

using Files = std::vector<std::pair<std::string, std::string>>;

inline TempDir temp_dir() {
  auto t = TempDir::create("brick-store-test");
  REQUIRE(t);
  return std::move(*t);
}

// A layer tar with `files`; `compression` is "", "gzip" or "zstd".
inline std::string make_layer(const std::string& path, const Files& files, const std::string& compression = "") {
  std::vector<TarMember> members;
  for (const auto& [name, data] : files) members.push_back({name, data, ""});
  REQUIRE(write_tar(path, members));
  if (compression.empty()) return path;
  std::string out = path + (compression == "gzip" ? ".gz" : ".zst");
  std::string cmd = compression + " -q -c " + path + " > " + out;
  REQUIRE(std::system(cmd.c_str()) == 0);
  return out;
}

inline std::string diff_id(const std::string& layer) {
  // Not by the code under test: zstd -f decompresses gzip and zstd and
  // passes a plain tar through.
  return testing::sha256_of_command("zstd -dcqf " + layer);
}

inline std::string file_digest(const std::string& path) {
  auto d = sha256_file(path);
  REQUIRE(d);
  return *d;
}

inline std::string config_for(const std::vector<std::string>& layers, const nlohmann::json& cfg = nullptr) {
  nlohmann::json diff_ids = nlohmann::json::array();
  for (const auto& l : layers) diff_ids.push_back(diff_id(l));
  nlohmann::json doc = {{"architecture", "amd64"},
                        {"os", "linux"},
                        {"created", "2024-01-02T03:04:05Z"},
                        {"config", cfg.is_null() ? nlohmann::json{{"Cmd", {"sh"}}, {"Env", {"PATH=/bin"}}} : cfg},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  return doc.dump();
}

struct DockerImage {
  std::vector<std::string> tags;
  std::string config;
  std::vector<std::string> layers;
};

// docker save's legacy shape: <hex>.json configs, <n>/layer.tar, manifest.json.
inline void docker_archive(const std::string& out, const std::vector<DockerImage>& images) {
  std::vector<TarMember> members;
  nlohmann::json manifest = nlohmann::json::array();
  int n = 0;
  for (const auto& image : images) {
    std::string config_name = sha256_bytes(image.config).substr(7) + ".json";
    members.push_back({config_name, image.config, ""});
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& layer : image.layers) {
      std::string name = "l" + std::to_string(n++) + "/layer.tar";
      members.push_back({name, "", layer});
      layers.push_back(name);
    }
    manifest.push_back({{"Config", config_name}, {"RepoTags", image.tags}, {"Layers", layers}});
  }
  members.push_back({"manifest.json", manifest.dump(), ""});
  REQUIRE(write_tar(out, members));
}

struct OciImage {
  std::string ref_name;  // empty: no annotation
  std::string config;
  std::vector<std::string> layers;
};

inline void oci_archive(const std::string& out, const std::vector<OciImage>& images) {
  std::vector<TarMember> members = {{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})", ""}};
  nlohmann::json index = {{"schemaVersion", 2}, {"manifests", nlohmann::json::array()}};
  for (const auto& image : images) {
    std::vector<LayerSource> sources;
    for (const auto& layer : image.layers) {
      LayerSource s;
      s.path = layer;
      s.media_type = *layer_media_type(layer);
      s.digest = file_digest(layer);
      s.size = 1;
      sources.push_back(s);
      members.push_back({"blobs/sha256/" + s.digest.substr(7), "", layer});
    }
    members.push_back({"blobs/sha256/" + sha256_bytes(image.config).substr(7), image.config, ""});
    std::string manifest = make_manifest(image.config, sources);
    members.push_back({"blobs/sha256/" + sha256_bytes(manifest).substr(7), manifest, ""});
    nlohmann::json desc = {
        {"mediaType", std::string(kMediaTypeManifest)}, {"digest", sha256_bytes(manifest)}, {"size", manifest.size()}};
    if (!image.ref_name.empty()) desc["annotations"] = {{"org.opencontainers.image.ref.name", image.ref_name}};
    index["manifests"].push_back(desc);
  }
  members.push_back({"index.json", index.dump(), ""});
  REQUIRE(write_tar(out, members));
}

}  // namespace brick::images::test
