// libFuzzer target: arbitrary bytes as one stack-file value through compose's
// interpolation (`$V`, `${V:-d}`, `${V?e}`, `${V:+r}`, nesting, `$$`), with a
// fixed set of variables: set, empty, and one whose value itself looks like
// a reference (it must be copied, never expanded again).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compose/interpolate.hpp"

using namespace brick::compose;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t lookups = 0;
  Lookup lookup = [&lookups](std::string_view name) -> std::optional<std::string> {
    ++lookups;
    if (name == "A") return "a";
    if (name == "E") return "";
    if (name == "R") return "${A} $$ $";
    return std::nullopt;
  };
  std::vector<std::string> unset;
  auto out = interpolate_string(text, lookup, &unset);
  // Text without `$` comes back unchanged and looks nothing up.
  if (text.find('$') == std::string_view::npos) {
    if (!out || *out != text || lookups != 0 || !unset.empty()) std::abort();
  }
  // The scan is linear: each `$` looks up at most one name, and the output
  // is at most the input plus one value per lookup.
  if (lookups > size) std::abort();
  if (out && out->size() > size + 9 * lookups) std::abort();
  if (!out) (void)out.error().full();
  return 0;
}
