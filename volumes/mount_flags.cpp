// docker's `-v`, `--mount` and `--tmpfs` syntaxes into MountRequest.
#include <cctype>
#include <charconv>

#include "base/strings.hpp"
#include "volumes/mounts.hpp"

namespace brick::volumes {
namespace {

bool is_propagation(std::string_view w) {
  for (const char* p : {"private", "rprivate", "shared", "rshared", "slave", "rslave"})
    if (w == p) return true;
  return false;
}

Result<bool> parse_bool(std::string_view key, std::string_view value) {
  if (value.empty() || value == "1" || value == "true") return true;
  if (value == "0" || value == "false") return false;
  return fail("`" + std::string(key) + "` takes true or false, not `" + std::string(value) + "`");
}

Result<uint32_t> parse_mode(std::string_view text) {
  uint32_t mode = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || mode > 07777)
    return fail("`" + std::string(text) + "` is not an octal file mode");
  return mode;
}

Status check_target(const MountRequest& r) {
  if (r.target.empty() || r.target[0] != '/')
    return fail("mount target `" + r.target + "` must be an absolute path inside the container");
  return {};
}

// tmpfs options from --tmpfs: size and mode are kept apart (they are the
// fields compose also has); the rest goes to the filesystem as given.
Status take_tmpfs_options(std::string_view opts, MountRequest& r) {
  for (const std::string& word : split(opts, ',')) {
    if (word.empty()) continue;
    if (word.starts_with("size=")) {
      r.tmpfs_size = BRICK_TRY_CTX(parse_size(word.substr(5)), "tmpfs option `" + word + "`");
    } else if (word.starts_with("mode=")) {
      r.tmpfs_mode = BRICK_TRY_CTX(parse_mode(word.substr(5)), "tmpfs option `" + word + "`");
    } else if (word == "ro") {
      r.read_only = true;
    } else if (word == "rw") {
      r.read_only = false;
    } else {
      r.tmpfs_options.push_back(word);
    }
  }
  return {};
}

}  // namespace

Result<uint64_t> parse_size(std::string_view text) {
  std::string_view t = trim(text);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (t.empty() || ec != std::errc()) return fail("`" + std::string(text) + "` is not a size (e.g. 64m, 1g)");
  std::string unit = to_lower(std::string_view(end, t.data() + t.size() - end));
  if (unit.ends_with("ib"))
    unit.erase(unit.size() - 2);
  else if (unit.size() == 2 && unit[1] == 'b')
    unit.erase(1);
  uint64_t scale = 1;
  if (unit.empty() || unit == "b")
    scale = 1;
  else if (unit == "k")
    scale = 1ULL << 10;
  else if (unit == "m")
    scale = 1ULL << 20;
  else if (unit == "g")
    scale = 1ULL << 30;
  else if (unit == "t")
    scale = 1ULL << 40;
  else
    return fail("`" + std::string(text) + "` is not a size (e.g. 64m, 1g)");
  if (n > UINT64_MAX / scale) return fail("size `" + std::string(text) + "` is too large");
  return n * scale;
}

Result<MountRequest> parse_volume_flag(std::string_view spec) {
  std::vector<std::string> parts = split(spec, ':');
  MountRequest r;
  if (parts.size() == 1) {
    r.target = parts[0];  // anonymous volume
  } else if (parts.size() == 2 || parts.size() == 3) {
    r.source = parts[0];
    r.target = parts[1];
    if (r.source.empty()) return fail("`" + std::string(spec) + "`: the source before `:` is empty");
    char c = r.source[0];
    r.kind = (c == '/' || c == '.' || c == '~') ? MountKind::bind : MountKind::volume;
    if (r.kind == MountKind::volume) BRICK_TRY_CTX(validate_name(r.source), "`" + std::string(spec) + "`");
  } else {
    return fail("`" + std::string(spec) + "` is not a volume: expected [SOURCE:]TARGET[:OPTIONS]");
  }
  if (parts.size() == 3) {
    for (const std::string& opt : split(parts[2], ',')) {
      if (opt == "ro" || opt == "readonly")
        r.read_only = true;
      else if (opt == "rw")
        r.read_only = false;
      else if (opt == "z" || opt == "Z")
        r.selinux = opt;
      else if (opt == "nocopy")
        r.nocopy = true;
      else if (opt == "consistent" || opt == "cached" || opt == "delegated")
        continue;  // macOS file-sharing hints; meaningless on Linux, docker ignores them too
      else if (is_propagation(opt))
        r.propagation = opt;
      else
        return fail("`" + std::string(spec) + "`: unknown volume option `" + opt +
                    "` (known: ro, rw, z, Z, nocopy, [r]private, [r]shared, [r]slave)");
    }
    if (r.kind != MountKind::bind && !r.propagation.empty())
      return fail("`" + std::string(spec) + "`: propagation `" + r.propagation + "` applies to bind mounts only");
    if (r.kind == MountKind::bind && r.nocopy)
      return fail("`" + std::string(spec) + "`: `nocopy` applies to volumes, not bind mounts");
  }
  BRICK_TRY_CTX(check_target(r), "`" + std::string(spec) + "`");
  return r;
}

