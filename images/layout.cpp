#include "images/layout.hpp"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "images/archive.hpp"
#include "images/reference.hpp"
#include "images/unpack.hpp"

namespace brick::images {
namespace {

using nlohmann::json;

constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";
constexpr std::string_view kContainerdName = "io.containerd.image.name";

std::string host_arch() {
  struct utsname u;
  if (::uname(&u) != 0) return "amd64";
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  return m;
}

Result<uint64_t> file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return fail_errno("stat `" + path + "`");
  return static_cast<uint64_t>(st.st_size);
}

// A blob path for a digest, and its bytes checked against the digest.
Result<std::string> blob_path(const std::string& dir, const std::string& digest) {
  if (!is_valid_digest(digest)) return fail("`" + digest + "` is not a sha256 digest");
  return path_inside(dir, "blobs/sha256/" + digest.substr(7));
}

Result<std::string> read_blob(const std::string& dir, const std::string& digest) {
  std::string path = BRICK_TRY(blob_path(dir, digest));
  std::string data = BRICK_TRY(read_file(path));
  std::string actual = sha256_bytes(data);
  if (actual != digest) return fail("blob `" + digest + "` has digest `" + actual + "`");
  return data;
}

Result<std::string> normalize(const std::string& name) {
  Reference ref = BRICK_TRY(parse_reference(name));
  return ref.str();
}

bool matches(const std::string& select, const std::vector<std::string>& raw, const std::vector<std::string>& names) {
  if (std::find(raw.begin(), raw.end(), select) != raw.end()) return true;
  auto norm = normalize(select);
  return norm && std::find(names.begin(), names.end(), *norm) != names.end();
}

// docker save: manifest.json lists Config, RepoTags and Layers by path.
Result<std::vector<ArchiveImage>> read_docker(const std::string& dir, const std::string& select) {
  json doc = json::parse(BRICK_TRY(read_file(dir + "/manifest.json")), nullptr, false);
  if (!doc.is_array()) return fail("manifest.json: not a JSON list");
  std::vector<ArchiveImage> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const json& entry = doc[i];
    std::string where = "manifest.json[" + std::to_string(i) + "]";
    if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string() || !entry.contains("Layers") ||
        !entry["Layers"].is_array())
      return fail(where + ": needs Config and Layers");
    ArchiveImage image;
    std::vector<std::string> raw;
    if (auto tags = entry.find("RepoTags"); tags != entry.end() && tags->is_array()) {
      for (const auto& tag : *tags) {
        if (!tag.is_string()) return fail(where + ".RepoTags: must be strings");
        raw.push_back(tag.get<std::string>());
        image.names.push_back(BRICK_TRY_CTX(normalize(raw.back()), where + ".RepoTags"));
      }
    }
    if (!select.empty() && !matches(select, raw, image.names)) continue;
    std::string config_rel = entry["Config"].get<std::string>();
    std::string config_path = BRICK_TRY_CTX(path_inside(dir, config_rel), where + ".Config");
    image.config = BRICK_TRY(read_file(config_path));
    // Docker names the config by its digest (`<hex>.json` or a blob path):
    // a file that does not hash to its name was altered.
    std::string stem = config_rel.substr(config_rel.rfind('/') + 1);
    if (stem.ends_with(".json")) stem.resize(stem.size() - 5);
    if (is_valid_digest("sha256:" + stem) && sha256_bytes(image.config) != "sha256:" + stem)
      return fail(where + ".Config: `" + config_rel + "` has digest `" + sha256_bytes(image.config) + "`");
    for (const auto& layer : entry["Layers"]) {
      if (!layer.is_string()) return fail(where + ".Layers: must be strings");
      LayerSource src;
      src.path = BRICK_TRY_CTX(path_inside(dir, layer.get<std::string>()), where + ".Layers");
      src.media_type = BRICK_TRY(layer_media_type(src.path));
      src.digest = BRICK_TRY(sha256_file(src.path));
      src.size = BRICK_TRY(file_size(src.path));
      image.layers.push_back(std::move(src));
    }
    image.manifest = make_manifest(image.config, image.layers);
    out.push_back(std::move(image));
  }
  if (!select.empty() && out.empty()) return fail("no image named `" + select + "` in manifest.json");
  return out;
}

// The layer types of the OCI image spec (plain, gzip, zstd, and their
// non-distributable twins) and of Docker's schema 2. The compression itself
// is told from the bytes; the type only has to say "a tar layer".
bool is_layer_media_type(std::string_view type) {
  for (std::string_view prefix :
       {"application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.docker.image.rootfs.diff.tar", "application/vnd.docker.image.rootfs.foreign.diff.tar"}) {
    if (!type.starts_with(prefix)) continue;
    std::string_view rest = type.substr(prefix.size());
    if (rest.empty() || rest == "+gzip" || rest == "+zstd" || rest == ".gzip") return true;
  }
  return false;
}

