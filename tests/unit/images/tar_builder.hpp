// Test helper: writes tar layers (plain, gzip, zstd) with libarchive's write
// API, including the hostile ones no honest tool would produce: libarchive's
// writer stores names as given ("../x", "/etc/x").
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace brick::testing {

struct TarEntry {
  std::string name;
  unsigned type = AE_IFREG;
  unsigned perm = 0644;
  std::string data;
  std::string symlink;   // AE_IFLNK target
  std::string hardlink;  // set: a hardlink entry to this name
  int64_t mtime = 1600000000;
  int64_t uid = 0, gid = 0;
  unsigned rdev_major = 0, rdev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

inline TarEntry make_file(std::string name, std::string data, unsigned perm = 0644) {
  TarEntry e;
  e.name = std::move(name);
  e.data = std::move(data);
  e.perm = perm;
  return e;
}
inline TarEntry make_dir(std::string name, unsigned perm = 0755) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFDIR;
  e.perm = perm;
  return e;
}
inline TarEntry make_symlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFLNK;
  e.perm = 0777;
  e.symlink = std::move(target);
  return e;
}
inline TarEntry make_hardlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.hardlink = std::move(target);
  return e;
}

enum class Compression { none, gzip, zstd };

// Writes `entries` as a pax tar to `path`; returns false (with a message on
// stderr) when libarchive refuses.
inline bool write_tar(const std::string& path, const std::vector<TarEntry>& entries,
                      Compression compression = Compression::none) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (compression == Compression::gzip) archive_write_add_filter_gzip(a);
  if (compression == Compression::zstd) archive_write_add_filter_zstd(a);
  bool ok = archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK;
  for (const auto& e : entries) {
    if (!ok) break;
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_mtime(entry, e.mtime, 0);
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_gid(entry, e.gid);
    archive_entry_set_perm(entry, e.perm);
    if (!e.hardlink.empty()) {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_hardlink(entry, e.hardlink.c_str());
      archive_entry_set_size(entry, 0);
    } else {
      archive_entry_set_filetype(entry, e.type);
      archive_entry_set_size(entry, e.type == AE_IFREG ? static_cast<int64_t>(e.data.size()) : 0);
      if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.symlink.c_str());
      if (e.type == AE_IFCHR || e.type == AE_IFBLK) {
        archive_entry_set_rdevmajor(entry, e.rdev_major);
        archive_entry_set_rdevminor(entry, e.rdev_minor);
      }
    }
    for (const auto& [k, v] : e.xattrs) archive_entry_xattr_add_entry(entry, k.c_str(), v.data(), v.size());
    ok = archive_write_header(a, entry) == ARCHIVE_OK;
    if (ok && !e.data.empty() && e.hardlink.empty())
      ok = archive_write_data(a, e.data.data(), e.data.size()) == static_cast<la_ssize_t>(e.data.size());
    archive_entry_free(entry);
  }
  if (!ok) fprintf(stderr, "write_tar %s: %s\n", path.c_str(), archive_error_string(a));
  if (archive_write_close(a) != ARCHIVE_OK) ok = false;
  archive_write_free(a);
  return ok;
}

// stdout of a shell command, trailing newline removed.
inline std::string shell(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// "sha256:<hex>" from sha256sum reading `command`'s output.
inline std::string sha256_of_command(const std::string& command) {
  std::string line = shell(command + " | sha256sum");
  return "sha256:" + line.substr(0, line.find(' '));
}

}  // namespace brick::testing
