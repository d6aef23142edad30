// Variable interpolation in stack-file values (never keys): $V, ${V},
// ${V:-d}, ${V-d}, ${V:?e}, ${V?e}, ${V:+r}, ${V+r}, nesting, `$$`.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "compose/diagnostics.hpp"
#include "compose/node.hpp"

namespace brick::compose {

using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

// The longest value interpolation may produce (16 MiB). One environment
// string holds at most 128 KiB (MAX_ARG_STRLEN), so no real value comes near
// it; without a bound, `$A$A$A...` grows a short file into gigabytes (in a
// .env file each line can repeat the one before: found by fuzz/dotenv_fuzz).
inline constexpr size_t kMaxInterpolatedSize = size_t{16} << 20;

// Interpolates one string. Names of variables that were unset and defaulted
// to "" are appended to `unset`. Fails on `?` forms (with their message), on
// malformed syntax (`${`, `${A:}`...) and on a result longer than `max_size`;
// a `$` that starts no variable (`$(date)`, `$1`, a trailing `$`) is kept.
Result<std::string> interpolate_string(std::string_view text, const Lookup& lookup,
                                       std::vector<std::string>* unset = nullptr,
                                       size_t max_size = kMaxInterpolatedSize);

// Interpolates every scalar value under `node` in place (mapping keys are
// left alone). `path` is node's dotted path ("services.web") for messages.
// Errors and "variable is not set" warnings go to `diags` with the scalar's
// mark; the node is left as far as interpolation got.
void interpolate_node(Node& node, const Lookup& lookup, Diagnostics& diags, const std::string& path = "");

}  // namespace brick::compose
