#include "images/store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file.hpp"
#include "base/private_dir.hpp"
#include "images/archive.hpp"
#include "images/reference.hpp"

namespace brick::images {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";
constexpr std::string_view kContainerdName = "io.containerd.image.name";

struct Manifest {
  std::string config_digest;
  std::vector<std::string> layer_digests;
  uint64_t layers_size = 0;
};

Result<Manifest> parse_manifest(const std::string& bytes, const std::string& digest) {
  json doc = json::parse(bytes, nullptr, false);
  try {
    if (!doc.is_object() || !doc.contains("config") || !doc.contains("layers"))
      return fail("manifest `" + digest + "` is malformed");
    Manifest m;
    m.config_digest = doc["config"].value("digest", "");
    for (const auto& l : doc["layers"]) {
      m.layer_digests.push_back(l.value("digest", ""));
      m.layers_size += l.value("size", uint64_t{0});
    }
    return m;
  } catch (const json::exception& e) {
    return fail("manifest `" + digest + "`: " + e.what());
  }
}

// The manifest's own mediaType (docker's schema 2 or OCI), for descriptors.
std::string media_type_of(const std::string& manifest) {
  json doc = json::parse(manifest, nullptr, false);
  if (doc.is_object() && doc.contains("mediaType") && doc["mediaType"].is_string())
    return doc["mediaType"].get<std::string>();
  return std::string(kMediaTypeManifest);
}

std::string hex_of(const std::string& digest) { return digest.size() > 7 ? digest.substr(7) : digest; }

// Digests fit only file names of 64 hex digits; anything else in blobs/ or
// layers/ is not ours to delete.
bool is_hex64(const std::string& s) { return is_valid_digest("sha256:" + s); }

uint64_t tree_size(const fs::path& p) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

}  // namespace

Result<Store> Store::open(const std::string& root) {
  Store store(root + "/images");
  // Layers keep an image's setuid files: no host user may reach them.
  BRICK_TRY(make_private_dir(store.dir_));
  std::error_code ec;
  for (const char* sub : {"/blobs/sha256", "/layers", "/tmp"}) {
    fs::create_directories(store.dir_ + sub, ec);
    if (ec) return fail(Error("creating `" + store.dir_ + sub + "`: " + ec.message(), ec.value()));
  }
  struct stat st;
  if (::stat((store.dir_ + "/oci-layout").c_str(), &st) != 0)
    BRICK_TRY(write_file_atomic(store.dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  return store;
}

std::string Store::blob_path(const std::string& digest) const { return dir_ + "/blobs/sha256/" + hex_of(digest); }
std::string Store::layer_dir(const std::string& diff_id) const { return dir_ + "/layers/" + hex_of(diff_id); }

Result<std::vector<Store::Entry>> Store::read_index() const {
  std::vector<Entry> out;
  std::string path = dir_ + "/index.json";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return out;
  json doc = json::parse(BRICK_TRY(read_file(path)), nullptr, false);
  try {
    if (!doc.is_object() || !doc.contains("manifests")) return fail("`" + path + "` is not an OCI image index");
    for (const auto& m : doc["manifests"]) {
      Entry e;
      e.digest = m.value("digest", "");
      e.size = m.value("size", uint64_t{0});
      if (m.contains("annotations")) e.name = m["annotations"].value(std::string(kRefName), "");
      out.push_back(std::move(e));
    }
  } catch (const json::exception& e) {
    return fail("`" + path + "`: " + e.what());
  }
  return out;
}

Status Store::write_index(const std::vector<Entry>& entries) const {
  json doc = {{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", json::array()}};
  for (const auto& e : entries) {
    auto manifest = read_file(blob_path(e.digest));
    std::string media_type = manifest ? media_type_of(*manifest) : std::string(kMediaTypeManifest);
    json d = {{"mediaType", media_type}, {"digest", e.digest}, {"size", e.size}};
    if (!e.name.empty()) d["annotations"] = {{kRefName, e.name}, {kContainerdName, e.name}};
    doc["manifests"].push_back(std::move(d));
  }
  return write_file_atomic(dir_ + "/index.json", doc.dump(2) + "\n");
}

void Store::set_names(std::vector<Entry>& entries, const std::string& digest, uint64_t size,
                      const std::vector<std::string>& names) {
  std::vector<Entry> losing;  // images a name moves away from
  for (const auto& name : names)
    for (auto& e : entries)
      if (e.name == name && e.digest != digest) {
        losing.push_back({"", e.digest, e.size});
        e.digest.clear();
      }
  std::erase_if(entries, [](const Entry& e) { return e.digest.empty(); });
  for (const auto& lost : losing)  // a moved name leaves its old image untagged, as docker does
    if (std::none_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.digest == lost.digest; }))
      entries.push_back(lost);
  for (const auto& name : names)
    if (std::none_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.name == name; }))
      entries.push_back({name, digest, size});
  if (std::none_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.digest == digest; }))
    entries.push_back({"", digest, size});
  if (!names.empty())  // a named image needs no untagged entry
    std::erase_if(entries, [&](const Entry& e) { return e.digest == digest && e.name.empty(); });
}

