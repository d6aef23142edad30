// Filesystem operations confined to a root directory, for layer unpacking.
// Every path is resolved by the kernel relative to a root fd with
// openat2(RESOLVE_IN_ROOT): a symlink planted by an earlier entry (`evil -> /`,
// `evil -> ../../..`) resolves inside the root, never outside it, whatever
// its target says. The last component is never followed.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace brick::images::detail {

// Splits a tar entry name into clean components relative to the root: leading
// "/" and "./" are dropped (as tar and Docker do, so `/etc/x` means
// `<root>/etc/x`), "." vanishes, ".." pops a component. A ".." that would climb
// above the root is an error. An empty result names the root itself.
Result<std::vector<std::string>> clean_entry_path(std::string_view name);

// Joins the first `count` components with "/"; "" for none.
std::string join_path(const std::vector<std::string>& parts, size_t count);

// openat2(root_fd, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); "" is
// the root itself. Retries EAGAIN (a concurrent rename made the kernel unsure).
Result<UniqueFd> open_in_root(int root_fd, const std::string& rel, int flags, mode_t mode = 0);

// An O_PATH fd for directory `rel` under the root, creating missing
// directories (mode 0755, as tar does for parents an archive leaves out).
Result<UniqueFd> ensure_dir(int root_fd, const std::string& rel);

// Removes `name` in `dir_fd` without following it: a whole tree when it is a
// directory. A missing name is not an error. `display` names it in errors.
Status remove_at(int dir_fd, const std::string& name, const std::string& display);

// chmod of `name` in `dir_fd` without following a symlink there.
Status chmod_nofollow(int dir_fd, const std::string& name, mode_t mode);

}  // namespace brick::images::detail
