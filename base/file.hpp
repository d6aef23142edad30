// Whole-file IO with errors that name the path, and an atomic write.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace brick {

// Reads a whole file. Fails with the path and errno.
Result<std::string> read_file(const std::string& path);

// Reads everything from an open descriptor (e.g. stdin) until EOF.
Result<std::string> read_fd(int fd);

// Writes `data` to `path` atomically: a temp file in the same directory,
// fsync, rename, fsync of the directory. A crash leaves the old file or the
// new one, never half of one. Without `durable` there is no fsync: a
// reader still never sees half a file, but a crash may lose the write (for
// a file about to be removed anyway).
Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644, bool durable = true);

// write_file_atomic for several new files of one directory, renamed into
// place in the given order: each is synced, the directory once at the end.
struct FileContent {
  std::string name;  // within `dir`
  std::string data;
};
Status write_files_atomic(const std::string& dir, const std::vector<FileContent>& files, unsigned mode = 0644);

// Removes `path` and everything beneath it, following no symlink (a link is
// removed, not what it points to). A missing `path` is no error. Lighter
// than std::filesystem::remove_all: a directory costs an open, its reads
// and a close, and each entry one unlinkat.
Status remove_tree(const std::string& path);

// An exclusive advisory lock (flock) on `path`, created if missing. Released
// when the FileLock is destroyed.
class FileLock {
 public:
  static Result<FileLock> acquire(const std::string& path);
  // Fails with EWOULDBLOCK instead of waiting.
  static Result<FileLock> try_acquire(const std::string& path);

 private:
  static Result<FileLock> lock(const std::string& path, int how);
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace brick
