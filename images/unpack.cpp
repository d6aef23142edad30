// Layer unpacking. One pass over the file, no temp copy, two libarchive
// readers stacked:
//
//   file --read()--> [outer: gzip/zstd/xz/bzip2 filters, `raw` format]
//        --archive_read_data()--> [inner: tar format, no filter] --> entries
//
// The outer reader's read callback hashes the bytes as stored (the
// compressed digest); the inner reader's read callback pulls decompressed
// bytes from the outer one and hashes them (the diff_id). Neither reader has
// a skip callback, so every byte passes through a hash even when libarchive
// skips entry data. After the tar end marker both streams are drained, so the
// record padding after it counts too, as it does for `sha256sum`.
//
// Entries are created with the *at() calls relative to directory fds that
// base/openat2.hpp resolves with openat2(RESOLVE_IN_ROOT); see there.
#include "images/unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <memory>

#include "images/lazy_libs.hpp"
#include "images/sha256.hpp"
#include "images/unpack_extract.hpp"

namespace brick::images {
namespace {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

constexpr size_t kBufferSize = 128 * 1024;

// The file as stored, hashed as libarchive reads it.
struct RawSource {
  int fd = -1;
  Sha256 hash;
  uint64_t size = 0;
  std::unique_ptr<char[]> buffer = std::make_unique<char[]>(kBufferSize);

  ssize_t read_some() {
    for (;;) {
      ssize_t n = ::read(fd, buffer.get(), kBufferSize);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        hash.update(buffer.get(), static_cast<size_t>(n));
        size += static_cast<uint64_t>(n);
      }
      return n;
    }
  }
};

la_ssize_t raw_read(archive* a, void* data, const void** out) {
  auto* src = static_cast<RawSource*>(data);
  ssize_t n = src->read_some();
  if (n < 0) {
    archive_set_error(a, errno, "reading the layer file");
    return -1;
  }
  *out = src->buffer.get();
  return n;
}

// The decompressed tar stream, hashed as the tar reader consumes it.
struct TarSource {
  archive* outer = nullptr;
  Sha256 hash;
  std::unique_ptr<char[]> buffer = std::make_unique<char[]>(kBufferSize);

  la_ssize_t read_some() {
    la_ssize_t n = archive_read_data(outer, buffer.get(), kBufferSize);
    if (n > 0) hash.update(buffer.get(), static_cast<size_t>(n));
    return n;
  }
};

la_ssize_t tar_read(archive* a, void* data, const void** out) {
  auto* src = static_cast<TarSource*>(data);
  la_ssize_t n = src->read_some();
  if (n < 0) {
    archive_set_error(a, archive_errno(src->outer), "decompressing: %s", archive_error_string(src->outer));
    return -1;
  }
  *out = src->buffer.get();
  return n;
}

std::string archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown libarchive error";
}

Error archive_error(archive* a, const std::string& what) {
  int err = archive_errno(a);
  // libarchive uses its own codes (ARCHIVE_ERRNO_MISC = -1) next to errnos.
  return Error(what + ": " + archive_message(a), err > 0 ? err : 0);
}

// The decompressing reader over `raw`, positioned at the start of the tar
// stream. Not for an empty file: libarchive calls that an unknown format.
Result<ArchivePtr> open_decompressor(RawSource& raw) {
  BRICK_TRY(libarchive().load());
  ArchivePtr outer(archive_read_new());
  if (!outer) return fail("allocating an archive reader");
  enable_layer_filters(outer.get());
  archive_read_support_format_raw(outer.get());
  if (archive_read_open(outer.get(), &raw, nullptr, raw_read, nullptr) != ARCHIVE_OK)
    return fail(archive_error(outer.get(), "opening the compressed stream"));
  archive_entry* raw_entry = nullptr;
  if (archive_read_next_header(outer.get(), &raw_entry) != ARCHIVE_OK)
    return fail(archive_error(outer.get(), "decompressing"));
  return outer;
}

// Reads the rest of the file, so that its digest covers every byte.
Status drain(RawSource& raw) {
  for (;;) {
    ssize_t n = raw.read_some();
    if (n == 0) return {};
    if (n < 0) return fail_errno("reading the layer file");
  }
}

}  // namespace

