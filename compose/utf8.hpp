// Every string of a stack file ends up in JSON (container records, labels,
// `config --format json`), and nlohmann_json refuses to write bytes that are
// not UTF-8. A Latin-1 `.env` or a label with byte 0xFF is therefore refused
// here, at load time, naming where it came from, instead of failing (or
// aborting) in the middle of `up`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "compose/diagnostics.hpp"
#include "compose/node.hpp"

namespace brick::compose {

// The offset of the first byte of `s` that is not part of a well-formed
// UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF, no truncated sequence); nullopt when `s` is valid UTF-8.
std::optional<size_t> invalid_utf8_at(std::string_view s);

// `s` with each byte that is not valid UTF-8 written as `\xNN`, so that a
// message quoting it is itself printable (and valid UTF-8).
std::string escape_invalid_utf8(std::string_view s);

// "is not valid UTF-8 (byte 0xE9 at offset 3)", or "" when `s` is valid.
std::string why_not_utf8(std::string_view s);

// Reports every mapping key and scalar under `node` that is not valid UTF-8
// to `diags`, with its mark and key path (`path` is node's own).
void check_utf8(const Node& node, Diagnostics& diags, const std::string& path = "");

}  // namespace brick::compose