Result<MountRequest> parse_mount_flag(std::string_view spec) {
  MountRequest r;
  r.create_host_path = false;  // --mount never creates a bind source, as docker
  std::string type = "volume";
  std::vector<std::pair<std::string, std::string>> fields;
  for (const std::string& field : split(spec, ',')) {
    if (field.empty()) continue;
    auto eq = field.find('=');
    std::string key = to_lower(trim(field.substr(0, eq)));
    std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
    if (key == "type")
      type = value;
    else
      fields.emplace_back(key, value);
  }
  if (type == "bind")
    r.kind = MountKind::bind;
  else if (type == "volume")
    r.kind = MountKind::volume;
  else if (type == "tmpfs")
    r.kind = MountKind::tmpfs;
  else
    return fail("`--mount " + std::string(spec) + "`: type `" + type + "` is not bind, volume or tmpfs");
  const std::string where = "`--mount " + std::string(spec) + "`";
  auto only = [&](MountKind k, const std::string& key) -> Status {
    if (r.kind != k) return fail(where + ": `" + key + "` does not apply to type " + type);
    return {};
  };
  for (const auto& [key, value] : fields) {
    if (key == "source" || key == "src") {
      r.source = value;
    } else if (key == "target" || key == "destination" || key == "dst") {
      r.target = value;
    } else if (key == "readonly" || key == "ro") {
      r.read_only = BRICK_TRY_CTX(parse_bool(key, value), where);
    } else if (key == "consistency") {
      continue;
    } else if (key == "bind-propagation") {
      BRICK_TRY(only(MountKind::bind, key));
      if (!is_propagation(value)) return fail(where + ": `" + value + "` is not a propagation mode");
      r.propagation = value;
    } else if (key == "bind-recursive") {
      BRICK_TRY(only(MountKind::bind, key));
      if (value == "enabled")
        r.recursive = true;
      else if (value == "disabled")
        r.recursive = false;
      else
        return fail(where + ": bind-recursive `" + value + "` is not supported (enabled or disabled)");
    } else if (key == "bind-nonrecursive") {
      BRICK_TRY(only(MountKind::bind, key));
      r.recursive = !BRICK_TRY_CTX(parse_bool(key, value), where);
    } else if (key == "bind-create-host-path") {
      BRICK_TRY(only(MountKind::bind, key));
      r.create_host_path = BRICK_TRY_CTX(parse_bool(key, value), where);
    } else if (key == "volume-nocopy") {
      BRICK_TRY(only(MountKind::volume, key));
      r.nocopy = BRICK_TRY_CTX(parse_bool(key, value), where);
    } else if (key == "volume-subpath") {
      BRICK_TRY(only(MountKind::volume, key));
      r.subpath = value;
    } else if (key == "volume-driver") {
      BRICK_TRY(only(MountKind::volume, key));
      if (value != "local") return fail(where + ": volume driver `" + value + "` is not supported (only local)");
    } else if (key == "volume-opt" || key == "volume-label") {
      BRICK_TRY(only(MountKind::volume, key));
      auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0) return fail(where + ": `" + key + "` takes KEY=VALUE");
      (key == "volume-opt" ? r.volume_opts : r.volume_labels)[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (key == "tmpfs-size") {
      BRICK_TRY(only(MountKind::tmpfs, key));
      r.tmpfs_size = BRICK_TRY_CTX(parse_size(value), where);
    } else if (key == "tmpfs-mode") {
      BRICK_TRY(only(MountKind::tmpfs, key));
      r.tmpfs_mode = BRICK_TRY_CTX(parse_mode(value), where);
    } else {
      return fail(where + ": unknown key `" + key + "`");
    }
  }
  if (r.kind == MountKind::bind && r.source.empty()) return fail(where + ": a bind needs a source");
  if (r.kind == MountKind::tmpfs && !r.source.empty()) return fail(where + ": a tmpfs takes no source");
  if (r.kind == MountKind::volume && !r.source.empty()) BRICK_TRY_CTX(validate_name(r.source), where);
  BRICK_TRY_CTX(check_target(r), where);
  return r;
}

Result<MountRequest> parse_tmpfs_flag(std::string_view spec) {
  MountRequest r;
  r.kind = MountKind::tmpfs;
  auto colon = spec.find(':');
  r.target = std::string(spec.substr(0, colon));
  if (colon != std::string_view::npos)
    BRICK_TRY_CTX(take_tmpfs_options(spec.substr(colon + 1), r), "`--tmpfs " + std::string(spec) + "`");
  BRICK_TRY_CTX(check_target(r), "`--tmpfs " + std::string(spec) + "`");
  return r;
}

}  // namespace brick::volumes
