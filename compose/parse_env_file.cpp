// A service's env_file: entries, read through the dotenv parser.
#include <sys/stat.h>

#include "compose/dotenv.hpp"
#include "compose/parse_parts.hpp"

namespace brick::compose {

OptionalStringMap parse_env_files(const Node& node, const std::string& path, const ParseContext& ctx, Reader& r,
                                  std::vector<std::string>& files_read) {
  OptionalStringMap out;
  if (node.is_null()) return out;
  auto read_one = [&](const Node& at, const std::string& p, const std::string& file, bool required) {
    std::string abs = resolve_host_path(file, ctx);
    struct stat st {};
    if (::stat(abs.c_str(), &st) != 0) {
      // An optional env file may be absent; compose skips it silently.
      if (required) r.error(at.mark, p, "env file `" + abs + "` not found");
      return;
    }
    files_read.push_back(abs);
    auto vars = read_dotenv_file(abs, ctx.environment);
    if (!vars) {
      r.error(at.mark, p, "reading env file `" + abs + "`: " + vars.error().message());
      return;
    }
    for (auto& [k, v] : *vars) out[k] = v;
  };
  if (node.is_scalar()) {
    read_one(node, path, node.scalar, true);
    return out;
  }
  if (!r.expect_sequence(node, path)) return out;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    std::string p = index_path(path, i);
    if (item.is_scalar()) {
      read_one(item, p, item.scalar, true);
      continue;
    }
    std::optional<std::string> file;
    bool required = true;
    r.dispatch(
        item, p,
        {
            {"path", [&](const Node& v, const std::string& vp) { file = r.str(v, vp); }},
            {"required", [&](const Node& v, const std::string& vp) { required = r.boolean(v, vp).value_or(true); }},
            {"format",
             [&](const Node& v, const std::string& vp) {
               auto f = r.str(v, vp);
               if (f && *f == "raw")
                 r.warning(v.mark, vp, "`format: raw` is not supported by brick; the file is read as dotenv");
             }},
        });
    if (!item.is_mapping()) continue;
    if (!file) {
      r.error(item.mark, p, "an env_file entry needs a `path`");
      continue;
    }
    read_one(item, p, *file, required);
  }
  return out;
}

StringMap parse_label_files(const Node& node, const std::string& path, const ParseContext& ctx, Reader& r) {
  StringMap out;
  auto read_one = [&](const Node& at, const std::string& p, const std::string& file) {
    std::string abs = resolve_host_path(file, ctx);
    // compose-go's WithServicesLabelsResolved: a `${VAR}` in a label file
    // sees only the labels read before it, not the environment.
    auto vars = read_dotenv_file(abs, out);
    if (!vars) {
      r.error(at.mark, p, "reading label file `" + abs + "`: " + vars.error().message());
      return;
    }
    for (auto& [k, v] : *vars) out[k] = v;
  };
  if (node.is_null()) return out;
  if (node.is_scalar()) {
    read_one(node, path, node.scalar);
    return out;
  }
  if (!r.expect_sequence(node, path)) return out;
  for (size_t i = 0; i < node.items.size(); ++i) {
    std::string p = index_path(path, i);
    if (auto file = r.str(node.items[i], p)) read_one(node.items[i], p, *file);
  }
  return out;
}

}  // namespace brick::compose