Result<ArchiveImage> read_oci_manifest(const std::string& dir, const json& desc, int depth) {
  std::string digest = desc.value("digest", "");
  std::string media = desc.value("mediaType", "");
  std::string bytes = BRICK_TRY(read_blob(dir, digest));
  json doc = json::parse(bytes, nullptr, false);
  if (!doc.is_object()) return fail("blob `" + digest + "` is not a JSON object");
  if (media.empty()) media = doc.value("mediaType", "");
  if (doc.contains("manifests")) {  // a nested index: pick this host's platform
    if (depth > 2) return fail("image indexes nested too deeply");
    const json& list = doc["manifests"];
    if (!list.is_array() || list.empty()) return fail("index `" + digest + "` lists no manifests");
    const json* chosen = list.size() == 1 ? &list[0] : nullptr;
    for (const auto& m : list) {
      const json p = m.value("platform", json::object());
      if (p.value("os", "") == "linux" && p.value("architecture", "") == host_arch()) {
        chosen = &m;
        break;
      }
    }
    if (!chosen) return fail("index `" + digest + "` has no manifest for linux/" + host_arch());
    return read_oci_manifest(dir, *chosen, depth + 1);
  }
  if (!doc.contains("config") || !doc["config"].is_object() || !doc.contains("layers") || !doc["layers"].is_array())
    return fail("manifest `" + digest + "` needs config and layers");
  ArchiveImage image;
  image.manifest = bytes;
  image.config = BRICK_TRY_CTX(read_blob(dir, doc["config"].value("digest", "")), "manifest `" + digest + "` config");
  for (const auto& layer : doc["layers"]) {
    if (!layer.is_object()) return fail("manifest `" + digest + "`: a layer is not an object");
    LayerSource src;
    src.digest = layer.value("digest", "");
    src.media_type = layer.value("mediaType", "");
    if (!is_layer_media_type(src.media_type))
      return fail("manifest `" + digest + "`: layer `" + src.digest + "` has media type `" + src.media_type +
                  "`, which is not an image layer brick can unpack");
    // Read as a plain integer: json's value<uint64_t>() casts a float such as
    // 1e300 to an integer, which is undefined (found by fuzz/image_layout_fuzz).
    if (auto size = layer.find("size"); size != layer.end()) {
      if (!size->is_number_unsigned())
        return fail("manifest `" + digest + "`: layer `" + src.digest + "` has size `" + size->dump() +
                    "`, which is not a non-negative integer");
      src.size = size->get<uint64_t>();
    }
    src.path = BRICK_TRY_CTX(blob_path(dir, src.digest), "manifest `" + digest + "` layer");
    image.layers.push_back(std::move(src));
  }
  return image;
}

Result<std::vector<ArchiveImage>> read_oci(const std::string& dir, const std::string& select) {
  json doc = json::parse(BRICK_TRY(read_file(dir + "/index.json")), nullptr, false);
  if (!doc.is_object() || !doc.contains("manifests") || !doc["manifests"].is_array())
    return fail("index.json: needs a manifests list");
  std::vector<ArchiveImage> out;
  std::vector<std::string> digests;  // one image per manifest, names merged
  for (const auto& desc : doc["manifests"]) {
    if (!desc.is_object()) return fail("index.json: a manifest is not an object");
    std::string digest = desc.value("digest", "");
    json ann = desc.value("annotations", json::object());
    std::vector<std::string> raw, names;
    std::string ref_name = ann.is_object() ? ann.value(std::string(kRefName), "") : "";
    std::string full_name = ann.is_object() ? ann.value(std::string(kContainerdName), "") : "";
    if (!ref_name.empty()) raw.push_back(ref_name);
    if (!full_name.empty()) raw.push_back(full_name);
    // containerd's full name wins over ref.name, which docker sets to the tag.
    const std::string& name = !full_name.empty() ? full_name : ref_name;
    if (!name.empty()) names.push_back(BRICK_TRY_CTX(normalize(name), "index.json annotation `" + name + "`"));
    if (!select.empty() && !matches(select, raw, names)) continue;
    auto seen = std::find(digests.begin(), digests.end(), digest);
    if (seen != digests.end()) {
      auto& existing = out[static_cast<size_t>(seen - digests.begin())].names;
      for (auto& n : names)
        if (std::find(existing.begin(), existing.end(), n) == existing.end()) existing.push_back(n);
      continue;
    }
    ArchiveImage image = BRICK_TRY(read_oci_manifest(dir, desc, 0));
    image.names = std::move(names);
    digests.push_back(digest);
    out.push_back(std::move(image));
  }
  if (!select.empty() && out.empty()) return fail("no image named `" + select + "` in index.json");
  return out;
}

}  // namespace

std::string make_manifest(const std::string& config, const std::vector<LayerSource>& layers) {
  json m = {{"schemaVersion", 2},
            {"mediaType", kMediaTypeManifest},
            {"config", {{"mediaType", kMediaTypeConfig}, {"digest", sha256_bytes(config)}, {"size", config.size()}}},
            {"layers", json::array()}};
  for (const auto& l : layers)
    m["layers"].push_back({{"mediaType", l.media_type}, {"digest", l.digest}, {"size", l.size}});
  return m.dump();
}

Result<std::vector<ArchiveImage>> read_layout(const std::string& dir, const std::string& select) {
  struct stat st;
  try {
    if (::stat((dir + "/manifest.json").c_str(), &st) == 0) return read_docker(dir, select);
    if (::stat((dir + "/oci-layout").c_str(), &st) == 0) {
      json layout = json::parse(BRICK_TRY(read_file(dir + "/oci-layout")), nullptr, false);
      if (!layout.is_object() || !layout.value("imageLayoutVersion", "").starts_with("1."))
        return fail("oci-layout: imageLayoutVersion is not 1.x");
      return read_oci(dir, select);
    }
  } catch (const json::exception& e) {  // value() on a field of the wrong type
    return fail(std::string("malformed archive metadata: ") + e.what());
  }
  return fail("neither a docker save archive (manifest.json) nor an OCI layout (oci-layout, index.json)");
}

}  // namespace brick::images
