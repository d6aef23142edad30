// Host device nodes given to a container (docker's --device).
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/strings.hpp"
#include "engine/spec_options.hpp"

namespace brick::engine {

namespace {

bool valid_permissions(std::string_view p) {
  if (p.empty() || p.size() > 3) return false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != 'r' && p[i] != 'w' && p[i] != 'm') return false;
    if (p.find(p[i], i + 1) != std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

Status with_devices(runtime::ContainerSpec& spec, const std::vector<DeviceMapping>& devices) {
  for (const DeviceMapping& d : devices) {
    const std::string what = "device `" + d.source + ":" + d.target + "`";
    if (d.permissions.empty() || d.permissions.find_first_not_of("rwm") != std::string::npos)
      return fail(what + ": permissions must be made of r, w and m, not `" + d.permissions + "`");
    struct stat st {};
    if (::stat(d.source.c_str(), &st) < 0) return fail(Error::from_errno(what + ": " + d.source));
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      return fail(what + ": `" + d.source + "` is not a character or block device");
    runtime::LinuxDevice node;
    node.path = d.target.empty() ? d.source : d.target;
    node.type = S_ISCHR(st.st_mode) ? 'c' : 'b';
    node.major = major(st.st_rdev);
    node.minor = minor(st.st_rdev);
    node.file_mode = st.st_mode & 07777;
    node.uid = st.st_uid;
    node.gid = st.st_gid;
    spec.linux.devices.push_back(node);
    spec.linux.resources.devices.push_back({true, node.type, node.major, node.minor, d.permissions});
  }
  return {};
}

Result<DeviceMapping> parse_device(std::string_view text) {
  // docker's parseLinuxDevice: at most three parts; a second part that is
  // a valid mode is the mode.
  std::vector<std::string> parts = split(text, ':');
  DeviceMapping d;
  if (parts.empty() || parts.size() > 3 || parts[0].empty())
    return fail("invalid device specification: " + std::string(text));
  d.source = parts[0];
  if (parts.size() == 3) d.permissions = parts[2];
  if (parts.size() >= 2) {
    if (parts.size() == 2 && valid_permissions(parts[1]))
      d.permissions = parts[1];
    else
      d.target = parts[1];
  }
  if (d.target.empty()) d.target = d.source;
  if (!d.source.starts_with('/') || !d.target.starts_with('/'))
    return fail("invalid device specification: " + std::string(text) + ": paths must be absolute");
  if (!valid_permissions(d.permissions)) return fail("invalid device mode: " + d.permissions);
  return d;
}

}  // namespace brick::engine
