// Identifiers and timestamps that records share: random hex IDs (as docker's
// 64-hex network and volume IDs) and RFC 3339 UTC times.
#pragma once

#include <cstddef>
#include <string>

#include "base/error.hpp"

namespace brick {

// `bytes` random bytes from getrandom(2), as lowercase hex (2 chars a byte).
Result<std::string> random_hex(size_t bytes);

// The current time as "2026-11-23T15:04:05Z".
std::string now_rfc3339();

}  // namespace brick
