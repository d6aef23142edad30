#include "gpu/cdi.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file.hpp"

namespace brick::gpu {

using nlohmann::json;

namespace {

// Versions the spec has published; a newer one may carry fields we would
// silently drop, so it is refused rather than half-applied.
const std::set<std::string> kVersions = {"0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0"};

// YAML 1.1/1.2 plain scalars as JSON values: booleans, null and integers
// (with 0o/0x/leading-0 octal, as fileMode is often written) keep their type.
json scalar_to_json(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted: always a string
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  std::string_view v = s;
  bool negative = false;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) negative = v[0] == '-', v.remove_prefix(1);
  int base = 10;
  if (v.starts_with("0x") || v.starts_with("0X"))
    base = 16, v.remove_prefix(2);
  else if (v.starts_with("0o"))
    base = 8, v.remove_prefix(2);
  else if (v.size() > 1 && v[0] == '0')
    base = 8, v.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value, base);
  if (!v.empty() && ec == std::errc() && end == v.data() + v.size()) return negative ? -value : value;
  return s;
}

json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Scalar: return scalar_to_json(n);
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : n) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (auto it = n.begin(); it != n.end(); ++it) out[it->first.as<std::string>()] = yaml_to_json(it->second);
      return out;
    }
  }
  return nullptr;
}

// Walks one document, each step naming where it is, so every error reads
// ``CDI spec `FILE`: devices[2].containerEdits.mounts[0]: ...``.
class Reader {
 public:
  explicit Reader(const std::string& file) : file_(file) {}

  std::unexpected<Error> error(const std::string& where, const std::string& what) const {
    return fail("CDI spec `" + file_ + "`: " + (where.empty() ? "" : where + ": ") + what);
  }

  // Refuses any key not in `known`: a misspelt field would otherwise be an
  // edit silently not made.
  Status object(const json& j, const std::string& where, std::initializer_list<std::string_view> known) const {
    if (!j.is_object()) return error(where, "expected a mapping, got " + std::string(j.type_name()));
    for (const auto& [key, value] : j.items())
      if (std::find(known.begin(), known.end(), key) == known.end()) return error(where, "unknown field `" + key + "`");
    return {};
  }

