#include "compose/include.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "base/strings.hpp"
#include "compose/loader.hpp"
#include "compose/merge.hpp"
#include "compose/paths.hpp"

namespace brick::compose {
namespace {

std::string located(const Mark& mark, const std::string& what) {
  std::string where = mark.str();
  return where.empty() ? what : where + ": " + what;
}

struct IncludeEntry {
  std::vector<std::string> paths;
  std::optional<std::string> project_directory;
  std::vector<std::string> env_files;
  Mark mark;
};

Result<std::vector<std::string>> string_list(const Node& n, const std::string& path) {
  if (n.is_scalar()) return std::vector<std::string>{n.scalar};
  if (!n.is_sequence()) return fail(located(n.mark, path + ": must be a string or a list of strings"));
  std::vector<std::string> out;
  for (const auto& item : n.items) {
    if (!item.is_scalar()) return fail(located(item.mark, path + ": must be a string or a list of strings"));
    out.push_back(item.scalar);
  }
  return out;
}

Result<std::vector<IncludeEntry>> read_entries(const Node& include) {
  Node list = include;
  if (include.is_scalar()) {  // a single path
    list = Node::sequence(include.mark);
    list.items.push_back(include);
  }
  if (!list.is_sequence()) return fail(located(include.mark, "include: must be a list"));
  std::vector<IncludeEntry> out;
  for (size_t i = 0; i < list.items.size(); ++i) {
    const Node& item = list.items[i];
    const std::string where = "include[" + std::to_string(i) + "]";
    IncludeEntry entry;
    entry.mark = item.mark;
    if (item.is_scalar()) {
      entry.paths.push_back(item.scalar);
    } else if (item.is_mapping()) {
      for (const auto& e : item.entries) {
        if (e.key == "path") {
          entry.paths = BRICK_TRY(string_list(e.value, where + ".path"));
        } else if (e.key == "env_file") {
          entry.env_files = BRICK_TRY(string_list(e.value, where + ".env_file"));
        } else if (e.key == "project_directory") {
          if (!e.value.is_scalar()) return fail(located(e.value.mark, where + ".project_directory: must be a string"));
          entry.project_directory = e.value.scalar;
        } else {
          return fail(located(e.key_mark, where + ": unknown key `" + e.key + "`"));
        }
      }
    } else {
      return fail(located(item.mark, where + ": must be a path or a mapping"));
    }
    if (entry.paths.empty() || entry.paths.front().empty())
      return fail(located(item.mark, where + ": `path` is required"));
    out.push_back(std::move(entry));
  }
  return out;
}

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Adds the imported resources of one kind. A name the including file also
// defines is merged, the local definition over the imported one, by the
// usual override rules: current compose-go's importResource does so
// (docker compose 2.38 and older refused it as "conflicts with imported
// resource"; 5.x merges). Identical definitions, as a diamond of includes
// gives, are not merged again, which would append list entries twice.
void import_kind(Node& root, const Node& imported, const char* kind) {
  const Node* from = imported.find(kind);
  if (!from || !from->is_mapping() || from->entries.empty()) return;
  Node* into = root.find(kind);
  if (!into || into->is_null()) into = &root.set(kind, Node::mapping(from->mark));
  if (!into->is_mapping()) return;  // validation reports the local mistake
  for (const auto& e : from->entries) {
    Node* local = into->find(e.key);
    if (!local) {
      into->entries.push_back(e);
    } else if (!same_tree(*local, e.value)) {
      *local = merge_nodes(e.value, *local, {kind, e.key});
    }
  }
}

}  // namespace

Status apply_include(Node& root, const IncludeContext& ctx) {
  const Node* include = root.find("include");
  if (!include) return {};
  if (include->is_null()) {
    root.erase("include");
    return {};
  }
  std::vector<IncludeEntry> entries = BRICK_TRY(read_entries(*include));
  const PathBase base{ctx.base_dir, std::nullopt};
  for (const auto& entry : entries) {
    IncludedProject sub;
    for (const auto& p : entry.paths) sub.files.push_back(absolute_path(base, p));
    const std::string& main = sub.files.front();
    sub.project_dir = entry.project_directory ? absolute_path(base, *entry.project_directory)
                                              : std::filesystem::path(main).parent_path().string();
    for (const auto& f : ctx.include_chain) {
      if (f != main) continue;
      std::string msg = "include cycle detected:\n" + ctx.include_chain.front();
      for (size_t i = 1; i < ctx.include_chain.size(); ++i) msg += "\n include " + ctx.include_chain[i];
      return fail(msg + "\n include " + main);
    }

    std::vector<std::string> env_files;
    if (entry.env_files.empty()) {
      std::string dot_env = sub.project_dir + "/.env";
      if (is_regular_file(dot_env)) env_files.push_back(dot_env);
    } else {
      for (const auto& f : entry.env_files) {
        if (f == "/dev/null") continue;
        std::string abs = absolute_path(base, f);
        if (!is_regular_file(abs)) return fail(located(entry.mark, "include: env file " + abs + " not found"));
        env_files.push_back(abs);
      }
    }
    StringMap from_files = BRICK_TRY_CTX(read_env_files(env_files, ctx.environment), "including " + main);
    sub.environment = ctx.environment;
    for (auto& [k, v] : from_files) sub.environment.emplace(k, v);  // the including project's values win
    sub.include_chain = ctx.include_chain;
    sub.include_chain.push_back(main);

    Node imported = BRICK_TRY_CTX(ctx.load(sub), "including " + main);
    for (const char* kind : {"services", "networks", "volumes", "secrets", "configs"})
      import_kind(root, imported, kind);
  }
  root.erase("include");
  return {};
}

}  // namespace brick::compose