Result<std::vector<Store::Entry>> Store::find(const std::string& name) const {
  auto entries = BRICK_TRY(read_index());
  std::vector<Entry> out;
  auto ref = parse_reference(name);
  if (ref) {
    for (const auto& e : entries)
      if (ref->digest.empty() ? e.name == ref->str() : e.digest == ref->digest) out.push_back(e);
    if (!out.empty()) return out;
  }
  // An image ID (config digest), full or a unique prefix, or a manifest digest.
  std::string hex = name.starts_with("sha256:") ? name.substr(7) : name;
  bool hexy = !hex.empty() && hex.size() <= 64 &&
              std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  if (hexy) {
    std::set<std::string> ids;
    for (const auto& e : entries) {
      auto bytes = read_file(blob_path(e.digest));
      if (!bytes) continue;
      auto m = parse_manifest(*bytes, e.digest);
      if (!m) continue;
      if (hex_of(m->config_digest).starts_with(hex) || e.digest == "sha256:" + hex) {
        out.push_back(e);
        ids.insert(m->config_digest);
      }
    }
    if (ids.size() > 1) return fail("`" + name + "` matches more than one image ID; give more digits");
    if (!out.empty()) return out;
  }
  if (!ref && !hexy) return fail(ref.error());
  return fail(Error("no such image: `" + name + "`", ENOENT));
}

Result<ImageInfo> Store::info(const Entry& entry) const {
  ImageInfo out;
  out.name = entry.name;
  out.manifest_digest = entry.digest;
  std::string manifest = BRICK_TRY_CTX(read_file(blob_path(entry.digest)), "reading image manifest");
  Manifest m = BRICK_TRY(parse_manifest(manifest, entry.digest));
  out.id = m.config_digest;
  std::string config = BRICK_TRY_CTX(read_file(blob_path(m.config_digest)), "reading image config");
  out.config = BRICK_TRY_CTX(parse_image_config(config), "image config `" + m.config_digest + "`");
  for (const auto& diff_id : out.config.diff_ids) {
    std::string dir = layer_dir(diff_id);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return fail("layer `" + diff_id + "` is missing from the store; load the image again");
    out.layer_dirs.push_back(dir);
  }
  return out;
}

