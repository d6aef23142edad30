// The loading pipeline, in the order docker compose (compose-go cli/options.go
// and loader/loader.go) runs it, because users rely on its precedences:
// shell environment > .env, -f > COMPOSE_FILE > discovery, -p >
// COMPOSE_PROJECT_NAME > `name:` > directory name.
#include "compose/loader.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "compose/dotenv.hpp"
#include "compose/extends.hpp"
#include "compose/graph.hpp"
#include "compose/include.hpp"
#include "compose/input_file.hpp"
#include "compose/interpolate.hpp"
#include "compose/merge.hpp"
#include "compose/parse_project.hpp"
#include "compose/paths.hpp"
#include "compose/profiles.hpp"
#include "compose/utf8.hpp"

namespace brick::compose {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFileNames[] = {"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"};
constexpr const char* kOverrideNames[] = {"compose.override.yml", "compose.override.yaml",
                                          "docker-compose.override.yml", "docker-compose.override.yaml"};

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string parent_dir(const std::string& path) { return fs::path(path).parent_path().string(); }

std::string absolute_from(const std::string& base, const std::string& path) {
  return absolute_path(PathBase{base, std::nullopt}, path);
}

std::optional<std::string> lookup(const StringMap& env, const std::string& key) {
  auto it = env.find(key);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

// Go's strconv.ParseBool, which compose uses for COMPOSE_* switches.
Result<bool> parse_go_bool(const std::string& name, const std::string& v) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
    if (v == t) return true;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
    if (v == f) return false;
  return fail(name + ": invalid boolean \"" + v + "\"");
}

std::vector<std::string> first_existing(const std::string& dir, const auto& names) {
  std::vector<std::string> out;
  for (const char* n : names)
    if (std::string p = dir + (dir == "/" ? "" : "/") + n; is_regular_file(p)) out.push_back(p);
  return out;
}

void warn_several(const std::vector<std::string>& found, std::vector<Diagnostic>* warnings) {
  if (found.size() < 2 || !warnings) return;
  warnings->push_back(Diagnostic{
      {}, "", "Found multiple config files with supported names: " + join(found, ", ") + "; using " + found.front()});
}

// Shell values win: .env only fills what the environment leaves unset.
void fill_unset(StringMap& env, const StringMap& from_files) {
  for (const auto& [k, v] : from_files) env.emplace(k, v);
}

Result<StringMap> default_dot_env(const std::string& dir, const StringMap& env) {
  std::string path = dir + "/.env";
  if (!is_regular_file(path)) return StringMap{};
  return read_env_files({path}, env);
}

// Marks name a file the way a user would type it: relative to where they
// stand when it is below that, absolute otherwise.
std::string display_name(const std::string& path, const std::string& wd) {
  if (path == "-") return path;
  std::string prefix = wd == "/" ? wd : wd + "/";
  return path.starts_with(prefix) ? path.substr(prefix.size()) : path;
}

struct ParsedFile {
  std::string path;  // absolute, or "-"
  Node root;
};

class Pipeline {
 public:
  Pipeline(const LoadOptions& options, std::string wd, Diagnostics& diags)
      : options_(options), wd_(std::move(wd)), diags_(diags) {}

  Result<ParsedFile> parse(const std::string& path) {
    std::string name = display_name(path, wd_);
    // Bounded before yaml-cpp sees it: its tree is built whole before the
    // node budget in parse_yaml can act.
    std::string text;
    if (path == "-" && options_.stdin_text) {
      BRICK_TRY(check_input_size(*options_.stdin_text, name, "compose file"));
      text = *options_.stdin_text;
    } else {
      text = BRICK_TRY(read_input_file(path, name, "compose file"));
    }
    Node root = BRICK_TRY(parse_yaml(text, name));
    if (root.is_null() && root.tag.empty()) return fail(name + ": empty compose file");
    if (!root.is_mapping()) return fail(located(root.mark, "top-level object must be a mapping"));
    return ParsedFile{path, std::move(root)};
  }

