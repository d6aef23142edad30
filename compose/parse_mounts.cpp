// ports: and volumes: of a service, short syntax (through units.hpp) or long.
#include <set>

#include "base/strings.hpp"
#include "compose/parse_parts.hpp"
#include "compose/units.hpp"

namespace brick::compose {

namespace {

// A number in a short port spec that no port can have: said plainly, since
// "70000:80" is a typo of a number, not of the syntax.
std::optional<std::string> out_of_range_port(const std::string& spec) {
  std::string s = spec.substr(0, spec.find('/'));
  size_t bracket = s.rfind(']');
  if (bracket != std::string::npos) s = s.substr(bracket + 1);
  std::vector<std::string> parts = split(s, ':');
  // Only the host and container parts: a bare IPv4 host_ip has no colons.
  size_t first = parts.size() > 2 ? parts.size() - 2 : 0;
  for (size_t i = first; i < parts.size(); ++i)
    for (const std::string& n : split(parts[i], '-')) {
      if (n.empty() || n.size() > 18 || n.find_first_not_of("0123456789") != std::string::npos) continue;
      if (std::stoull(n) > 65535) return n;
    }
  return std::nullopt;
}

}  // namespace

bool ports_need_interpolation(const Node& node) {
  if (!node.is_sequence()) return false;
  for (const Node& item : node.items)
    if (item.is_scalar() && item.scalar.find('$') != std::string::npos &&
        (out_of_range_port(item.scalar) || !parse_port_short(item.scalar)))
      return true;
  return false;
}

std::vector<PortConfig> parse_ports(const Node& node, const std::string& path, Reader& r) {
  std::vector<PortConfig> out;
  if (node.is_null() || !r.expect_sequence(node, path)) return out;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    std::string p = index_path(path, i);
    if (item.is_scalar()) {
      if (auto big = out_of_range_port(item.scalar)) {
        r.error(item.mark, p, "`" + item.scalar + "`: port " + *big + " is out of range (1-65535)");
        continue;
      }
      auto ports = parse_port_short(item.scalar);
      if (!ports) {
        r.error(item.mark, p, "`" + item.scalar + "` is not a port");
        continue;
      }
      for (PortConfig& pc : *ports) {
        pc.mark = item.mark;
        out.push_back(std::move(pc));
      }
      continue;
    }
    PortConfig pc;
    pc.mark = item.mark;
    bool has_target = false;
    r.dispatch(item, p,
               {
                   {"target",
                    [&](const Node& v, const std::string& vp) {
                      auto t = r.uinteger(v, vp);
                      if (t && (*t == 0 || *t > 65535))
                        r.error(v.mark, vp, "port " + std::to_string(*t) + " is out of range (1-65535)");
                      else if (t)
                        pc.target = static_cast<uint16_t>(*t), has_target = true;
                    }},
                   {"published",
                    [&](const Node& v, const std::string& vp) {
                      pc.published = r.str(v, vp);
                      if (pc.published && pc.published->empty()) pc.published.reset();
                    }},
                   {"host_ip", [&](const Node& v, const std::string& vp) { pc.host_ip = r.str(v, vp); }},
                   {"protocol",
                    [&](const Node& v, const std::string& vp) {
                      auto proto = r.str(v, vp);
                      if (!proto) return;
                      pc.protocol = to_lower(*proto);
                      if (pc.protocol != "tcp" && pc.protocol != "udp" && pc.protocol != "sctp")
                        r.error(v.mark, vp, "`" + *proto + "` is not a protocol (tcp, udp, sctp)");
                    }},
                   {"mode",
                    [&](const Node& v, const std::string& vp) {
                      pc.mode = r.str(v, vp).value_or("ingress");
                      if (pc.mode != "ingress" && pc.mode != "host")
                        r.error(v.mark, vp, "`" + pc.mode + "` is not a port mode (ingress, host)");
                    }},
                   {"name", [&](const Node& v, const std::string& vp) { pc.name = r.str(v, vp); }},
                   {"app_protocol", [&](const Node& v, const std::string& vp) { pc.app_protocol = r.str(v, vp); }},
               });
    if (!item.is_mapping()) continue;
    if (!has_target && !item.find("target")) r.error(item.mark, p, "a port needs a `target`");
    out.push_back(std::move(pc));
  }
  return out;
}

