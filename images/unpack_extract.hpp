// Turns tar entries into files under a root fd, one entry at a time.
// Private to images/: unpack.cpp feeds it from libarchive.
#pragma once

#include <sys/stat.h>
#include <time.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "images/unpack.hpp"

struct archive;
struct archive_entry;

namespace brick::images::detail {

class Extractor {
 public:
  Extractor(int root_fd, const UnpackOptions& options, UnpackResult& result)
      : root_(root_fd), options_(options), result_(result) {}

  // Creates what `entry` describes (reading its data from `a`). `name` is the
  // entry's name as stored, for messages.
  Status apply(archive* a, archive_entry* entry, const std::string& name);

  // Sets directory modes and times, deepest first, now that nothing more
  // will be created inside them (creating an entry would bump the mtime, and
  // a read-only mode could block the creation).
  Status finish();

  // Set when the last entry's data was complete but the stream ended before
  // its block padding: Go's archive/tar (Docker, containerd, umoci) takes
  // that as the end of the archive, and umoci 0.4.7's `insert` writes such
  // layers (no padding, no end marker). The caller must stop reading and
  // check that nothing follows; the message explains a failure if it does.
  const std::string& truncated_tail() const { return truncated_tail_; }

 private:
  struct DeferredDir {
    std::string rel;
    mode_t mode;
    timespec times[2];
  };

  Result<int> parent_fd(const std::string& rel);
  Status remove_existing(int parent, const std::string& base, const std::string& rel);
  Status whiteout(const std::string& parent_rel, const std::string& base, const std::string& rel);
  Status hardlink(archive_entry* entry, int parent, const std::string& base, const std::string& rel);
  Status regular(archive* a, archive_entry* entry, int parent, const std::string& base, const std::string& rel);
  Status directory(archive_entry* entry, int parent, const std::string& base, const std::string& rel);
  Status symlink(archive_entry* entry, int parent, const std::string& base, const std::string& rel);
  Status node(archive_entry* entry, int parent, const std::string& base, const std::string& rel);
  // Ownership, then xattrs (chown clears security.capability), on an open fd.
  Status own_and_xattrs(int fd, archive_entry* entry, const std::string& rel);
  // The same for a name that cannot be opened for writing (symlink, device).
  Status own_and_xattrs_at(int parent, const std::string& base, archive_entry* entry, const std::string& rel);
  Status set_xattr(int fd, const char* path, const char* key, const void* value, size_t size, const std::string& rel);
  void skip(const std::string& rel, const std::string& why);

  int root_;
  const UnpackOptions& options_;
  UnpackResult& result_;
  // The parent directory of the last entry: layers list a directory's
  // entries together, so most entries reuse it. Stale once anything is
  // removed, which could have removed it.
  std::string cached_rel_;
  UniqueFd cached_fd_;
  bool cache_stale_ = false;
  std::vector<DeferredDir> dirs_;
  std::string truncated_tail_;
};

// Access and modification times of an entry; UTIME_OMIT where unset.
void entry_times(archive_entry* entry, timespec times[2]);

}  // namespace brick::images::detail
