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
  std::vector<std::string> files;         // -f, in order; "-" is stdin; empty: COMPOSE_FILE or discovery
  std::string project_directory;          // --project-directory; empty: the first file's directory
  std::string project_name;               // -p; empty: COMPOSE_PROJECT_NAME, `name:`, directory
  std::vector<std::string> profiles;      // --profile; empty: COMPOSE_PROFILES
  std::vector<std::string> env_files;     // --env-file; empty: <project dir>/.env unless COMPOSE_DISABLE_ENV_FILE
  std::vector<std::string> services;      // services named on the command line (they activate profiles)
  bool interpolate = true;                // false: --no-interpolate
  bool resolve_paths = true;              // make relative paths absolute against the project directory
  StringMap environment;                  // the process environment (tests pass their own)
  std::string working_directory;          // where discovery starts and relative -f resolve; empty: cwd
  std::optional<std::string> stdin_text;  // content for "-" (tests); nullopt: read fd 0
};

struct LoadedProject {
  Project project;
  std::vector<Diagnostic> warnings;
};

Result<LoadedProject> load_project(const LoadOptions& options);

// Lower-cases and strips characters compose does not allow in project names
// ([a-z0-9_-], must start with a letter or digit); "" if nothing is left.
std::string normalize_project_name(std::string_view name);

// ---- The stages behind load_project, exposed for tests and `config` ----

// Reads env files in order, later files winning; `${VAR}` in one sees the
// earlier files' values first, then `environment`. Returns the files' values.
Result<StringMap> read_env_files(const std::vector<std::string>& paths, const StringMap& environment);

// Discovery as compose does it: from `dir` upwards, the first directory with
// compose.yaml, compose.yml, docker-compose.yml or docker-compose.yaml gives
// the first of those, then the first of its override files. Several
// candidates in one directory add a warning. Empty when nothing is found.
std::vector<std::string> discover_compose_files(const std::string& dir, std::vector<Diagnostic>* warnings);

// What the options resolve to before any compose file is parsed.
struct LoadInputs {
  std::vector<std::string> config_files;  // absolute; "-" is stdin
  std::string project_dir;                // absolute
  StringMap environment;                  // the shell environment over .env
  std::vector<std::string> profiles;      // --profile, else COMPOSE_PROFILES
  std::vector<Diagnostic> warnings;
};
Result<LoadInputs> resolve_inputs(const LoadOptions& options);

// Every file parsed, interpolated, its includes and extends applied, merged
// in order, and (with options.resolve_paths) relative paths made absolute:
// the tree parse_project reads.
struct MergedTree {
  Node root;
  std::string project_name;  // chosen and validated
  LoadInputs inputs;         // environment gains COMPOSE_PROJECT_NAME
  std::vector<Diagnostic> warnings;
};
Result<MergedTree> load_merged_tree(const LoadOptions& options);

// -p > COMPOSE_PROJECT_NAME > `name:` > the project directory's base name.
// An explicit name must already be normalized; the directory's is normalized.
Result<std::string> choose_project_name(const std::string& flag, const StringMap& environment,
                                        const std::optional<std::string>& name_in_files,
                                        const std::string& project_dir);

}  // namespace brick::compose