Result<UnpackResult> unpack_layer(const std::string& layer_path, const std::string& dest_dir,
                                  const UnpackOptions& options) {
  int raw_fd = ::open(layer_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw_fd < 0) return fail_errno("opening layer `" + layer_path + "`");
  UniqueFd layer_fd(raw_fd);
  int dest_raw = ::open(dest_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dest_raw < 0) return fail_errno("opening destination `" + dest_dir + "`");
  UniqueFd root(dest_raw);
  std::string ctx = "unpacking `" + layer_path + "` into `" + dest_dir + "`";

  RawSource raw;
  raw.fd = layer_fd.get();
  TarSource tar;
  if (!raw.hash.ok() || !tar.hash.ok()) return fail(Error("initialising sha256").context(ctx));
  UnpackResult result;

  struct stat st {};
  if (::fstat(raw.fd, &st) != 0) return fail(Error::from_errno("inspecting the layer file").context(ctx));
  if (st.st_size == 0) {
    // An empty file is an empty layer; libarchive would call it an
    // unrecognised format.
    result.diff_id = tar.hash.finish();
    result.compressed_digest = raw.hash.finish();
    return result;
  }

  ArchivePtr outer = BRICK_TRY_CTX(open_decompressor(raw), ctx);

  tar.outer = outer.get();
  ArchivePtr inner(archive_read_new());
  if (!inner) return fail(Error("allocating an archive reader").context(ctx));
  archive_read_support_format_tar(inner.get());
  if (archive_read_open(inner.get(), &tar, nullptr, tar_read, nullptr) != ARCHIVE_OK)
    return fail(archive_error(inner.get(), "reading the tar stream").context(ctx));

  detail::Extractor extractor(root.get(), options, result);
  std::string last = "(start of archive)";
  for (;;) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(inner.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    // ARCHIVE_WARN: e.g. a name that does not convert to the locale; the
    // entry itself is intact.
    if (r < ARCHIVE_WARN)
      return fail(archive_error(inner.get(), "reading the entry after `" + last + "`").context(ctx));
    ++result.entries;
    const char* name = archive_entry_pathname(entry);
    if (!name) name = archive_entry_pathname_utf8(entry);
    if (!name) return fail(Error("entry after `" + last + "` has no name").context(ctx));
    last = name;
    auto done = extractor.apply(inner.get(), entry, last);
    if (!done) return fail(std::move(done.error()).context("entry `" + last + "`").context(ctx));
    if (!extractor.truncated_tail().empty()) break;
  }
  BRICK_TRY_CTX(extractor.finish(), ctx);

  // Drain both streams so the digests cover every byte, not only what the
  // tar reader needed.
  for (;;) {
    la_ssize_t n = tar.read_some();
    if (n == 0) break;
    if (n < 0) return fail(archive_error(outer.get(), "decompressing after the tar end marker").context(ctx));
    if (!extractor.truncated_tail().empty())
      return fail(Error(extractor.truncated_tail()).context("entry `" + last + "`").context(ctx));
  }
  BRICK_TRY_CTX(drain(raw), ctx);
  result.diff_id = tar.hash.finish();
  result.compressed_digest = raw.hash.finish();
  result.compressed_size = raw.size;
  return result;
}

Result<LayerDigests> layer_digests(const std::string& path) {
  std::string ctx = "hashing layer `" + path + "`";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(Error::from_errno("opening the layer file").context(ctx));
  RawSource raw;
  raw.fd = fd.get();
  TarSource tar;
  if (!raw.hash.ok() || !tar.hash.ok()) return fail(Error("initialising sha256").context(ctx));
  struct stat st {};
  if (::fstat(raw.fd, &st) != 0) return fail(Error::from_errno("inspecting the layer file").context(ctx));
  if (st.st_size > 0) {  // as unpack_layer, an empty file is an empty layer
    ArchivePtr outer = BRICK_TRY_CTX(open_decompressor(raw), ctx);
    tar.outer = outer.get();
    for (;;) {
      la_ssize_t n = tar.read_some();
      if (n == 0) break;
      if (n < 0) return fail(archive_error(outer.get(), "decompressing").context(ctx));
    }
    BRICK_TRY_CTX(drain(raw), ctx);
  }
  return LayerDigests{raw.hash.finish(), tar.hash.finish(), raw.size};
}

Result<std::string> sha256_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno("opening `" + path + "`");
  RawSource src;
  UniqueFd owned(fd);
  src.fd = fd;
  if (!src.hash.ok()) return fail("initialising sha256");
  for (;;) {
    ssize_t n = src.read_some();
    if (n == 0) break;
    if (n < 0) return fail_errno("reading `" + path + "`");
  }
  return src.hash.finish();
}

}  // namespace brick::images