namespace {

ServiceVolume parse_volume_long(const Node& item, const std::string& p, Reader& r) {
  ServiceVolume vol;
  vol.mark = item.mark;
  auto sub = [&](const std::string& name, std::vector<Field> fields) {
    return Field{name, [&r, name, fields = std::move(fields), &vol](const Node& v, const std::string& vp) {
                   if (!v.is_null()) r.dispatch(v, vp, fields);
                   if (!vol.type.empty() && vol.type != name)
                     r.error(v.mark, vp, "`" + name + "` options do not apply to a `" + vol.type + "` mount");
                 }};
  };
  r.dispatch(
      item, p,
      {
          {"type",
           [&](const Node& v, const std::string& vp) {
             vol.type = r.str(v, vp).value_or("");
             static const std::set<std::string> types = {"bind", "volume", "tmpfs", "npipe", "cluster", "image"};
             if (!types.count(vol.type))
               r.error(v.mark, vp,
                       "`" + vol.type + "` is not a mount type (bind, volume, tmpfs, image, npipe, cluster)");
           }},
          {"source",
           [&](const Node& v, const std::string& vp) {
             vol.source = r.str(v, vp);
             if (vol.source && vol.source->empty()) vol.source.reset();
           }},
          {"target", [&](const Node& v, const std::string& vp) { vol.target = r.str(v, vp).value_or(""); }},
          {"read_only",
           [&](const Node& v, const std::string& vp) { vol.read_only = r.boolean(v, vp).value_or(false); }},
          {"consistency", [&](const Node& v, const std::string& vp) { vol.consistency = r.str(v, vp); }},
          sub("bind",
              {
                  {"propagation", [&](const Node& v, const std::string& vp) { vol.bind_propagation = r.str(v, vp); }},
                  {"create_host_path",
                   [&](const Node& v, const std::string& vp) { vol.bind_create_host_path = r.boolean(v, vp); }},
                  {"selinux",
                   [&](const Node& v, const std::string& vp) {
                     vol.bind_selinux = r.str(v, vp);
                     if (vol.bind_selinux && *vol.bind_selinux != "z" && *vol.bind_selinux != "Z")
                       r.error(v.mark, vp, "`selinux` is `z` (shared) or `Z` (private)");
                   }},
              }),
          sub("volume",
              {
                  {"nocopy", [&](const Node& v, const std::string& vp) { vol.volume_nocopy = r.boolean(v, vp); }},
                  {"subpath", [&](const Node& v, const std::string& vp) { vol.volume_subpath = r.str(v, vp); }},
                  {"labels",
                   [&](const Node& v, const std::string& vp) {
                     r.warning(v.mark, vp, "volume labels on a service mount are ignored by brick");
                   }},
              }),
          sub("tmpfs",
              {
                  {"size", [&](const Node& v, const std::string& vp) { vol.tmpfs_size = r.bytes(v, vp); }},
                  {"mode", [&](const Node& v, const std::string& vp) { vol.tmpfs_mode = r.file_mode(v, vp); }},
              }),
          sub("image", {{"subpath", [&](const Node& v, const std::string& vp) { vol.volume_subpath = r.str(v, vp); }}}),
      });
  // compose-go's defaultVolumeBind: a `bind:` mapping that does not say
  // otherwise creates a missing host path, as the short syntax does.
  if (const Node* bind = item.find("bind"); bind && bind->is_mapping() && !bind->find("create_host_path"))
    vol.bind_create_host_path = true;
  if (item.is_mapping()) {
    if (!item.find("type")) r.error(item.mark, p, "a volume needs a `type` (bind, volume, tmpfs, ...)");
    if (vol.target.empty()) r.error(item.mark, p, "a volume needs a `target`");
    if (vol.type == "bind" && !vol.source) r.error(item.mark, p, "a bind mount needs a `source`");
  }
  return vol;
}

}  // namespace

std::vector<ServiceVolume> parse_volumes(const Node& node, const std::string& path, const ParseContext& ctx,
                                         Reader& r) {
  std::vector<ServiceVolume> out;
  if (node.is_null() || !r.expect_sequence(node, path)) return out;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    std::string p = index_path(path, i);
    ServiceVolume vol;
    if (item.is_scalar()) {
      auto parsed = parse_volume_short(item.scalar);
      if (!parsed) {
        r.error(item.mark, p, "`" + item.scalar + "` is not a volume: " + parsed.error().message());
        continue;
      }
      vol = std::move(*parsed);
      vol.mark = item.mark;
    } else {
      if (!item.is_mapping()) {
        r.error(item.mark, p, "expected a volume string or mapping, got a " + std::string(item.kind_name()));
        continue;
      }
      vol = parse_volume_long(item, p, r);
    }
    if (vol.type == "bind" && vol.source) vol.source = resolve_host_path(*vol.source, ctx);
    out.push_back(std::move(vol));
  }
  return out;
}

}  // namespace brick::compose
