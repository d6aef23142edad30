// Reading a small file a container controls (its /etc/passwd, /etc/group)
// from the host, without letting the container stall or harm the reader.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace brick {

// Reads `path` beneath `root_fd`, resolved as open_beneath resolves it (a
// symlink stays inside the root). Only a regular file of at most `max_bytes`
// is read; a FIFO, a device node (/dev/zero never ends, and opening some
// devices acts on the host), a directory or socket, or a larger file fails
// with an error naming `path` and what it is. What is found is pinned
// first with O_PATH and opened for reading only once it is known to be a
// regular file. A missing file fails with ENOENT.
Result<std::string> read_regular_beneath(int root_fd, std::string_view path, size_t max_bytes);

}  // namespace brick
