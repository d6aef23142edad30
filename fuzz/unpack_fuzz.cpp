// libFuzzer target: arbitrary bytes as an image layer (a tar stream, maybe
// gzip/zstd compressed) through images' real unpack_layer(): libarchive's
// header parsing, then brick's code that decides where each entry goes
// (clean_entry_path, RESOLVE_IN_ROOT lookups, whiteouts, hardlinks, symlinks).
// The input's bytes are also checked as one entry name with clean_entry_path.
//
// Each input is unpacked into a fresh directory deep inside a temp dir
// created once per process:
//
//   /tmp/brick-fuzz-unpack-XXXXXX/layer          the input
//   /tmp/brick-fuzz-unpack-XXXXXX/a/b/canary     must stay as it is
//   /tmp/brick-fuzz-unpack-XXXXXX/a/b/c/root/    the destination
//
// After each input nothing may have appeared or changed outside root/: the
// temp dir and a/, b/, c/ hold exactly what the harness made, the canary is
// intact, and `/` lists the same names as before the run (an absolute
// symlink resolved on the host would most likely create something there).
// Runs as root, as `image load` does, so ownership, device nodes (whiteouts)
// and trusted.* xattrs are exercised too.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>

#include "images/unpack.hpp"
#include "images/unpack_fs.hpp"

using namespace brick::images;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kCanary = "canary: entries must never reach this file\n";

struct Layout {
  fs::path base, layer, a, b, c, root, canary;
};

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  ::closedir(d);
  return out;
}

void write(const fs::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) std::abort();
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const Layout& layout() {
  static const Layout l = [] {
    char tmpl[] = "/tmp/brick-fuzz-unpack-XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    Layout l;
    l.base = tmpl;
    l.layer = l.base / "layer";
    l.a = l.base / "a";
    l.b = l.a / "b";
    l.c = l.b / "c";
    l.root = l.c / "root";
    l.canary = l.b / "canary";
    fs::create_directories(l.c);
    write(l.canary, kCanary);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(layout().base, ec);
    });
    return l;
  }();
  return l;
}

void escaped(const std::string& what) {
  std::fprintf(stderr, "unpack_fuzz: an entry escaped the destination: %s\n", what.c_str());
  std::abort();
}

void expect_only(const fs::path& dir, std::set<std::string> want) {
  auto got = names_in(dir);
  if (got != want) {
    std::string list;
    for (const auto& n : got) list += " " + n;
    escaped(dir.string() + " holds" + list);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static const std::set<std::string> host_root = names_in("/");
  const Layout& l = layout();

  // The pure name check: what it accepts has no `..`, `.`, empty or
  // slash-bearing component.
  if (auto parts = detail::clean_entry_path(bytes)) {
    for (const auto& p : *parts) {
      if (p.empty() || p == "." || p == ".." || p.find('/') != std::string::npos) std::abort();
    }
  }

  write(l.layer, bytes);
  if (::mkdir(l.root.c_str(), 0755) != 0) std::abort();
  auto result = unpack_layer(l.layer.string(), l.root.string());
  if (!result) (void)result.error().full();

  expect_only(l.base, {"a", "layer"});
  expect_only(l.a, {"b"});
  expect_only(l.b, {"c", "canary"});
  expect_only(l.c, {"root"});
  if (read(l.canary) != kCanary) escaped("the canary changed");
  struct stat st;
  if (::lstat(l.root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) escaped("root/ was replaced");
  if (names_in("/") != host_root) escaped("`/` changed");

  // Clean up with brick's own remover (never follows a symlink).
  int c_fd = ::open(l.c.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c_fd < 0) std::abort();
  auto removed = detail::remove_at(c_fd, "root", "root");
  ::close(c_fd);
  if (!removed) {
    std::fprintf(stderr, "unpack_fuzz: cleanup failed: %s\n", removed.error().full().c_str());
    std::abort();
  }
  return 0;
}
