#include "volumes/container_mounts.hpp"

#include <nlohmann/json.hpp>

namespace brick::volumes {
namespace {

using nlohmann::json;

std::string_view kind_name(MountKind kind) {
  switch (kind) {
    case MountKind::bind: return "bind";
    case MountKind::volume: return "volume";
    case MountKind::tmpfs: return "tmpfs";
  }
  return "?";
}

Result<MountKind> parse_kind(const std::string& text) {
  if (text == "bind") return MountKind::bind;
  if (text == "volume") return MountKind::volume;
  if (text == "tmpfs") return MountKind::tmpfs;
  return fail("unknown mount kind `" + text + "`");
}

json mount_json(const MountRequest& m) {
  json j = {{"kind", kind_name(m.kind)},
            {"source", m.source},
            {"target", m.target},
            {"read_only", m.read_only},
            {"propagation", m.propagation},
            {"create_host_path", m.create_host_path},
            {"recursive", m.recursive},
            {"selinux", m.selinux},
            {"nocopy", m.nocopy},
            {"subpath", m.subpath},
            {"volume_opts", m.volume_opts},
            {"volume_labels", m.volume_labels},
            {"tmpfs_options", m.tmpfs_options}};
  if (m.tmpfs_size) j["tmpfs_size"] = *m.tmpfs_size;
  if (m.tmpfs_mode) j["tmpfs_mode"] = *m.tmpfs_mode;
  return j;
}

json file_json(const FileMountRequest& f) {
  json j = {{"name", f.name}, {"target", f.target}};
  if (f.file) j["file"] = *f.file;
  if (f.content) j["content"] = *f.content;
  if (f.uid) j["uid"] = *f.uid;
  if (f.gid) j["gid"] = *f.gid;
  if (f.mode) j["mode"] = *f.mode;
  return j;
}

// nlohmann's get<> throws on a wrong type; the record is data from disk, so
// that is an error naming the field, not a crash.
template <typename T>
Status get(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  try {
    out = it->template get<T>();
  } catch (const json::exception&) {
    return fail(std::string("`") + key + "` has the wrong type");
  }
  return {};
}

template <typename T>
Status get(const json& j, const char* key, std::optional<T>& out) {
  if (!j.contains(key) || j[key].is_null()) return {};
  T value{};
  BRICK_TRY(get(j, key, value));
  out = value;
  return {};
}

Result<MountRequest> mount_from_json(const json& j) {
  if (!j.is_object()) return fail("not an object");
  MountRequest m;
  std::string kind = "volume";
  BRICK_TRY(get(j, "kind", kind));
  m.kind = BRICK_TRY(parse_kind(kind));
  BRICK_TRY(get(j, "source", m.source));
  BRICK_TRY(get(j, "target", m.target));
  BRICK_TRY(get(j, "read_only", m.read_only));
  BRICK_TRY(get(j, "propagation", m.propagation));
  BRICK_TRY(get(j, "create_host_path", m.create_host_path));
  BRICK_TRY(get(j, "recursive", m.recursive));
  BRICK_TRY(get(j, "selinux", m.selinux));
  BRICK_TRY(get(j, "nocopy", m.nocopy));
  BRICK_TRY(get(j, "subpath", m.subpath));
  BRICK_TRY(get(j, "volume_opts", m.volume_opts));
  BRICK_TRY(get(j, "volume_labels", m.volume_labels));
  BRICK_TRY(get(j, "tmpfs_options", m.tmpfs_options));
  BRICK_TRY(get(j, "tmpfs_size", m.tmpfs_size));
  BRICK_TRY(get(j, "tmpfs_mode", m.tmpfs_mode));
  return m;
}

Result<FileMountRequest> file_from_json(const json& j) {
  if (!j.is_object()) return fail("not an object");
  FileMountRequest f;
  BRICK_TRY(get(j, "name", f.name));
  BRICK_TRY(get(j, "target", f.target));
  BRICK_TRY(get(j, "file", f.file));
  BRICK_TRY(get(j, "content", f.content));
  BRICK_TRY(get(j, "uid", f.uid));
  BRICK_TRY(get(j, "gid", f.gid));
  BRICK_TRY(get(j, "mode", f.mode));
  return f;
}

Result<std::vector<FileMountRequest>> files_from_json(const json& j, const char* key) {
  std::vector<FileMountRequest> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_array()) return fail(std::string("`") + key + "` is not an array");
  for (size_t i = 0; i < j[key].size(); ++i)
    out.push_back(BRICK_TRY_CTX(file_from_json(j[key][i]), std::string(key) + "[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace

nlohmann::json to_json(const ContainerMounts& c) {
  json mounts = json::array(), secrets = json::array(), configs = json::array();
  for (const auto& m : c.mounts) mounts.push_back(mount_json(m));
  for (const auto& f : c.secrets) secrets.push_back(file_json(f));
  for (const auto& f : c.configs) configs.push_back(file_json(f));
  json declared = json::object();
  for (const auto& [name, d] : c.declared)
    declared[name] = {{"external", d.external}, {"driver_opts", d.driver_opts}, {"labels", d.labels}};
  return {{"mounts", mounts},   {"declared", declared},   {"secrets", secrets},
          {"configs", configs}, {"base_dir", c.base_dir}, {"labels", c.labels}};
}

Result<ContainerMounts> container_mounts_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail("mounts record: not an object");
  ContainerMounts c;
  if (j.contains("mounts")) {
    if (!j["mounts"].is_array()) return fail("mounts record: `mounts` is not an array");
    for (size_t i = 0; i < j["mounts"].size(); ++i)
      c.mounts.push_back(
          BRICK_TRY_CTX(mount_from_json(j["mounts"][i]), "mounts record: mounts[" + std::to_string(i) + "]"));
  }
  if (j.contains("declared")) {
    if (!j["declared"].is_object()) return fail("mounts record: `declared` is not an object");
    for (const auto& [name, d] : j["declared"].items()) {
      VolumeDecl decl;
      std::string where = "mounts record: declared `" + name + "`";
      if (!d.is_object()) return fail(where + ": not an object");
      BRICK_TRY_CTX(get(d, "external", decl.external), where);
      BRICK_TRY_CTX(get(d, "driver_opts", decl.driver_opts), where);
      BRICK_TRY_CTX(get(d, "labels", decl.labels), where);
      c.declared.emplace(name, std::move(decl));
    }
  }
  c.secrets = BRICK_TRY_CTX(files_from_json(j, "secrets"), "mounts record");
  c.configs = BRICK_TRY_CTX(files_from_json(j, "configs"), "mounts record");
  BRICK_TRY_CTX(get(j, "base_dir", c.base_dir), "mounts record");
  BRICK_TRY_CTX(get(j, "labels", c.labels), "mounts record");
  return c;
}

}  // namespace brick::volumes
