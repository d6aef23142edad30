// Shared by the gpu unit tests: writing files into a fake host root.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <system_error>

#include "base/file.hpp"

namespace brick::gpu::testing {

inline void put(const std::string& root, const std::string& rel, const std::string& content) {
  // relative_path(): an absolute `rel` must not escape the fake root.
  std::filesystem::path p = std::filesystem::path(root) / std::filesystem::path(rel).relative_path();
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  REQUIRE(write_file_atomic(p.string(), content).has_value());
}

}  // namespace brick::gpu::testing

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "gpu/ld_cache.hpp"

namespace brick::gpu::testing {

// A character device node at `root`/`rel`; false (with a WARN) without the
// privilege to make one, so callers can skip.
inline bool make_node(const std::string& root, const std::string& rel, unsigned major, unsigned minor) {
  // relative_path(): an absolute `rel` must not escape the fake root.
  std::filesystem::path p = std::filesystem::path(root) / std::filesystem::path(rel).relative_path();
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  if (::mknod(p.c_str(), S_IFCHR | 0666, makedev(major, minor)) == 0) return true;
  WARN("cannot mknod `" << p.string() << "` (" << std::strerror(errno) << "): needs root; skipping");
  return false;
}

// A glibc-ld.so.cache1.1 file holding `entries`, as ldconfig writes it.
inline std::string ld_cache_bytes(const std::vector<LdCacheEntry>& entries) {
  std::string strings;
  const size_t header = 48, entry = 24;
  const size_t table_end = header + entries.size() * entry;
  std::vector<std::pair<uint32_t, uint32_t>> offsets;
  for (const LdCacheEntry& e : entries) {
    uint32_t key = static_cast<uint32_t>(table_end + strings.size());
    strings += e.name + '\0';
    uint32_t value = static_cast<uint32_t>(table_end + strings.size());
    strings += e.path + '\0';
    offsets.emplace_back(key, value);
  }
  std::string out(table_end, '\0');
  std::memcpy(out.data(), "glibc-ld.so.cache1.1", 20);
  auto put32 = [&](size_t at, uint32_t v) { std::memcpy(out.data() + at, &v, 4); };
  put32(20, static_cast<uint32_t>(entries.size()));
  put32(24, static_cast<uint32_t>(strings.size()));
  for (size_t i = 0; i < entries.size(); ++i) {
    put32(header + i * entry, entries[i].flags);
    put32(header + i * entry + 4, offsets[i].first);
    put32(header + i * entry + 8, offsets[i].second);
  }
  return out + strings;
}

}  // namespace brick::gpu::testing
