#include "base/temp_dir.hpp"

#include <stdlib.h>

#include <filesystem>
#include <system_error>
#include <utility>

namespace brick {

Result<TempDir> TempDir::create(const std::string& prefix) {
  const char* base = ::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return fail(Error::from_errno("creating temp dir `" + tmpl + "`"));
  return TempDir(tmpl);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, std::string())) {}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // best effort in a destructor
}

}  // namespace brick
