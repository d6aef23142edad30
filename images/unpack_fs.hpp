// Path and filesystem helpers for layer unpacking. Paths are opened with
// base/openat2.hpp (RESOLVE_IN_ROOT): a symlink planted by an earlier entry
// (`evil -> /`, `evil -> ../../..`) resolves inside the root, never outside
// it, whatever its target says. What is here works on one name in an already
// resolved directory and never follows it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace brick::images::detail {

// Splits a tar entry name into clean components relative to the root: a
// leading "./" is dropped, "." vanishes, ".." pops a component. An absolute
// name, or a ".." that would climb above the root, is an error (tar and
// Docker would relocate `/etc/x` to `<root>/etc/x`; layer writers never make
// such names). An empty result names the root itself.
Result<std::vector<std::string>> clean_entry_path(std::string_view name);

// Joins the first `count` components with "/"; "" for none.
std::string join_path(const std::vector<std::string>& parts, size_t count);

// Removes `name` in `dir_fd` without following it: a whole tree when it is a
// directory. A missing name is not an error. `display` names it in errors.
Status remove_at(int dir_fd, const std::string& name, const std::string& display);

// chmod of `name` in `dir_fd` without following a symlink there.
Status chmod_nofollow(int dir_fd, const std::string& name, mode_t mode);

}  // namespace brick::images::detail
