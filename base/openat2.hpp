// Opening and creating paths inside a directory tree that a container or a
// hostile archive may have filled with symlinks. Every lookup is done by the
// kernel with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): `..` stops at
// the root and absolute symlinks are read as relative to it, so no path can
// name anything outside. Layer unpacking (images/) and volume paths share it.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace brick {

// Opens `path` as if `root_fd` were `/` ("" and "/" are the root itself):
// symlinks (absolute or with `..`) stay beneath it and magic links
// (/proc/self/fd/N) are refused. `flags` are open(2) flags (O_CLOEXEC is
// always added); `mode` is used only with O_CREAT or O_TMPFILE. The errno of
// a failure is kept in the Error.
Result<UniqueFd> open_beneath(int root_fd, std::string_view path, int flags, mode_t mode = 0644);

// Creates every missing directory of `path` beneath `root_fd` (as mkdir -p)
// and returns an O_PATH descriptor of the last one. An existing component
// that is a symlink is followed only within the root; a dangling symlink or
// a non-directory is an error, never something to create through.
Result<UniqueFd> mkdir_beneath(int root_fd, std::string_view path, mode_t mode = 0755);

}  // namespace brick