  Result<std::string> string(const json& j, const std::string& where, std::string_view key, bool required) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) return error(where, "missing required field `" + std::string(key) + "`");
      return std::string();
    }
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return std::to_string(it->get<int64_t>());  // YAML `name: 0`
    return error(join(where, key), "expected a string, got " + std::string(it->type_name()));
  }

  Result<std::optional<int64_t>> integer(const json& j, const std::string& where, std::string_view key) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::optional<int64_t>();
    if (!it->is_number_integer())
      return error(join(where, key), "expected an integer, got " + std::string(it->type_name()));
    return std::optional<int64_t>(it->get<int64_t>());
  }

  Result<std::vector<std::string>> strings(const json& j, const std::string& where, std::string_view key) const {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_array()) return error(join(where, key), "expected a list, got " + std::string(it->type_name()));
    for (size_t i = 0; i < it->size(); ++i) {
      const json& item = (*it)[i];
      if (!item.is_string())
        return error(join(where, key) + "[" + std::to_string(i) + "]",
                     "expected a string, got " + std::string(item.type_name()));
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  static std::string join(const std::string& where, std::string_view key) {
    return where.empty() ? std::string(key) : where + "." + std::string(key);
  }

  Result<ContainerEdits> edits(const json& j, const std::string& where) const {
    ContainerEdits out;
    BRICK_TRY(object(j, where, {"env", "deviceNodes", "mounts", "hooks", "additionalGIDs", "intelRdt"}));
    if (j.contains("intelRdt") && !j["intelRdt"].is_null())
      return error(join(where, "intelRdt"), "Intel RDT edits are not supported by brick");
    out.env = BRICK_TRY(strings(j, where, "env"));
    for (const std::string& e : out.env)
      if (e.find('=') == std::string::npos || e.front() == '=')
        return error(join(where, "env"), "`" + e + "` is not KEY=VALUE");
    auto list = [&](std::string_view key) -> Result<json> {
      auto it = j.find(key);
      if (it == j.end() || it->is_null()) return json::array();
      if (!it->is_array()) return error(join(where, key), "expected a list, got " + std::string(it->type_name()));
      return *it;
    };
    json nodes = BRICK_TRY(list("deviceNodes"));
    for (size_t i = 0; i < nodes.size(); ++i) {
      const std::string at = join(where, "deviceNodes") + "[" + std::to_string(i) + "]";
      const json& n = nodes[i];
      BRICK_TRY(object(n, at, {"path", "hostPath", "type", "major", "minor", "fileMode", "permissions", "uid", "gid"}));
      DeviceNode node;
      node.path = BRICK_TRY(string(n, at, "path", true));
      if (node.path.empty() || node.path[0] != '/') return error(at, "path `" + node.path + "` is not absolute");
      node.host_path = BRICK_TRY(string(n, at, "hostPath", false));
      std::string type = BRICK_TRY(string(n, at, "type", false));
      if (type.empty()) type = "c";
      if (type != "c" && type != "b" && type != "u" && type != "p")
        return error(at, "device type `" + type + "` is not one of b, c, u, p");
      node.type = type == "u" ? 'c' : type[0];
      auto major = BRICK_TRY(integer(n, at, "major"));
      auto minor = BRICK_TRY(integer(n, at, "minor"));
      node.major = major.value_or(-1);
      node.minor = minor.value_or(-1);
      auto mode = BRICK_TRY(integer(n, at, "fileMode"));
      if (mode) node.file_mode = static_cast<uint32_t>(*mode);
      std::string permissions = BRICK_TRY(string(n, at, "permissions", false));
      if (!permissions.empty()) {
        if (permissions.find_first_not_of("rwm") != std::string::npos)
          return error(at, "permissions `" + permissions + "` are not a combination of r, w and m");
        node.permissions = permissions;
      }
      auto uid = BRICK_TRY(integer(n, at, "uid"));
      auto gid = BRICK_TRY(integer(n, at, "gid"));
      if (uid) node.uid = static_cast<uint32_t>(*uid);
      if (gid) node.gid = static_cast<uint32_t>(*gid);
      out.device_nodes.push_back(std::move(node));
    }
    json mounts = BRICK_TRY(list("mounts"));
    for (size_t i = 0; i < mounts.size(); ++i) {
      const std::string at = join(where, "mounts") + "[" + std::to_string(i) + "]";
      const json& m = mounts[i];
      BRICK_TRY(object(m, at, {"hostPath", "containerPath", "type", "options"}));
      MountEdit mount;
      mount.host_path = BRICK_TRY(string(m, at, "hostPath", true));
      mount.container_path = BRICK_TRY(string(m, at, "containerPath", true));
      if (mount.container_path.empty() || mount.container_path[0] != '/')
        return error(at, "containerPath `" + mount.container_path + "` is not absolute");
      mount.type = BRICK_TRY(string(m, at, "type", false));
      mount.options = BRICK_TRY(strings(m, at, "options"));
      out.mounts.push_back(std::move(mount));
    }
    json hooks = BRICK_TRY(list("hooks"));
    for (size_t i = 0; i < hooks.size(); ++i) {
      const std::string at = join(where, "hooks") + "[" + std::to_string(i) + "]";
      const json& h = hooks[i];
      BRICK_TRY(object(h, at, {"hookName", "path", "args", "env", "timeout"}));
      Hook hook;
      hook.hook_name = BRICK_TRY(string(h, at, "hookName", true));
      static const std::set<std::string> kHooks = {"prestart",       "createRuntime", "createContainer",
                                                   "startContainer", "poststart",     "poststop"};
      if (!kHooks.contains(hook.hook_name)) return error(at, "unknown hookName `" + hook.hook_name + "`");
      hook.path = BRICK_TRY(string(h, at, "path", true));
      hook.args = BRICK_TRY(strings(h, at, "args"));
      hook.env = BRICK_TRY(strings(h, at, "env"));
      auto timeout = BRICK_TRY(integer(h, at, "timeout"));
      if (timeout) hook.timeout = static_cast<int>(*timeout);
      out.hooks.push_back(std::move(hook));
    }
    if (auto it = j.find("additionalGIDs"); it != j.end() && !it->is_null()) {
      if (!it->is_array()) return error(join(where, "additionalGIDs"), "expected a list");
      for (const json& g : *it) {
        if (!g.is_number_unsigned() && !(g.is_number_integer() && g.get<int64_t>() >= 0))
          return error(join(where, "additionalGIDs"), "expected non-negative integers");
        out.additional_gids.push_back(g.get<uint32_t>());
      }
    }
    return out;
  }

 private:
  const std::string& file_;
};

