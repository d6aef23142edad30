// Reading the dynamic loader's cache (/etc/ld.so.cache, glibc's
// "glibc-ld.so.cache1.1" format, alone or after the old "ld.so-1.7.0" one)
// and `ldconfig -p` output: how brick finds the host's driver libraries.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace brick::gpu {

// glibc's flags (elf/cache.h): the low byte is the kind, the next the ABI.
inline constexpr uint32_t kLdFlagElfLibc6 = 0x0003;
inline constexpr uint32_t kLdFlagX8664 = 0x0300;
inline constexpr uint32_t kLdFlagAarch64 = 0x0a00;

struct LdCacheEntry {
  std::string name;  // soname, e.g. libcuda.so.1
  std::string path;  // e.g. /usr/lib/x86_64-linux-gnu/libcuda.so.1
  uint32_t flags = 0;
  bool operator==(const LdCacheEntry&) const = default;
};

// Entries in the cache's order (the loader's preference).
Result<std::vector<LdCacheEntry>> parse_ld_cache(std::string_view data);
std::vector<LdCacheEntry> parse_ldconfig_output(std::string_view text);

// The ABI flag of 64-bit libraries on this machine (kLdFlagX8664 on x86-64).
uint32_t native_ld_abi();

}  // namespace brick::gpu
