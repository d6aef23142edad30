// libFuzzer target: the image archive metadata brick reads on `image load`
// (docker save's manifest.json, an OCI layout's index.json, its manifests
// and nested indexes), through images' real read_layout() and then the
// config parser on every config it returns.
//
// read_layout() reads a directory, so each input is written out as one:
//
//   MODE [SELECT]\n PART0 \n----\n PART1 \n----\n PART2 ...
//
// MODE `docker`: PART0 is manifest.json. MODE `oci`: PART0 is index.json
// (next to an oci-layout file). Every later part N is stored both as the file
// `pN` and as the blob blobs/sha256/<its digest>. `@N` (N = 1..9) in a part
// stands for the hex digest of part N, so that inputs can reference blobs by
// digest; it is replaced in the last part first, so a part can refer only to
// parts after it. SELECT is read_layout's optional image name.
//
// The directory is created once per process and emptied after each input.
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "images/archive.hpp"
#include "images/image_config.hpp"
#include "images/layout.hpp"

using namespace brick::images;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSeparator = "\n----\n";
constexpr size_t kMaxParts = 10;

const fs::path& work_dir() {
  static const fs::path dir = [] {
    char tmpl[] = "/tmp/brick-fuzz-layout-XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(work_dir(), ec);
    });
    return fs::path(tmpl);
  }();
  return dir;
}

void write(const fs::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) std::abort();
}

std::string hex_of(const std::string& data) { return sha256_bytes(data).substr(7); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t eol = text.find('\n');
  if (eol == std::string_view::npos) return 0;
  std::string_view head = text.substr(0, eol);
  text.remove_prefix(eol + 1);
  std::string_view mode = head.substr(0, head.find(' '));
  std::string select = head.size() > mode.size() ? std::string(head.substr(mode.size() + 1)) : "";
  if (mode != "docker" && mode != "oci") return 0;

  std::vector<std::string> parts;
  while (parts.size() + 1 < kMaxParts) {
    size_t sep = text.find(kSeparator);
    if (sep == std::string_view::npos) break;
    parts.emplace_back(text.substr(0, sep));
    text.remove_prefix(sep + kSeparator.size());
  }
  parts.emplace_back(text);

  // Digests last part first: part N may name parts N+1 and later.
  std::vector<std::string> hexes(parts.size());
  for (size_t n = parts.size(); n-- > 0;) {
    for (size_t m = n + 1; m < parts.size() && m <= 9; ++m) {
      std::string token = "@" + std::to_string(m);
      for (size_t at = parts[n].find(token); at != std::string::npos; at = parts[n].find(token, at + 64))
        parts[n].replace(at, token.size(), hexes[m]);
    }
    hexes[n] = hex_of(parts[n]);
  }

  const fs::path& dir = work_dir();
  fs::create_directories(dir / "blobs" / "sha256");
  if (mode == "docker") {
    write(dir / "manifest.json", parts[0]);
  } else {
    write(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    write(dir / "index.json", parts[0]);
  }
  for (size_t n = 1; n < parts.size(); ++n) {
    write(dir / ("p" + std::to_string(n)), parts[n]);
    write(dir / "blobs" / "sha256" / hexes[n], parts[n]);
  }

  auto images = read_layout(dir.string(), select);
  if (images) {
    for (const auto& image : *images) {
      auto config = parse_image_config(image.config);
      if (!config) (void)config.error().full();
      (void)make_manifest(image.config, image.layers);
      // Every layer read_layout returns lies inside the layout.
      for (const auto& layer : image.layers) {
        if (!layer.path.starts_with(dir.string() + "/")) std::abort();
      }
    }
  } else {
    (void)images.error().full();
  }

  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir)) fs::remove_all(entry.path(), ec);
  return 0;
}
