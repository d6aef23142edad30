// Node tree → typed Project: validation of every key (all errors at once,
// with did-you-mean for unknown keys), normalization to the canonical long
// form, and the checks that cross objects (undefined networks, volumes,
// secrets, configs, services).
#pragma once

#include <string>

#include "compose/diagnostics.hpp"
#include "compose/node.hpp"
#include "compose/project.hpp"

namespace brick::compose {

struct ParseContext {
  std::string project_name;  // already chosen and normalized
  std::string working_dir;   // absolute project directory
  // Variables after .env and the environment are combined: used for
  // `environment: [FOO]` pass-through and env_file interpolation.
  StringMap environment;
  // False under `config --no-interpolate`: values may still hold `${...}`.
  bool interpolated = true;
};

// Builds the Project from the merged, interpolated root mapping. Errors and
// warnings go to `diags`; the returned Project is meaningful only when
// `diags.has_errors()` is false. All services land in `services`: profile
// selection happens afterwards (see profiles.hpp).
Project parse_project(const Node& root, const ParseContext& ctx, Diagnostics& diags);

}  // namespace brick::compose
