#include "gpu/ld_cache.hpp"

#include <cstring>

#include "base/strings.hpp"

namespace brick::gpu {

namespace {

constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::string_view kNewMagic = "glibc-ld.so.cache1.1";
constexpr size_t kOldHeader = 16;  // magic[11], padding, nlibs
constexpr size_t kOldEntry = 12;   // flags, key, value
constexpr size_t kNewHeader = 48;  // magic+version[20], nlibs, len_strings, flags+pad, ext offset, unused[3]
constexpr size_t kNewEntry = 24;   // flags, key, value, osversion, hwcap

uint32_t u32(std::string_view data, size_t at) {
  uint32_t v;
  std::memcpy(&v, data.data() + at, sizeof v);
  return v;
}

}  // namespace

uint32_t native_ld_abi() {
#if defined(__x86_64__)
  return kLdFlagX8664;
#elif defined(__aarch64__)
  return kLdFlagAarch64;
#else
  return 0;
#endif
}

Result<std::vector<LdCacheEntry>> parse_ld_cache(std::string_view data) {
  size_t start = 0;
  if (data.starts_with(kOldMagic)) {
    if (data.size() < kOldHeader) return fail("ld.so.cache: truncated header");
    const uint64_t old_libs = u32(data, 12);
    // The new format follows the old entries, aligned as glibc's
    // ALIGN_CACHE does (to the new header's alignment, 8).
    start = (kOldHeader + old_libs * kOldEntry + 7) & ~size_t{7};
    if (start >= data.size()) return fail("ld.so.cache: only the old format (ld.so-1.7.0), which brick does not read");
  }
  std::string_view cache = data.substr(start);
  if (!cache.starts_with(kNewMagic)) return fail("ld.so.cache: not a glibc-ld.so.cache1.1 file");
  if (cache.size() < kNewHeader) return fail("ld.so.cache: truncated header");
  const uint64_t nlibs = u32(cache, 20);
  if (kNewHeader + nlibs * kNewEntry > cache.size()) return fail("ld.so.cache: truncated entry table");
  std::vector<LdCacheEntry> out;
  out.reserve(nlibs);
  // String offsets count from the start of the new-format header.
  auto string_at = [&](uint32_t offset) -> Result<std::string> {
    if (offset >= cache.size()) return fail("ld.so.cache: string offset out of range");
    size_t end = cache.find('\0', offset);
    if (end == std::string_view::npos) return fail("ld.so.cache: unterminated string");
    return std::string(cache.substr(offset, end - offset));
  };
  for (uint64_t i = 0; i < nlibs; ++i) {
    const size_t at = kNewHeader + i * kNewEntry;
    LdCacheEntry e;
    e.flags = u32(cache, at);
    e.name = BRICK_TRY(string_at(u32(cache, at + 4)));
    e.path = BRICK_TRY(string_at(u32(cache, at + 8)));
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<LdCacheEntry> parse_ldconfig_output(std::string_view text) {
  // "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1"
  std::vector<LdCacheEntry> out;
  for (const std::string& raw : split(text, '\n')) {
    std::string_view line = trim(raw);
    size_t paren = line.find(" (");
    size_t arrow = line.find(") => ");
    if (paren == std::string_view::npos || arrow == std::string_view::npos || arrow < paren) continue;
    LdCacheEntry e;
    e.name = std::string(line.substr(0, paren));
    e.path = std::string(trim(line.substr(arrow + 5)));
    std::string_view abi = line.substr(paren + 2, arrow - paren - 2);
    if (abi.starts_with("libc6")) e.flags = kLdFlagElfLibc6;
    if (abi.find("x86-64") != std::string_view::npos) e.flags |= kLdFlagX8664;
    if (abi.find("AArch64") != std::string_view::npos) e.flags |= kLdFlagAarch64;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace brick::gpu
