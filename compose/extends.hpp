// `extends`: a service built on top of another one, from the same file or
// another file, recursively (05-services.md#extends). The extending service's
// keys merge over the base's by the same rules as -f files (merge.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "compose/node.hpp"

namespace brick::compose {

// Loads the file an `extends.file` names (an absolute path) as far as a
// document root: parsed, interpolated, its includes applied, its own
// `extends` NOT yet applied. Results may be cached by the caller.
using ExtendsFileLoader = std::function<Result<Node>(const std::string& path)>;

struct ExtendsContext {
  std::string file;      // the document's absolute path ("-" for stdin): identity and messages
  std::string base_dir;  // relative `extends.file` resolve against it
  std::optional<std::string> home;
  ExtendsFileLoader load_file;
};

// Replaces every service under root.services that has `extends` with the
// merged result and removes the `extends` key. A base taken from another file
// has its relative paths made absolute against that file's directory first.
// Errors: unknown service or file, malformed `extends`, and cycles
// (`extends cycle: a -> b -> a`).
Status apply_extends(Node& root, const ExtendsContext& ctx);

}  // namespace brick::compose
