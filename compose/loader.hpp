// The whole loading pipeline behind every `brick compose` command:
// discovery → .env → parse → interpolate → include/extends → merge →
// typed Project → profiles.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "compose/diagnostics.hpp"
#include "compose/project.hpp"

namespace brick::compose {

struct LoadOptions {
  std::vector<std::string> files;        // -f, in order; "-" is stdin; empty: COMPOSE_FILE or discovery
  std::string project_directory;         // --project-directory; empty: the first file's directory
  std::string project_name;              // -p; empty: COMPOSE_PROJECT_NAME, `name:`, directory
  std::vector<std::string> profiles;     // --profile; empty: COMPOSE_PROFILES
  std::vector<std::string> env_files;    // --env-file; empty: <project dir>/.env unless COMPOSE_DISABLE_ENV_FILE
  std::vector<std::string> services;     // services named on the command line (they activate profiles)
  bool interpolate = true;               // false: --no-interpolate
  bool resolve_paths = true;             // make relative paths absolute against the project directory
  StringMap environment;                 // the process environment (tests pass their own)
  std::string working_directory;         // where discovery starts and relative -f resolve; empty: cwd
  std::optional<std::string> stdin_text; // content for "-" (tests); nullopt: read fd 0
};

struct LoadedProject {
  Project project;
  std::vector<Diagnostic> warnings;
};

Result<LoadedProject> load_project(const LoadOptions& options);

// Lower-cases and strips characters compose does not allow in project names
// ([a-z0-9_-], must start with a letter or digit); "" if nothing is left.
std::string normalize_project_name(std::string_view name);

}  // namespace brick::compose
