// Relative paths in a stack file are relative to a base directory (the
// project directory, or the directory of the file an `extends` or `include`
// pulled in). These functions rewrite them as absolute paths in the Node tree
// so that the origin no longer matters once trees are merged.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compose/node.hpp"

namespace brick::compose {

struct PathBase {
  std::string dir;                  // absolute
  std::optional<std::string> home;  // for `~`; nullopt leaves `~` alone
};

// `C:\data`, `C:/data` or a `\\server\share` path: absolute on Windows, so
// compose-go neither splits it at its colon nor prefixes the project
// directory to it.
bool is_windows_absolute(std::string_view path);

// `path` made absolute against `base.dir` (`~` and `~/x` against HOME) and
// lexically normalized; an absolute path is only normalized.
std::string absolute_path(const PathBase& base, std::string_view path);

// A service mapping: build context (not remote URLs), additional_contexts,
// env_file, label_file, bind-mount sources (short and long syntax),
// extends.file, develop.watch paths.
void resolve_service_paths(Node& service, const PathBase& base);

// A whole document: every service, secrets/configs `file:`, and the device
// of local bind-style volumes (`driver_opts: {o: bind, device: ./x}`).
void resolve_project_paths(Node& root, const PathBase& base);

}  // namespace brick::compose