Result<std::vector<ImageSummary>> Store::list() const {
  std::vector<ImageSummary> out;
  for (const auto& e : BRICK_TRY(read_index())) {
    ImageSummary s;
    s.name = e.name;
    s.repository = s.tag = "<none>";
    if (auto ref = parse_reference(e.name); ref && !e.name.empty()) {
      s.repository = ref->familiar_repository();
      if (!ref->tag.empty()) s.tag = ref->tag;
    }
    s.manifest_digest = e.digest;
    std::string manifest = BRICK_TRY_CTX(read_file(blob_path(e.digest)), "reading image manifest");
    Manifest m = BRICK_TRY(parse_manifest(manifest, e.digest));
    s.id = m.config_digest;
    s.size = m.layers_size;
    auto config = read_file(blob_path(m.config_digest));
    if (config) {
      auto parsed = parse_image_config(*config);
      if (parsed) s.created = parsed->created;
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::string> Store::inspect(const std::string& name) const {
  auto found = BRICK_TRY(find(name));
  ImageInfo image = BRICK_TRY(info(found.front()));
  std::string manifest = BRICK_TRY(read_file(blob_path(image.manifest_digest)));
  Manifest m = BRICK_TRY(parse_manifest(manifest, image.manifest_digest));
  json config = json::parse(BRICK_TRY(read_file(blob_path(image.id))), nullptr, false);
  json tags = json::array(), digests = json::array();
  for (const auto& e : BRICK_TRY(read_index())) {
    if (e.digest != image.manifest_digest || e.name.empty()) continue;
    auto ref = parse_reference(e.name);
    if (!ref) continue;
    tags.push_back(ref->familiar_repository() + ":" + ref->tag);
    digests.push_back(ref->familiar_repository() + "@" + e.digest);
  }
  json out = {{"Id", image.id},
              {"RepoTags", tags},
              {"RepoDigests", digests},
              {"Created", image.config.created},
              {"Architecture", image.config.architecture},
              {"Os", image.config.os},
              {"Size", m.layers_size},
              {"Config", config.is_object() && config.contains("config") ? config["config"] : json(nullptr)},
              {"RootFS", {{"Type", "layers"}, {"Layers", image.config.diff_ids}}},
              {"ManifestDigest", image.manifest_digest},
              {"LayerDirs", image.layer_dirs}};
  return out.dump(4);
}

Status Store::tag(const std::string& source, const std::string& target) {
  Reference ref = BRICK_TRY(parse_reference(target));
  if (!ref.digest.empty()) return fail("cannot tag with a digest reference `" + target + "`");
  auto lock = BRICK_TRY(FileLock::acquire(dir_ + "/lock"));
  auto found = BRICK_TRY(find(source));
  auto entries = BRICK_TRY(read_index());
  set_names(entries, found.front().digest, found.front().size, {ref.str()});
  return write_index(entries);
}

Result<std::vector<std::string>> Store::remove(const std::string& name, bool force, const InUse& in_use) {
  auto lock = BRICK_TRY(FileLock::acquire(dir_ + "/lock"));
  auto found = BRICK_TRY(find(name));
  const std::string digest = found.front().digest;
  ImageInfo image = BRICK_TRY(info(found.front()));
  auto entries = BRICK_TRY(read_index());
  auto ref = parse_reference(name);
  bool by_name = ref && std::any_of(entries.begin(), entries.end(), [&](const Entry& e) {
                   return !e.name.empty() && e.name == ref->str() && ref->digest.empty();
                 });
  size_t names = std::count_if(entries.begin(), entries.end(),
                               [&](const Entry& e) { return e.digest == digest && !e.name.empty(); });
  std::vector<std::string> out;
  auto untag = [&](const std::string& n) {
    std::erase_if(entries, [&](const Entry& e) { return e.digest == digest && e.name == n; });
    auto r = parse_reference(n);
    out.push_back("Untagged: " + (r ? r->familiar_repository() + ":" + r->tag : n));
  };
  if (by_name && names > 1) {  // other names keep the image
    untag(ref->str());
    BRICK_TRY(write_index(entries));
    return out;
  }
  if (!by_name && names > 1 && !force)
    return fail("image `" + name + "` is referenced by " + std::to_string(names) +
                " names; remove them one by one or use --force");
  bool used = in_use && in_use(image.id);
  if (used && !force)
    return fail("image `" + name + "` (" + image.id.substr(7, 12) +
                ") is used by a container; use --force to untag it");
  std::vector<std::string> to_untag;
  for (const auto& e : entries)
    if (e.digest == digest && !e.name.empty()) to_untag.push_back(e.name);
  for (const auto& n : to_untag) untag(n);
  if (used) {  // keep the image for its container, untagged
    entries.push_back({"", digest, found.front().size});
    BRICK_TRY(write_index(entries));
    return out;
  }
  std::erase_if(entries, [&](const Entry& e) { return e.digest == digest; });
  BRICK_TRY(write_index(entries));
  out.push_back("Deleted: " + image.id);
  PruneReport report;
  BRICK_TRY_CTX(gc(entries, report), "removing unused blobs");
  return out;
}

Result<PruneReport> Store::prune(const InUse& in_use) {
  auto lock = BRICK_TRY(FileLock::acquire(dir_ + "/lock"));
  auto entries = BRICK_TRY(read_index());
  PruneReport report;
  std::vector<Entry> kept;
  for (const auto& e : entries) {
    if (!e.name.empty()) {
      kept.push_back(e);
      continue;
    }
    auto image = info(e);
    if (image && in_use && in_use(image->id)) {
      kept.push_back(e);
      continue;
    }
    if (image) report.deleted_images.push_back(image->id);
  }
  if (kept.size() != entries.size()) BRICK_TRY(write_index(kept));
  BRICK_TRY(gc(kept, report));
  return report;
}

std::set<std::pair<std::string, std::string>> Store::verified_layers() const {
  std::set<std::pair<std::string, std::string>> out;
  auto entries = read_index();
  if (!entries) return out;
  for (const auto& e : *entries) {
    auto manifest = read_file(blob_path(e.digest));
    if (!manifest) continue;
    auto m = parse_manifest(*manifest, e.digest);
    if (!m) continue;
    auto config = read_file(blob_path(m->config_digest));
    if (!config) continue;
    auto parsed = parse_image_config(*config);
    if (!parsed || parsed->diff_ids.size() != m->layer_digests.size()) continue;
    for (size_t i = 0; i < m->layer_digests.size(); ++i) out.emplace(m->layer_digests[i], parsed->diff_ids[i]);
  }
  return out;
}

// Deletes what no entry references. Runs under the store lock, so no load
// is between renaming its blobs in and naming them in index.json.
Status Store::gc(const std::vector<Entry>& entries, PruneReport& report) const {
  std::set<std::string> live_blobs, live_layers;
  for (const auto& e : entries) {
    live_blobs.insert(hex_of(e.digest));
    auto manifest = read_file(blob_path(e.digest));
    if (!manifest) continue;
    auto m = parse_manifest(*manifest, e.digest);
    if (!m) continue;
    live_blobs.insert(hex_of(m->config_digest));
    for (const auto& l : m->layer_digests) live_blobs.insert(hex_of(l));
    auto config = read_file(blob_path(m->config_digest));
    if (!config) continue;
    auto parsed = parse_image_config(*config);
    if (!parsed) continue;
    for (const auto& d : parsed->diff_ids) live_layers.insert(hex_of(d));
  }
  std::error_code ec;
  for (const auto& it : fs::directory_iterator(dir_ + "/blobs/sha256", ec)) {
    std::string name = it.path().filename();
    if (!is_hex64(name) || live_blobs.count(name)) continue;
    report.reclaimed_bytes += it.file_size(ec);
    if (fs::remove(it.path(), ec)) ++report.deleted_blobs;
  }
  for (const auto& it : fs::directory_iterator(dir_ + "/layers", ec)) {
    std::string name = it.path().filename();
    if (!is_hex64(name) || live_layers.count(name)) continue;
    report.reclaimed_bytes += tree_size(it.path());
    if (fs::remove_all(it.path(), ec) != static_cast<std::uintmax_t>(-1)) ++report.deleted_layers;
  }
  // Staging a live load holds locked; the rest a crash left behind.
  for (const auto& it : fs::directory_iterator(dir_ + "/tmp", ec)) {
    if (!it.is_directory(ec)) continue;
    auto held = FileLock::try_acquire(it.path().string() + "/.lock");
    if (!held) continue;
    const uint64_t size = tree_size(it.path());
    if (remove_tree(it.path().string())) {
      report.reclaimed_bytes += size;
      ++report.deleted_staging;
    }
  }
  if (ec) return fail(Error("cleaning `" + dir_ + "`: " + ec.message(), ec.value()));
  return {};
}

Status Store::save(const std::vector<std::string>& names, const std::string& path) const {
  if (names.empty()) return fail("no image to save");
  std::vector<TarMember> members;
  std::set<std::string> blobs;
  json index = {{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", json::array()}};
  auto add_blob = [&](const std::string& digest) {
    if (blobs.insert(digest).second) members.push_back({"blobs/sha256/" + hex_of(digest), "", blob_path(digest)});
  };
  for (const auto& name : names) {
    auto found = BRICK_TRY_CTX(find(name), "saving `" + name + "`");
    const Entry& e = found.front();
    std::string manifest = BRICK_TRY(read_file(blob_path(e.digest)));
    Manifest m = BRICK_TRY(parse_manifest(manifest, e.digest));
    add_blob(e.digest);
    add_blob(m.config_digest);
    for (const auto& l : m.layer_digests) add_blob(l);
    json desc = {{"mediaType", media_type_of(manifest)}, {"digest", e.digest}, {"size", manifest.size()}};
    // A name given by ID saves the image untagged, as docker does.
    auto ref = parse_reference(name);
    std::string ref_name = e.name.empty() || !ref || ref->str() != e.name ? std::string() : e.name;
    if (ref_name.empty() && found.size() == 1) ref_name = e.name;
    if (!ref_name.empty()) desc["annotations"] = {{kRefName, ref_name}, {kContainerdName, ref_name}};
    index["manifests"].push_back(std::move(desc));
  }
  members.insert(members.begin(),
                 {{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})", ""}, {"index.json", index.dump(), ""}});
  return write_tar(path, members);
}

Result<ImageInfo> Store::resolve(const std::string& name_or_transport) {
  auto transport = BRICK_TRY(parse_transport(name_or_transport));
  if (!transport) {
    auto found = BRICK_TRY(find(name_or_transport));
    return info(found.front());
  }
  bool is_dir = transport->transport == Transport::OciLayout;
  auto loaded = BRICK_TRY_CTX(load(transport->path, transport->ref, is_dir), "loading `" + name_or_transport + "`");
  if (loaded.size() != 1)
    return fail("`" + name_or_transport + "` holds " + std::to_string(loaded.size()) + " images; name one after `:`");
  Entry e{loaded.front().names.empty() ? "" : loaded.front().names.front(), loaded.front().manifest_digest, 0};
  return info(e);
}

}  // namespace brick::images
