#include "base/resident.hpp"

#include <sys/mman.h>

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.hpp"
#include "base/strings.hpp"

namespace brick {
namespace {

// One mapping of /proc/self/smaps: its header line and the fields we need.
struct Mapping {
  uintptr_t start = 0, end = 0;
  bool read_only_private = false;  // perms r-?p
  bool file = false;               // a real file, not [stack], [vdso] or anonymous memory
  size_t rss_kb = 0, anonymous_kb = 0;
};

bool parse_header(std::string_view line, Mapping& m) {
  // start-end perms offset dev inode [path]
  std::vector<std::string_view> fields;
  for (size_t pos = 0; pos < line.size() && fields.size() < 6;) {
    size_t next = line.find(' ', pos);
    if (next == std::string_view::npos) next = line.size();
    if (next > pos) fields.push_back(line.substr(pos, next - pos));
    pos = next + 1;
  }
  if (fields.size() < 5) return false;
  const size_t dash = fields[0].find('-');
  if (dash == std::string_view::npos) return false;
  const std::string_view lo = fields[0].substr(0, dash), hi = fields[0].substr(dash + 1);
  if (std::from_chars(lo.data(), lo.data() + lo.size(), m.start, 16).ec != std::errc() ||
      std::from_chars(hi.data(), hi.data() + hi.size(), m.end, 16).ec != std::errc())
    return false;
  const std::string_view perms = fields[1];
  m.read_only_private = perms.size() == 4 && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p';
  m.file = fields[4] != "0" && fields.size() == 6 && !fields[5].starts_with('[');
  return true;
}

size_t field_kb(std::string_view line, std::string_view name) {
  std::string_view rest = line.substr(name.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  size_t kb = 0;
  std::from_chars(rest.data(), rest.data() + rest.size(), kb);
  return kb;
}

// Read-only, private, backed by a file, and every resident page the file's.
bool releasable(const Mapping& m) { return m.file && m.read_only_private && m.anonymous_kb == 0 && m.rss_kb > 0; }

}  // namespace

Result<size_t> release_file_pages() {
  // Read whole before any madvise: the text is not changed under the parse.
  const std::string smaps = BRICK_TRY(read_file("/proc/self/smaps"));
  std::vector<Mapping> mappings;
  for (std::string_view line : split(smaps, '\n')) {
    if (line.starts_with("Rss:") && !mappings.empty()) {
      mappings.back().rss_kb = field_kb(line, "Rss:");
    } else if (line.starts_with("Anonymous:") && !mappings.empty()) {
      mappings.back().anonymous_kb = field_kb(line, "Anonymous:");
    } else if (!line.empty() && line.find(':') > line.find(' ')) {
      // Field lines are "Name: value"; a header's first ':' is in dev, after a space.
      Mapping m;
      if (parse_header(line, m)) mappings.push_back(m);
    }
  }
  size_t released = 0;
  for (const Mapping& m : mappings) {
    if (!releasable(m)) continue;
    // The address is the kernel's, from text: there is no pointer to start from.
    // NOLINTNEXTLINE(performance-no-int-to-ptr)
    if (::madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_DONTNEED) < 0)
      return fail_errno("releasing the pages of a file mapping");
    released += m.rss_kb;
  }
  return released;
}

}  // namespace brick
