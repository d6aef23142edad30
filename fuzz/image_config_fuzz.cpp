// libFuzzer target: arbitrary bytes as an image config blob (the JSON an
// image's manifest points to) through images' real config parser, then as
// the document `brick image import --change` rewrites.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "images/image_config.hpp"

using namespace brick::images;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = parse_image_config(text);
  if (!config) (void)config.error().full();
  static const std::vector<std::string> changes = {"ENV A=1", "CMD [\"sh\"]", "EXPOSE 80/tcp", "LABEL a=b",
                                                   "WORKDIR /w"};
  auto changed = apply_changes(text, changes);
  if (changed) {
    // What apply_changes writes must parse again.
    auto again = parse_image_config(*changed);
    if (!again) (void)again.error().full();
  }
  return 0;
}
