// Reading the images inside an unpacked image archive: docker save's
// manifest.json, or an OCI image layout (oci-layout + index.json + blobs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace brick::images {

struct LayerSource {
  std::string path;        // the layer file, compressed or not
  std::string media_type;  // as the manifest gives it
  std::string digest;      // "sha256:<hex>" the file must hash to
  uint64_t size = 0;
};

// One image found in an archive, with its manifest and config verified
// against their digests. Layer files are verified when they are stored.
struct ArchiveImage {
  std::vector<std::string> names;  // normalized references; empty: untagged
  std::string manifest;            // OCI manifest bytes (built for docker save)
  std::string config;              // config blob bytes
  std::vector<LayerSource> layers;
};

// The images in the layout at `dir`. `select` (an oci ref.name or a
// reference) keeps only the matching image; empty keeps all.
Result<std::vector<ArchiveImage>> read_layout(const std::string& dir, const std::string& select = "");

// Builds an OCI manifest for a config blob and layers.
std::string make_manifest(const std::string& config, const std::vector<LayerSource>& layers);

}  // namespace brick::images
