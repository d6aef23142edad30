#include "compose/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "base/unique_fd.hpp"

namespace brick::compose {
namespace {

std::string size_text(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// `size`: the whole size when known, 0 for a pipe cut off at the limit.
std::unexpected<Error> too_big(const std::string& name, std::string_view what, size_t max_bytes, uint64_t size) {
  std::string where = name == "-" ? "stdin" : name;
  return fail(Error(where + ": the " + std::string(what) + " is larger than " + size_text(max_bytes) +
                    (size ? " (" + std::to_string(size) + " bytes)" : "") + "; refusing to parse it"));
}

}  // namespace

Status check_input_size(std::string_view text, const std::string& name, std::string_view what, size_t max_bytes) {
  if (text.size() > max_bytes) return too_big(name, what, max_bytes, text.size());
  return {};
}

Result<std::string> read_input_file(const std::string& path, const std::string& name, std::string_view what,
                                    size_t max_bytes) {
  const bool from_stdin = path == "-";
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (!from_stdin) {
    owned = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned) return fail(Error::from_errno("reading `" + path + "`"));
    fd = owned.get();
  }
  // A regular file says its size up front; a pipe (stdin, <(...)) is read up
  // to one byte past the limit.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes)
    return too_big(name, what, max_bytes, static_cast<uint64_t>(st.st_size));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return fail(Error::from_errno(from_stdin ? "reading the " + std::string(what) + " from stdin"
                                               : "reading `" + path + "`"));
    if (n == 0) break;
    out.append(buf, std::min(static_cast<size_t>(n), max_bytes + 1 - out.size()));
    if (out.size() > max_bytes) return too_big(name, what, max_bytes, 0);
  }
  return out;
}

}  // namespace brick::compose
