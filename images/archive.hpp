// Tar-level IO for the image store: unpacking an image archive (docker save
// or OCI) into a scratch directory, digests of bytes, and writing tar files
// (image save, directory import).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace brick::images {

inline constexpr std::string_view kMediaTypeLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kMediaTypeLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";

// Extracts the archive at `path` (tar, optionally gzip/zstd/xz) into the
// existing directory `dest`. Only regular files, directories and symlinks
// are written; absolute paths, `..` and writes through symlinks fail.
Status extract_archive(const std::string& path, const std::string& dest);

// `rel` (a path named inside an archive's manifest) joined to `root`, after
// checking that it is relative, has no `..`, and resolves to a regular file
// inside `root`.
Result<std::string> path_inside(const std::string& root, std::string_view rel);

// "sha256:<hex>" of bytes in memory.
std::string sha256_bytes(std::string_view data);

// The OCI layer media type for a file, by its magic bytes.
Result<std::string> layer_media_type(const std::string& path);

// One member of a tar written by write_tar: the bytes of `data`, or the
// contents of the file `source` when it is not empty.
struct TarMember {
  std::string name;
  std::string data;
  std::string source;
};

// Writes an uncompressed POSIX tar of `members` (directories for their
// parents are added) to `out_path`, atomically (temp file + rename).
Status write_tar(const std::string& out_path, const std::vector<TarMember>& members);

// Writes an uncompressed tar of everything under `dir` (paths relative to it,
// owners and modes kept) to `out_path`.
Status tar_directory(const std::string& dir, const std::string& out_path);

}  // namespace brick::images
