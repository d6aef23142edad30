// `include` (14-include.md): other compose files loaded as projects of their
// own — own project directory, own .env — whose services, networks,
// volumes, secrets and configs are then added to the including file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "compose/node.hpp"
#include "compose/project.hpp"

namespace brick::compose {

// One `include` entry, its paths made absolute.
struct IncludedProject {
  std::vector<std::string> files;  // the first is the main file, the rest override it
  std::string project_dir;
  StringMap environment;                   // the including project's, over the entry's env files
  std::vector<std::string> include_chain;  // files being included, outermost first
};

// Loads an included project's files into one tree with its paths resolved
// against its project directory (the loader's pipeline, recursively).
using IncludeLoader = std::function<Result<Node>(const IncludedProject&)>;

struct IncludeContext {
  std::string base_dir;                    // relative include paths resolve against it
  StringMap environment;                   // the including project's variables
  std::vector<std::string> include_chain;  // for cycle detection
  IncludeLoader load;
};

// Processes and removes root.include. A resource both defined locally and
// imported is the local definition merged over the imported one; an include
// cycle or a missing explicit env_file is an error.
Status apply_include(Node& root, const IncludeContext& ctx);

}  // namespace brick::compose
