// libFuzzer target: arbitrary bytes as a `.env` / `env_file:` file, through
// compose's real dotenv parser (with interpolation of earlier keys and of a
// small fixed environment). Any input must end in entries or an Error: never
// a crash, an escaped exception, a leak or a hang, and never values that
// outgrow the limits however the lines refer to each other.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "compose/dotenv.hpp"
#include "compose/interpolate.hpp"

using namespace brick::compose;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const StringMap lookup = {{"HOME", "/root"}, {"EMPTY", ""}, {"DOLLAR", "$A ${B}"}};
  auto entries = parse_dotenv(text, "fuzz.env", lookup);
  if (!entries) {
    (void)entries.error().full();
    return 0;
  }
  size_t total = 0;
  for (const auto& e : *entries) {
    if (e.key.empty()) std::abort();
    if (!e.value) continue;
    // A value is what the file spells out, or at most one interpolation's
    // worth; all of them together stay within the file limit (16 MiB).
    if (e.value->size() > std::max(size, kMaxInterpolatedSize)) std::abort();
    total += e.value->size();
  }
  if (total > (size_t{16} << 20)) std::abort();
  return 0;
}
