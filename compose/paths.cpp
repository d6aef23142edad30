#include "compose/paths.hpp"

#include <filesystem>

namespace brick::compose {
namespace {

namespace fs = std::filesystem;

void resolve_scalar(Node& n, const PathBase& base) {
  if (n.is_scalar() && !n.scalar.empty()) n.scalar = absolute_path(base, n.scalar);
}

// Build contexts may name things that are not directories: URLs of git
// repositories or tarballs, `docker-image://`, `service:` (compose-go's
// isRemoteContext plus the "://" rule of absContextPath).
bool is_remote_context(std::string_view s) {
  if (s.find("://") != std::string_view::npos) return true;
  for (std::string_view p : {"github.com/", "git@", "service:"})
    if (s.starts_with(p)) return true;
  return false;
}

void resolve_context(Node& n, const PathBase& base) {
  if (n.is_scalar() && !is_remote_context(n.scalar)) resolve_scalar(n, base);
}

// Short syntax `SRC:DST[:MODE]` names a bind mount only when SRC looks like
// a path; otherwise SRC is a named volume and stays as it is.
void resolve_volume(Node& v, const PathBase& base) {
  if (v.is_scalar()) {
    size_t colon = v.scalar.find(':');
    if (colon == std::string::npos) return;  // anonymous volume
    std::string src = v.scalar.substr(0, colon);
    if (!(src.starts_with('.') || src.starts_with('~'))) return;
    v.scalar = absolute_path(base, src) + v.scalar.substr(colon);
    return;
  }
  if (!v.is_mapping()) return;
  const Node* type = v.find("type");
  if (!type || !type->is_scalar() || type->scalar != "bind") return;
  if (Node* src = v.find("source")) resolve_scalar(*src, base);
}

void resolve_file_list(Node& n, const PathBase& base) {
  if (n.is_scalar()) {
    resolve_scalar(n, base);
    return;
  }
  for (auto& item : n.items) {
    if (item.is_scalar())
      resolve_scalar(item, base);
    else if (Node* p = item.find("path"))
      resolve_scalar(*p, base);
  }
}

}  // namespace

bool is_windows_absolute(std::string_view path) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (path.size() >= 3 && letter(path[0]) && path[1] == ':' && (path[2] == '\\' || path[2] == '/')) return true;
  return path.starts_with("\\\\");
}

std::string absolute_path(const PathBase& base, std::string_view path) {
  if (is_windows_absolute(path)) return std::string(path);
  fs::path p;
  if (base.home && (path == "~" || path.starts_with("~/"))) {
    p = fs::path(*base.home) / std::string(path.substr(path.size() > 1 ? 2 : 1));
  } else if (!path.empty() && path.front() == '/') {
    p = fs::path(std::string(path));
  } else {
    p = fs::path(base.dir) / std::string(path);
  }
  std::string out = p.lexically_normal().string();
  // "dir/." normalizes to "dir/"; compose writes "dir".
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

void resolve_service_paths(Node& service, const PathBase& base) {
  if (!service.is_mapping()) return;
  if (Node* build = service.find("build")) {
    if (build->is_scalar()) {
      resolve_context(*build, base);
    } else if (build->is_mapping()) {
      if (Node* ctx = build->find("context")) resolve_context(*ctx, base);
      if (Node* extra = build->find("additional_contexts")) {
        for (auto& e : extra->entries) resolve_context(e.value, base);
        for (auto& item : extra->items) {  // `name=path` list form
          size_t eq = item.is_scalar() ? item.scalar.find('=') : std::string::npos;
          if (eq == std::string::npos) continue;
          Node value = Node::make_scalar(item.scalar.substr(eq + 1));
          resolve_context(value, base);
          item.scalar = item.scalar.substr(0, eq + 1) + value.scalar;
        }
      }
    }
  }
  if (Node* env_file = service.find("env_file")) resolve_file_list(*env_file, base);
  if (Node* label_file = service.find("label_file")) resolve_file_list(*label_file, base);
  if (Node* volumes = service.find("volumes"); volumes && volumes->is_sequence())
    for (auto& v : volumes->items) resolve_volume(v, base);
  if (Node* extends = service.find("extends"); extends && extends->is_mapping())
    if (Node* file = extends->find("file")) resolve_scalar(*file, base);
  if (Node* develop = service.find("develop"))
    if (Node* watch = develop->find("watch"); watch && watch->is_sequence())
      for (auto& w : watch->items)
        if (Node* p = w.find("path")) resolve_scalar(*p, base);
}

void resolve_project_paths(Node& root, const PathBase& base) {
  if (!root.is_mapping()) return;
  if (Node* services = root.find("services"))
    for (auto& e : services->entries) resolve_service_paths(e.value, base);
  for (const char* kind : {"secrets", "configs"}) {
    Node* objects = root.find(kind);
    if (!objects) continue;
    for (auto& e : objects->entries)
      if (Node* file = e.value.find("file")) resolve_scalar(*file, base);
  }
  if (Node* volumes = root.find("volumes")) {
    for (auto& e : volumes->entries) {
      Node* opts = e.value.find("driver_opts");
      if (!opts) continue;
      const Node* o = opts->find("o");
      Node* device = opts->find("device");
      if (o && o->is_scalar() && o->scalar.find("bind") != std::string::npos && device) resolve_scalar(*device, base);
    }
  }
}

}  // namespace brick::compose