  // One document: interpolation, then `include`, then `extends`, as
  // compose-go's processRawYaml orders them (so a service may extend an
  // included one).
  Result<Node> process(ParsedFile file, const std::string& base_dir, const StringMap& env,
                       const std::vector<std::string>& include_chain) {
    BRICK_TRY(interpolate_doc(file.root, env));
    BRICK_TRY(include(file, base_dir, env, include_chain));
    std::optional<std::string> home = lookup(env, "HOME");
    ExtendsContext ext{file.path, base_dir, home, [&](const std::string& path) -> Result<Node> {
                         ParsedFile other = BRICK_TRY(parse(path));
                         BRICK_TRY(interpolate_doc(other.root, env));
                         BRICK_TRY(include(other, parent_dir(path), env, include_chain));
                         return std::move(other.root);
                       }};
    BRICK_TRY(apply_extends(file.root, ext));
    return std::move(file.root);
  }

  // Files merged in order; `resolve` makes their paths absolute.
  Result<Node> load_all(std::vector<ParsedFile> files, const std::string& base_dir, const StringMap& env,
                        const std::vector<std::string>& include_chain, bool resolve) {
    Node merged = Node::mapping();
    bool first = true;
    for (auto& f : files) {
      Node doc = BRICK_TRY(process(std::move(f), base_dir, env, include_chain));
      merged = first ? std::move(doc) : merge_nodes(merged, doc);
      first = false;
    }
    finalize_tags(merged);
    if (resolve) resolve_project_paths(merged, PathBase{base_dir, lookup(env, "HOME")});
    return merged;
  }

 private:
  static std::string located(const Mark& mark, const std::string& what) {
    std::string where = mark.str();
    return where.empty() ? what : where + ": " + what;
  }

  Status interpolate_doc(Node& root, const StringMap& env) {
    if (!options_.interpolate) return {};
    Lookup look = [&env](std::string_view name) -> std::optional<std::string> {
      auto it = env.find(std::string(name));
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    Diagnostics local;
    interpolate_node(root, look, local);
    diags_.absorb(local);
    if (local.has_errors()) return fail(local.to_error());
    return {};
  }

  Status include(ParsedFile& file, const std::string& base_dir, const StringMap& env,
                 const std::vector<std::string>& include_chain) {
    if (!file.root.find("include")) return {};
    IncludeContext ctx{base_dir, env, include_chain, [&](const IncludedProject& sub) -> Result<Node> {
                         std::vector<ParsedFile> files;
                         for (const auto& p : sub.files) files.push_back(BRICK_TRY(parse(p)));
                         // An included project's paths are its own, whatever -f files ask.
                         return load_all(std::move(files), sub.project_dir, sub.environment, sub.include_chain, true);
                       }};
    ctx.include_chain.push_back(file.path);
    return apply_include(file.root, ctx);
  }

  const LoadOptions& options_;
  std::string wd_;
  Diagnostics& diags_;
};

Result<std::string> working_directory(const LoadOptions& options) {
  std::string cwd;
  if (options.working_directory.empty() || options.working_directory.front() != '/') {
    std::error_code ec;
    cwd = fs::current_path(ec).string();
    if (ec) return fail(Error("getting the current directory", ec.value()));
  }
  if (options.working_directory.empty()) return cwd;
  return absolute_from(cwd, options.working_directory);
}

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  for (auto& part : split(s, sep))
    if (auto t = trim(part); !t.empty()) out.emplace_back(t);
  return out;
}

}  // namespace

std::string normalize_project_name(std::string_view name) {
  std::string out;
  for (char c : to_lower(name))
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') out += c;
  size_t start = out.find_first_not_of("_-");
  return start == std::string::npos ? std::string() : out.substr(start);
}

