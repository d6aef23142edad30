// TempDir makes a fresh directory under $TMPDIR (or /tmp) and removes it,
// recursively, when destroyed. For tests and scratch space.
#pragma once

#include <string>

#include "base/error.hpp"

namespace brick {

class TempDir {
 public:
  static Result<TempDir> create(const std::string& prefix = "brick");
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // Keeps the directory on disk.
  void keep() { path_.clear(); }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace brick
