// Names, local-driver options and the inspect form of a volume.
#include <sys/stat.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "volumes/volume_store.hpp"

namespace brick::volumes {
namespace {

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

nlohmann::json map_or_null(const Options& m) {
  if (m.empty()) return nullptr;  // docker prints null, not {}
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

}  // namespace

Status validate_name(const std::string& name) {
  bool ok = name.size() >= 2 && name.size() <= 255 && alnum(name[0]);
  for (char c : name) ok = ok && (alnum(c) || c == '_' || c == '.' || c == '-');
  if (!ok)
    return fail("invalid volume name `" + name +
                "`: use at least two characters from [a-zA-Z0-9_.-], starting with a letter or digit");
  return {};
}

Status validate_local_options(const Options& opts) {
  for (const auto& [key, value] : opts)
    if (key != "type" && key != "device" && key != "o")
      return fail("unknown option `" + key + "` for the `local` driver: it takes `type`, `device` and `o`");
  auto get = [&](const char* key) {
    auto it = opts.find(key);
    return it == opts.end() ? std::string() : it->second;
  };
  std::string type = get("type"), device = get("device"), o = get("o");
  if (type.empty()) {
    if (!device.empty() || !o.empty()) return fail("option `device` or `o` needs `type` too (e.g. -o type=none)");
    return {};
  }
  if (type == "tmpfs") return {};
  if (type == "none") {
    bool bind = false;
    for (const auto& part : split(o, ',')) bind = bind || part == "bind" || part == "rbind";
    if (!bind) return fail("`type=none` needs `o=bind` (a bind mount of `device`)");
    if (device.empty() || device[0] != '/')
      return fail("`type=none,o=bind` needs `device` to be an absolute path, not `" + device + "`");
    struct stat st {};
    if (::stat(device.c_str(), &st) != 0)
      return fail(Error::from_errno("bind device `" + device + "` must exist; create it first"));
    return {};
  }
  if (device.empty()) return fail("`type=" + type + "` needs a `device` to mount");
  return {};
}

std::string to_inspect_json(const Volume& v) {
  nlohmann::json j = {{"CreatedAt", v.created_at},
                      {"Driver", v.driver},
                      {"Labels", map_or_null(v.labels)},
                      {"Mountpoint", v.mountpoint},
                      {"Name", v.name},
                      {"Options", map_or_null(v.driver_opts)},
                      {"Scope", "local"}};
  return j.dump();
}

}  // namespace brick::volumes