Result<StringMap> read_env_files(const std::vector<std::string>& paths, const StringMap& environment) {
  StringMap values;
  for (const auto& path : paths) {
    StringMap look = environment;
    for (const auto& [k, v] : values) look[k] = v;  // earlier files before the shell, as compose-go
    StringMap file = BRICK_TRY(read_dotenv_file(path, look));
    for (auto& [k, v] : file) values[k] = std::move(v);
  }
  return values;
}

std::vector<std::string> discover_compose_files(const std::string& start, std::vector<Diagnostic>* warnings) {
  fs::path dir = fs::path(start).lexically_normal();
  for (;;) {
    std::string d = dir.string();
    if (d.size() > 1 && d.back() == '/') d.pop_back();
    std::vector<std::string> found = first_existing(d, kFileNames);
    if (!found.empty()) {
      warn_several(found, warnings);
      std::vector<std::string> out{found.front()};
      std::vector<std::string> overrides = first_existing(d, kOverrideNames);
      warn_several(overrides, warnings);
      if (!overrides.empty()) out.push_back(overrides.front());
      return out;
    }
    fs::path parent = fs::path(d).parent_path();
    if (parent.empty() || parent == fs::path(d)) return {};
    dir = parent;
  }
}

Result<LoadInputs> resolve_inputs(const LoadOptions& options) {
  const std::string wd = BRICK_TRY(working_directory(options));
  LoadInputs in;
  in.environment = options.environment;
  for (const auto& f : options.files) in.config_files.push_back(f == "-" ? f : absolute_from(wd, f));
  const std::string flag_dir = options.project_directory.empty() ? "" : absolute_from(wd, options.project_directory);

  // The project directory as compose's GetWorkingDir sees it: the flag, the
  // first real file's directory, or where we stand.
  auto project_dir = [&] {
    if (!flag_dir.empty()) return flag_dir;
    for (const auto& f : in.config_files)
      if (f != "-") return parent_dir(f);
    return wd;
  };

  bool disabled = false;
  if (auto v = lookup(options.environment, "COMPOSE_DISABLE_ENV_FILE"))
    disabled = BRICK_TRY(parse_go_bool("COMPOSE_DISABLE_ENV_FILE", *v));
  const bool explicit_env = !options.env_files.empty();
  std::string env_dir = project_dir();
  if (explicit_env) {
    std::vector<std::string> paths;
    for (const auto& f : options.env_files) {
      std::string p = absolute_from(wd, f);
      if (!is_regular_file(p)) return fail("couldn't find env file: " + p);
      paths.push_back(p);
    }
    fill_unset(in.environment, BRICK_TRY(read_env_files(paths, options.environment)));
  } else if (!disabled) {
    fill_unset(in.environment, BRICK_TRY(default_dot_env(env_dir, options.environment)));
  }

  if (in.config_files.empty()) {
    if (auto files = lookup(in.environment, "COMPOSE_FILE"); files && !files->empty()) {
      std::string sep = lookup(in.environment, "COMPOSE_PATH_SEPARATOR").value_or(":");
      for (const auto& f : split_list(*files, sep.empty() ? ':' : sep.front()))
        in.config_files.push_back(absolute_from(wd, f));
    }
  }
  if (in.config_files.empty()) {
    const std::string start = flag_dir.empty() ? wd : flag_dir;
    in.config_files = discover_compose_files(start, &in.warnings);
    if (in.config_files.empty()) {
      Error e("no configuration file provided: not found");
      e.add_detail("searched for " +
                   join(std::vector<std::string>(std::begin(kFileNames), std::end(kFileNames)), ", ") + " in " + start +
                   " and its parents");
      return fail(std::move(e));
    }
  }
  in.project_dir = project_dir();
  // compose reads .env a second time once discovery or COMPOSE_FILE has
  // moved the project directory; the first one's values still win.
  if (!explicit_env && !disabled && in.project_dir != env_dir)
    fill_unset(in.environment, BRICK_TRY(default_dot_env(in.project_dir, in.environment)));

  if (!options.profiles.empty())
    in.profiles = options.profiles;
  else if (auto p = lookup(in.environment, "COMPOSE_PROFILES"))
    in.profiles = split_list(*p, ',');
  return in;
}

