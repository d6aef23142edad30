// Unpacking one image layer (a tar stream, plain, gzip or zstd) into a
// directory, safely: no entry may land outside it, whatever the archive says.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace brick::images {

struct UnpackOptions {
  // Keep uid/gid from the archive (root) or map everything to the caller.
  bool preserve_ownership = true;
  // Turn `.wh.NAME` into overlay whiteouts (char 0:0) and `.wh..wh..opq`
  // into the trusted.overlay.opaque xattr; false keeps the files as-is.
  bool overlay_whiteouts = true;
};

struct UnpackResult {
  std::string diff_id;            // "sha256:<hex>" of the uncompressed tar stream
  std::string compressed_digest;  // "sha256:<hex>" of the bytes as read
  uint64_t compressed_size = 0;
  uint64_t entries = 0;
  // "`entry`: why" for what an unprivileged unpack (preserve_ownership =
  // false) could not create and left out: device nodes, security.* and
  // trusted.* xattrs. As root nothing is skipped: those are errors.
  std::vector<std::string> skipped;
};

// Unpacks the layer at `layer_path` into the existing, empty directory
// `dest_dir`. Fails (leaving dest_dir for the caller to remove) on `..` paths
// that climb above the root, hardlinks to missing targets, unsupported entry
// types, or a corrupt stream, naming the entry at fault. Absolute names are
// taken relative to dest_dir (as Docker and tar do) and symlinks met on the
// way resolve inside it: nothing is ever written outside dest_dir. Archive
// xattrs under trusted.overlay.* are dropped: only whiteout entries may speak
// to overlayfs.
Result<UnpackResult> unpack_layer(const std::string& layer_path, const std::string& dest_dir,
                                  const UnpackOptions& options = {});

struct LayerDigests {
  std::string digest;   // "sha256:<hex>" of the file as stored
  std::string diff_id;  // "sha256:<hex>" of its uncompressed tar stream
  uint64_t size = 0;    // bytes as stored
};

// Both digests of a layer file in one read, without unpacking it: for a
// layer whose unpacked tree the store already holds.
Result<LayerDigests> layer_digests(const std::string& path);

// sha256 of a file's bytes as "sha256:<hex>".
Result<std::string> sha256_file(const std::string& path);

}  // namespace brick::images