bool valid_name_char(char c, bool first) {
  bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '_' || c == '.' || c == '-' || c == ':'));
}

// vendor: a DNS-like name ("nvidia.com"); class: [A-Za-z0-9][A-Za-z0-9_.-]*.
bool valid_kind(std::string_view kind) {
  size_t slash = kind.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == kind.size()) return false;
  std::string_view vendor = kind.substr(0, slash), cls = kind.substr(slash + 1);
  for (size_t i = 0; i < vendor.size(); ++i)
    if (!valid_name_char(vendor[i], i == 0) || vendor[i] == ':') return false;
  for (size_t i = 0; i < cls.size(); ++i)
    if (!valid_name_char(cls[i], i == 0) || cls[i] == ':') return false;
  return true;
}

bool valid_device_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!valid_name_char(name[i], i == 0)) return false;
  return true;
}

Result<std::vector<std::string>> spec_files(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return out;
    return fail_errno("reading CDI directory `" + dir + "`");
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml"))
      out.push_back(dir + "/" + std::string(name));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string under_root(const std::string& root, std::string_view path) {
  if (root.empty() || root == "/") return std::string(path);
  std::string out = root;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (!path.starts_with('/')) out += '/';
  out += path;
  return out;
}

bool is_cdi_name(std::string_view name) {
  size_t eq = name.find('=');
  return eq != std::string_view::npos && valid_kind(name.substr(0, eq)) && valid_device_name(name.substr(eq + 1));
}

Result<CdiSpec> parse_cdi_spec(std::string_view text, const std::string& file) {
  Reader r(file);
  json doc;
  const bool looks_json =
      text.find_first_not_of(" \t\r\n") != std::string_view::npos && text[text.find_first_not_of(" \t\r\n")] == '{';
  try {
    if (looks_json)
      doc = json::parse(text);
    else
      doc = yaml_to_json(YAML::Load(std::string(text)));
  } catch (const json::exception& e) {
    return r.error("", std::string("not valid JSON: ") + e.what());
  } catch (const YAML::Exception& e) {
    return r.error("", "not valid YAML: line " + std::to_string(e.mark.line + 1) + ", column " +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  BRICK_TRY(r.object(doc, "", {"cdiVersion", "kind", "annotations", "devices", "containerEdits"}));
  CdiSpec spec;
  spec.file = file;
  spec.cdi_version = BRICK_TRY(r.string(doc, "", "cdiVersion", true));
  if (!kVersions.contains(spec.cdi_version))
    return r.error("cdiVersion", "unsupported version `" + spec.cdi_version + "` (brick reads 0.3.0 to 0.8.0)");
  spec.kind = BRICK_TRY(r.string(doc, "", "kind", true));
  if (!valid_kind(spec.kind)) return r.error("kind", "`" + spec.kind + "` is not of the form vendor.com/class");
  if (auto it = doc.find("annotations"); it != doc.end() && !it->is_null() && !it->is_object())
    return r.error("annotations", "expected a mapping");
  if (auto it = doc.find("containerEdits"); it != doc.end() && !it->is_null())
    spec.edits = BRICK_TRY(r.edits(*it, "containerEdits"));
  auto devices = doc.find("devices");
  if (devices == doc.end() || devices->is_null()) return r.error("", "missing required field `devices`");
  if (!devices->is_array()) return r.error("devices", "expected a list");
  if (devices->empty()) return r.error("devices", "a spec must define at least one device");
  std::set<std::string> names;
  for (size_t i = 0; i < devices->size(); ++i) {
    const std::string at = "devices[" + std::to_string(i) + "]";
    const json& d = (*devices)[i];
    BRICK_TRY(r.object(d, at, {"name", "annotations", "containerEdits"}));
    CdiDevice device;
    device.name = BRICK_TRY(r.string(d, at, "name", true));
    if (!valid_device_name(device.name)) return r.error(at, "`" + device.name + "` is not a valid device name");
    if (!names.insert(device.name).second) return r.error(at, "device `" + device.name + "` is defined twice");
    auto edits = d.find("containerEdits");
    if (edits == d.end() || edits->is_null()) return r.error(at, "missing required field `containerEdits`");
    device.edits = BRICK_TRY(r.edits(*edits, at + ".containerEdits"));
    if (device.edits.empty()) return r.error(at + ".containerEdits", "a device needs at least one edit");
    spec.devices.push_back(std::move(device));
  }
  return spec;
}

Result<CdiRegistry> CdiRegistry::load(const std::string& host_root) {
  return load_dirs({under_root(host_root, "/etc/cdi"), under_root(host_root, "/var/run/cdi")}, host_root);
}

Result<CdiRegistry> CdiRegistry::load_dirs(const std::vector<std::string>& dirs, const std::string& host_root) {
  CdiRegistry reg;
  reg.host_root_ = host_root;
  std::map<std::string, size_t> by_name;  // qualified -> index into entries_
  for (size_t priority = 0; priority < dirs.size(); ++priority) {
    std::vector<std::string> files = BRICK_TRY(spec_files(dirs[priority]));
    for (const std::string& file : files) {
      std::string text = BRICK_TRY_CTX(read_file(file), "loading CDI specs");
      CdiSpec spec = BRICK_TRY(parse_cdi_spec(text, file));
      const size_t index = reg.specs_.size();
      for (size_t d = 0; d < spec.devices.size(); ++d) {
        Entry entry{spec.kind + "=" + spec.devices[d].name, index, d, priority};
        auto it = by_name.find(entry.qualified);
        if (it == by_name.end()) {
          by_name[entry.qualified] = reg.entries_.size();
          reg.entries_.push_back(std::move(entry));
          continue;
        }
        Entry& old = reg.entries_[it->second];
        if (old.priority == priority)
          return fail("CDI device `" + entry.qualified + "` is defined in both `" + reg.specs_[old.spec].file +
                      "` and `" + file + "`");
        old = std::move(entry);  // a later directory overrides
      }
      reg.specs_.push_back(std::move(spec));
    }
  }
  std::sort(reg.entries_.begin(), reg.entries_.end(),
            [](const Entry& a, const Entry& b) { return a.qualified < b.qualified; });
  return reg;
}

std::vector<std::string> CdiRegistry::device_names() const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) out.push_back(e.qualified);
  return out;
}

Result<ContainerEdits> CdiRegistry::resolve(const std::vector<std::string>& names) const {
  std::vector<const Entry*> chosen;
  for (const std::string& name : names) {
    if (!is_cdi_name(name)) return fail("`" + name + "` is not a CDI device name (vendor.com/class=name)");
    auto exact = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.qualified == name; });
    if (exact != entries_.end()) {
      chosen.push_back(&*exact);
      continue;
    }
    const std::string kind = name.substr(0, name.find('='));
    if (name.substr(name.find('=') + 1) == "all") {
      size_t before = chosen.size();
      for (const Entry& e : entries_)
        if (e.qualified.compare(0, kind.size() + 1, kind + "=") == 0) chosen.push_back(&e);
      if (chosen.size() > before) continue;
    }
    std::string known;
    for (const Entry& e : entries_)
      if (e.qualified.starts_with(kind + "=")) known += (known.empty() ? "" : ", ") + e.qualified;
    return fail("unresolvable CDI device `" + name + "`" +
                (known.empty() ? " (no CDI spec defines kind `" + kind + "`)" : " (known: " + known + ")"));
  }
  ContainerEdits out;
  std::set<size_t> specs_done;
  for (const Entry* e : chosen) {
    const CdiSpec& spec = specs_[e->spec];
    if (specs_done.insert(e->spec).second) out.append(spec.edits);
    out.append(spec.devices[e->device].edits);
  }
  // Host paths are host paths: under BRICK_HOST_ROOT they lie in the fake tree.
  for (DeviceNode& node : out.device_nodes) {
    node.host_path = under_root(host_root_, node.host_path.empty() ? node.path : node.host_path);
    if (node.type == 'p' || (node.major >= 0 && node.minor >= 0)) continue;
    struct stat st {};
    if (::stat(node.host_path.c_str(), &st) < 0)
      return fail_errno("CDI device node `" + node.path + "`: reading major/minor of `" + node.host_path + "`");
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      return fail("CDI device node `" + node.path + "`: `" + node.host_path + "` is not a device");
    node.type = S_ISBLK(st.st_mode) ? 'b' : 'c';
    node.major = major(st.st_rdev);
    node.minor = minor(st.st_rdev);
  }
  for (MountEdit& m : out.mounts) m.host_path = under_root(host_root_, m.host_path);
  // A startContainer hook's path resolves in the container; the others' on the host.
  for (Hook& h : out.hooks)
    if (h.hook_name != "startContainer") h.path = under_root(host_root_, h.path);
  return out;
}

}  // namespace brick::gpu
