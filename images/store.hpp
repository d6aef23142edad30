// The content-addressed image store under `<root>/images/`, an OCI image
// layout plus unpacked layers:
//
//   oci-layout, index.json   manifests, each annotated with its normalized
//                            name (org.opencontainers.image.ref.name); an
//                            entry without one is an untagged image
//   blobs/sha256/<hex>       manifests, configs and layer blobs, verified
//   layers/<hex>/            each layer unpacked once, by diff_id
//   lock                     held while blobs, layers or index.json change
//   tmp/                     staging; what a crash leaves here prune removes
//
// Every write is a temp file or directory renamed into place after its
// digest was checked, and index.json is rewritten last: a crash or a
// mismatch leaves the store as it was.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "images/image_config.hpp"

namespace brick::images {

struct ArchiveImage;

// Whether a container uses the image with this ID (its config digest).
using InUse = std::function<bool(const std::string& image_id)>;

struct ImageSummary {
  std::string name;        // normalized, empty when untagged
  std::string repository;  // as docker prints it, "<none>" when untagged
  std::string tag;         // "<none>" when untagged
  std::string id;          // config digest "sha256:<hex>"
  std::string manifest_digest;
  std::string created;  // from the config, RFC 3339
  uint64_t size = 0;    // layer blobs, as stored
};

// What a container needs from an image.
struct ImageInfo {
  std::string name;  // normalized, or empty when resolved by ID
  std::string manifest_digest;
  std::string id;  // config digest
  ImageConfig config;
  std::vector<std::string> layer_dirs;  // bottom to top
};

struct PruneReport {
  std::vector<std::string> deleted_images;  // IDs
  uint64_t deleted_blobs = 0;
  uint64_t deleted_layers = 0;
  uint64_t deleted_staging = 0;  // directories left by loads and imports that were killed
  uint64_t reclaimed_bytes = 0;
};

class Store {
 public:
  // Opens (creating if needed) the store under `<root>/images`.
  static Result<Store> open(const std::string& root);
  const std::string& dir() const { return dir_; }

  // Loads every image of a docker-save archive or an OCI archive (a tar,
  // maybe compressed) or OCI layout directory. `select` keeps only the image
  // with that ref.name or reference. Returns the names loaded, or the ID of
  // an untagged image.
  Result<std::vector<std::string>> load_archive(const std::string& path, const std::string& select = "");

  // Makes a one-layer image from a rootfs tar (maybe compressed) or a
  // directory, applying `--change` instructions. Returns the image ID.
  Result<std::string> import_rootfs(const std::string& source, const std::string& name,
                                    const std::vector<std::string>& changes = {});

  // Writes the named images as one OCI archive (skopeo and umoci read it).
  Status save(const std::vector<std::string>& names, const std::string& path) const;

  Result<std::vector<ImageSummary>> list() const;
  // docker-inspect-like JSON object for one image.
  Result<std::string> inspect(const std::string& name) const;
  Status tag(const std::string& source, const std::string& target);
  // docker rmi: untags `name`; removes the image when no name is left,
  // refusing if `in_use` says a container uses it (unless `force`, which
  // untags and keeps it). Returns "Untagged: x" / "Deleted: id" lines.
  Result<std::vector<std::string>> remove(const std::string& name, bool force, const InUse& in_use = {});
  // Removes untagged images not in use, then blobs and layers no image
  // references, and staging left by crashed loads.
  Result<PruneReport> prune(const InUse& in_use = {});

  // A stored image by name, digest reference, ID or ID prefix; or, for
  // `oci-archive:`, `docker-archive:` and `oci:` references, loads it first.
  Result<ImageInfo> resolve(const std::string& name_or_transport);

 private:
  struct Entry {
    std::string name;  // normalized; empty: untagged
    std::string digest;
    uint64_t size = 0;
  };
  struct Loaded {
    std::string manifest_digest;
    std::string id;
    std::vector<std::string> names;
  };

  explicit Store(std::string dir) : dir_(std::move(dir)) {}

  std::string blob_path(const std::string& digest) const;
  std::string layer_dir(const std::string& diff_id) const;
  Result<std::vector<Entry>> read_index() const;
  Status write_index(const std::vector<Entry>& entries) const;
  // The entries an image name, digest reference, ID or ID prefix selects.
  Result<std::vector<Entry>> find(const std::string& name) const;
  Result<ImageInfo> info(const Entry& entry) const;
  Status gc(const std::vector<Entry>& entries, PruneReport& report) const;
  // (layer blob digest, diff_id) of every layer of the stored images: pairs
  // that commit() checked. Best effort: an unreadable image adds none.
  std::set<std::pair<std::string, std::string>> verified_layers() const;
  static void set_names(std::vector<Entry>& entries, const std::string& digest, uint64_t size,
                        const std::vector<std::string>& names);

  Result<std::vector<Loaded>> load(const std::string& path, const std::string& select, bool is_dir);
  Result<Loaded> commit(const ArchiveImage& image, const std::string& staging);

  std::string dir_;
};

}  // namespace brick::images
