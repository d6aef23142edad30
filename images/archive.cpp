#include "images/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <set>

#include "base/scope_exit.hpp"
#include "base/strings.hpp"
#include "base/unique_fd.hpp"
#include "images/lazy_libs.hpp"
#include "images/sha256.hpp"

namespace brick::images {
namespace {

namespace fs = std::filesystem;

struct ReadCloser {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct WriteCloser {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
using ReadArchive = std::unique_ptr<struct archive, ReadCloser>;
using WriteArchive = std::unique_ptr<struct archive, WriteCloser>;

Error archive_error(struct archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return Error(what + ": " + (msg ? msg : "unknown libarchive error"), archive_errno(a));
}

// A member name is safe when relative and free of `..`.
bool safe_relative(std::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  for (const auto& part : split(name, '/'))
    if (part == "..") return false;
  return true;
}

}  // namespace

std::string sha256_bytes(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.finish();
}

Status extract_archive(const std::string& path, const std::string& dest) {
  BRICK_TRY(libarchive().load());
  ReadArchive in(archive_read_new());
  enable_layer_filters(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    return fail(archive_error(in.get(), "opening `" + path + "`"));
  WriteArchive out(archive_write_disk_new());
  // We check names ourselves (the destination prefix is absolute); libarchive
  // refuses to write through a symlink planted by an earlier entry.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  struct archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail(archive_error(in.get(), "reading `" + path + "`"));
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    while (name.starts_with("./")) name.erase(0, 2);
    if (name.empty() || name == ".") continue;
    if (!safe_relative(name)) return fail("`" + path + "`: member `" + name + "` is outside the archive");
    auto type = archive_entry_filetype(entry);
    if (archive_entry_hardlink(entry) || (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK))
      return fail("`" + path + "`: member `" + name + "` is not a file, directory or symlink");
    archive_entry_set_pathname(entry, (dest + "/" + name).c_str());
    archive_entry_set_perm(entry, type == AE_IFDIR ? 0755 : 0644);
    if (archive_write_header(out.get(), entry) != ARCHIVE_OK)
      return fail(archive_error(out.get(), "extracting `" + name + "` from `" + path + "`"));
    if (type == AE_IFREG) {
      const void* buf;
      size_t size;
      la_int64_t offset;
      while ((r = archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
        if (archive_write_data_block(out.get(), buf, size, offset) != ARCHIVE_OK)
          return fail(archive_error(out.get(), "extracting `" + name + "` from `" + path + "`"));
      }
      if (r != ARCHIVE_EOF) return fail(archive_error(in.get(), "reading `" + name + "` from `" + path + "`"));
    }
    if (archive_write_finish_entry(out.get()) != ARCHIVE_OK)
      return fail(archive_error(out.get(), "extracting `" + name + "` from `" + path + "`"));
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) return fail(archive_error(out.get(), "extracting `" + path + "`"));
  return {};
}

Result<std::string> path_inside(const std::string& root, std::string_view rel) {
  if (!safe_relative(rel)) return fail("`" + std::string(rel) + "` is not a relative path inside the archive");
  std::string joined = root + "/" + std::string(rel);
  char resolved[PATH_MAX];
  char resolved_root[PATH_MAX];
  if (!::realpath(joined.c_str(), resolved))
    return fail_errno("`" + std::string(rel) + "` is missing from the archive");
  if (!::realpath(root.c_str(), resolved_root)) return fail_errno("resolving `" + root + "`");
  std::string r(resolved), base = std::string(resolved_root) + "/";
  if (!r.starts_with(base)) return fail("`" + std::string(rel) + "` points outside the archive");
  struct stat st;
  if (::stat(resolved, &st) != 0 || !S_ISREG(st.st_mode))
    return fail("`" + std::string(rel) + "` in the archive is not a regular file");
  return r;
}

Result<std::string> layer_media_type(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening layer `" + path + "`");
  unsigned char magic[4] = {};
  ssize_t n = ::read(fd.get(), magic, sizeof magic);
  if (n < 0) return fail_errno("reading layer `" + path + "`");
  if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return std::string(kMediaTypeLayerGzip);
  if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return std::string(kMediaTypeLayerZstd);
  return std::string(kMediaTypeLayerTar);
}

Status write_tar(const std::string& out_path, const std::vector<TarMember>& members) {
  std::string tmp = out_path + ".tmp-XXXXXX";
  UniqueFd fd(::mkstemp(tmp.data()));
  if (!fd) return fail_errno("creating `" + tmp + "`");
  ScopeExit remove_tmp([&] { ::unlink(tmp.c_str()); });
  ::fchmod(fd.get(), 0644);
  BRICK_TRY(libarchive().load());
  WriteArchive out(archive_write_new());
  archive_write_set_format_pax_restricted(out.get());
  archive_write_add_filter_none(out.get());
  if (archive_write_open_fd(out.get(), fd.get()) != ARCHIVE_OK)
    return fail(archive_error(out.get(), "writing `" + out_path + "`"));
  std::set<std::string> dirs;
  std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
  auto header = [&](const std::string& name, int type, int64_t size) -> Status {
    archive_entry_clear(entry.get());
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(entry.get(), size);
    archive_entry_set_mtime(entry.get(), 0, 0);
    if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK)
      return fail(archive_error(out.get(), "writing `" + name + "` to `" + out_path + "`"));
    return {};
  };
  for (const auto& m : members) {
    for (size_t slash = m.name.find('/'); slash != std::string::npos; slash = m.name.find('/', slash + 1)) {
      std::string dir = m.name.substr(0, slash + 1);
      if (dirs.insert(dir).second) BRICK_TRY(header(dir, AE_IFDIR, 0));
    }
    if (m.source.empty()) {
      BRICK_TRY(header(m.name, AE_IFREG, static_cast<int64_t>(m.data.size())));
      if (archive_write_data(out.get(), m.data.data(), m.data.size()) < 0)
        return fail(archive_error(out.get(), "writing `" + m.name + "` to `" + out_path + "`"));
      continue;
    }
    UniqueFd src(::open(m.source.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st;
    if (!src || ::fstat(src.get(), &st) != 0) return fail_errno("opening `" + m.source + "`");
    BRICK_TRY(header(m.name, AE_IFREG, st.st_size));
    std::array<char, 1 << 16> buf;
    for (;;) {
      ssize_t n = ::read(src.get(), buf.data(), buf.size());
      if (n < 0) return fail_errno("reading `" + m.source + "`");
      if (n == 0) break;
      if (archive_write_data(out.get(), buf.data(), static_cast<size_t>(n)) < 0)
        return fail(archive_error(out.get(), "writing `" + m.name + "` to `" + out_path + "`"));
    }
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) return fail(archive_error(out.get(), "writing `" + out_path + "`"));
  if (::fsync(fd.get()) != 0) return fail_errno("syncing `" + tmp + "`");
  if (::rename(tmp.c_str(), out_path.c_str()) != 0) return fail_errno("renaming `" + tmp + "` to `" + out_path + "`");
  remove_tmp.release();
  return {};
}

Status tar_directory(const std::string& dir, const std::string& out_path) {
  BRICK_TRY(libarchive().load());
  ReadArchive disk(archive_read_disk_new());
  archive_read_disk_set_standard_lookup(disk.get());
  archive_read_disk_set_symlink_physical(disk.get());
  if (archive_read_disk_open(disk.get(), dir.c_str()) != ARCHIVE_OK)
    return fail(archive_error(disk.get(), "reading directory `" + dir + "`"));
  WriteArchive out(archive_write_new());
  archive_write_set_format_pax_restricted(out.get());
  archive_write_add_filter_none(out.get());
  if (archive_write_open_filename(out.get(), out_path.c_str()) != ARCHIVE_OK)
    return fail(archive_error(out.get(), "writing `" + out_path + "`"));
  std::string prefix = dir;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
  for (;;) {
    archive_entry_clear(entry.get());
    int r = archive_read_next_header2(disk.get(), entry.get());
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail(archive_error(disk.get(), "reading directory `" + dir + "`"));
    archive_read_disk_descend(disk.get());
    std::string name = archive_entry_sourcepath(entry.get()) ? archive_entry_sourcepath(entry.get()) : "";
    if (!name.starts_with(prefix)) continue;
    name.erase(0, prefix.size());
    while (name.starts_with("/")) name.erase(0, 1);
    if (name.empty()) continue;  // the directory itself
    archive_entry_set_pathname(entry.get(), name.c_str());
    if (archive_write_header(out.get(), entry.get()) < ARCHIVE_WARN)
      return fail(archive_error(out.get(), "writing `" + name + "` to `" + out_path + "`"));
    if (archive_entry_filetype(entry.get()) == AE_IFREG && archive_entry_size(entry.get()) > 0) {
      const void* buf;
      size_t size;
      la_int64_t offset;
      while ((r = archive_read_data_block(disk.get(), &buf, &size, &offset)) == ARCHIVE_OK)
        if (archive_write_data(out.get(), buf, size) < 0)
          return fail(archive_error(out.get(), "writing `" + name + "` to `" + out_path + "`"));
      if (r != ARCHIVE_EOF) return fail(archive_error(disk.get(), "reading `" + name + "`"));
    }
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK) return fail(archive_error(out.get(), "writing `" + out_path + "`"));
  return {};
}

}  // namespace brick::images
