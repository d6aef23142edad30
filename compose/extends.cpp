#include "compose/extends.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "compose/merge.hpp"
#include "compose/paths.hpp"

namespace brick::compose {
namespace {

std::string located(const Mark& mark, const std::string& what) {
  std::string where = mark.str();
  return where.empty() ? what : where + ": " + what;
}

struct Ref {
  std::string service;
  std::optional<std::string> file;
};

Result<Ref> read_extends(const Node& ext, const std::string& name) {
  const std::string path = "services." + name + ".extends";
  if (ext.is_scalar()) return Ref{ext.scalar, std::nullopt};
  if (!ext.is_mapping()) return fail(located(ext.mark, path + ": must be a string or a mapping"));
  Ref ref;
  const Node* service = ext.find("service");
  if (!service || !service->is_scalar() || service->scalar.empty())
    return fail(located(ext.mark, path + ": `service` is required and must be a string"));
  ref.service = service->scalar;
  if (const Node* file = ext.find("file"); file && !file->is_null()) {
    if (!file->is_scalar()) return fail(located(file->mark, path + ".file: must be a string"));
    ref.file = file->scalar;
  }
  for (const auto& e : ext.entries)
    if (e.key != "service" && e.key != "file") return fail(located(e.key_mark, path + ": unknown key `" + e.key + "`"));
  return ref;
}

class Resolver {
 public:
  explicit Resolver(const ExtendsContext& ctx) : ctx_(ctx) {}

  // The service `name` of `services` (a document of `file`) with its
  // `extends` chain applied.
  Result<Node> resolve(const std::string& file, const std::string& base_dir, const Node& services,
                       const std::string& name) {
    const Node* svc = services.find(name);
    const Node* ext = svc ? svc->find("extends") : nullptr;
    if (!ext) return svc ? *svc : Node::mapping();
    auto key = std::make_pair(file, name);
    if (auto it = done_.find(key); it != done_.end()) return it->second;
    for (size_t i = 0; i < stack_.size(); ++i)
      if (stack_[i] == key) return fail(cycle_message(i, name, file));

    stack_.push_back(key);
    Ref ref = BRICK_TRY(read_extends(*ext, name));
    Node base;
    std::string ref_file = ref.file ? absolute_path({base_dir, ctx_.home}, *ref.file) : file;
    if (ref_file == file) {
      if (!services.find(ref.service))
        return fail("cannot extend service \"" + name + "\" in " + file + ": service \"" + ref.service +
                    "\" not found");
      base = BRICK_TRY(resolve(file, base_dir, services, ref.service));
    } else {
      const Node* other = BRICK_TRY(load(ref_file, name));
      const Node* other_services = other->find("services");
      if (!other_services || !other_services->find(ref.service))
        return fail("cannot extend service \"" + name + "\" in " + file + ": service \"" + ref.service +
                    "\" not found in " + ref_file);
      std::string other_dir = std::filesystem::path(ref_file).parent_path().string();
      base = BRICK_TRY(resolve(ref_file, other_dir, *other_services, ref.service));
      // The base's own relative paths meant its file's directory.
      resolve_service_paths(base, {other_dir, ctx_.home});
    }
    Node over = *svc;
    over.erase("extends");
    Node merged = merge_service(base, over);
    merged.erase("extends");
    stack_.pop_back();
    done_.emplace(key, merged);
    return merged;
  }

 private:
  Result<const Node*> load(const std::string& path, const std::string& extending) {
    auto it = files_.find(path);
    if (it == files_.end()) {
      if (!ctx_.load_file) return fail("cannot extend service \"" + extending + "\": cannot read " + path);
      Node root = BRICK_TRY_CTX(ctx_.load_file(path), "extending service `" + extending + "`");
      it = files_.emplace(path, std::make_unique<Node>(std::move(root))).first;
    }
    return it->second.get();
  }

  std::string cycle_message(size_t from, const std::string& name, const std::string& file) const {
    auto label = [&](const std::pair<std::string, std::string>& k) {
      return k.first == ctx_.file ? k.second : k.second + " (" + k.first + ")";
    };
    std::string out = "extends cycle: ";
    for (size_t i = from; i < stack_.size(); ++i) out += label(stack_[i]) + " -> ";
    return out + label({file, name});
  }

  const ExtendsContext& ctx_;
  std::vector<std::pair<std::string, std::string>> stack_;
  std::map<std::pair<std::string, std::string>, Node> done_;
  // Stable addresses: resolve() holds references into these documents.
  std::map<std::string, std::unique_ptr<Node>> files_;
};

}  // namespace

Status apply_extends(Node& root, const ExtendsContext& ctx) {
  Node* services = root.find("services");
  if (!services || !services->is_mapping()) return {};
  const Node original = *services;  // bases are read as written, not as merged so far
  Resolver resolver(ctx);
  for (auto& e : services->entries) {
    if (!e.value.find("extends")) continue;
    e.value = BRICK_TRY(resolver.resolve(ctx.file, ctx.base_dir, original, e.key));
  }
  return {};
}

}  // namespace brick::compose
