// Reading a compose file or a .env file with its size bounded before any
// parser sees it: yaml-cpp builds its whole tree before brick's node budget
// can act (a 50 MB file took 32 s and 3.9 GB to be refused).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace brick::compose {

// The largest compose or .env file brick reads: 8 MiB. The biggest real
// stacks (hundreds of services) are a few hundred KiB.
inline constexpr size_t kMaxInputFileSize = size_t{8} << 20;

// Reads `path` whole ("-": standard input), failing without reading more
// than `max_bytes` + 1 bytes when it is larger: ``compose.yaml: the compose
// file is larger than 8 MiB (52428800 bytes); refusing to parse it``.
// `name` is the file as errors show it, `what` says what it is.
Result<std::string> read_input_file(const std::string& path, const std::string& name, std::string_view what,
                                    size_t max_bytes = kMaxInputFileSize);

// The same check for text already in memory (tests' stdin_text).
Status check_input_size(std::string_view text, const std::string& name, std::string_view what,
                        size_t max_bytes = kMaxInputFileSize);

}  // namespace brick::compose