Result<std::string> choose_project_name(const std::string& flag, const StringMap& environment,
                                        const std::optional<std::string>& name_in_files,
                                        const std::string& project_dir) {
  std::optional<std::string> chosen;
  if (!flag.empty())
    chosen = flag;
  else if (auto env = lookup(environment, "COMPOSE_PROJECT_NAME"); env && !env->empty())
    chosen = env;
  else if (name_in_files && !name_in_files->empty())
    chosen = name_in_files;
  if (chosen) {
    if (normalize_project_name(*chosen) != *chosen)
      return fail("invalid project name \"" + *chosen +
                  "\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as "
                  "start with a letter or number");
    return *chosen;
  }
  std::string name = normalize_project_name(fs::path(project_dir).filename().string());
  if (name.empty())
    return fail("project name must not be empty: directory `" + project_dir + "` gives none; use -p or `name:`");
  return name;
}

Result<MergedTree> load_merged_tree(const LoadOptions& options) {
  MergedTree out;
  out.inputs = BRICK_TRY(resolve_inputs(options));
  const std::string wd = BRICK_TRY(working_directory(options));
  Diagnostics diags;
  Pipeline pipeline(options, wd, diags);

  std::vector<ParsedFile> files;
  for (const auto& path : out.inputs.config_files) files.push_back(BRICK_TRY(pipeline.parse(path)));

  // The name comes before interpolation so that files may use
  // ${COMPOSE_PROJECT_NAME}; the last file with a `name:` wins, as in merge.
  std::optional<std::string> name_in_files;
  for (const auto& f : files) {
    const Node* n = f.root.find("name");
    if (!n || !n->is_scalar()) continue;
    name_in_files = n->scalar;
    if (options.interpolate) {
      auto v = interpolate_string(n->scalar,
                                  [&](std::string_view k) { return lookup(out.inputs.environment, std::string(k)); });
      if (v) name_in_files = *v;  // a bad expression is reported with its mark below
    }
  }
  out.project_name = BRICK_TRY(
      choose_project_name(options.project_name, out.inputs.environment, name_in_files, out.inputs.project_dir));
  out.inputs.environment.emplace("COMPOSE_PROJECT_NAME", out.project_name);

  out.root = BRICK_TRY(
      pipeline.load_all(std::move(files), out.inputs.project_dir, out.inputs.environment, {}, options.resolve_paths));
  // After interpolation, so a value taken from the environment is checked too.
  Diagnostics encoding;
  check_utf8(out.root, encoding);
  if (encoding.has_errors()) return fail(encoding.to_error());
  out.warnings = out.inputs.warnings;
  out.warnings.insert(out.warnings.end(), diags.warnings().begin(), diags.warnings().end());
  return out;
}

Result<LoadedProject> load_project(const LoadOptions& options) {
  MergedTree tree = BRICK_TRY(load_merged_tree(options));
  Diagnostics diags;
  ParseContext ctx{tree.project_name, tree.inputs.project_dir, tree.inputs.environment};
  Project project = parse_project(tree.root, ctx, diags);
  if (diags.has_errors()) return fail(diags.to_error());
  project.name = tree.project_name;
  project.working_dir = tree.inputs.project_dir;
  project.config_files = tree.inputs.config_files;
  project.environment = tree.inputs.environment;
  BRICK_TRY(apply_profiles(project, tree.inputs.profiles, options.services));
  // A project that cannot be ordered is invalid for every command, `config`
  // included, as in docker compose: find cycles at load time.
  BRICK_TRY(ServiceGraph::build(project));
  LoadedProject out{std::move(project), std::move(tree.warnings)};
  out.warnings.insert(out.warnings.end(), diags.warnings().begin(), diags.warnings().end());
  return out;
}

}  // namespace brick::compose
