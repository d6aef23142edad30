// The top level of a stack file and the checks that cross objects: every
// network, volume, secret, config and service a service names must exist.
#include "compose/parse_project.hpp"

#include <algorithm>
#include <tuple>

#include "base/strings.hpp"
#include "compose/parse_parts.hpp"

namespace brick::compose {

namespace {

// compose's pattern for service, network, volume, secret and config keys.
bool valid_object_name(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

void check_name(Reader& r, const Entry& e, const std::string& path, std::string_view what) {
  if (!valid_object_name(e.key))
    r.error(e.key_mark, path,
            "`" + e.key + "` is not a valid " + std::string(what) + " name (letters, digits, `.`, `_` and `-` only)");
}

// `external: true`, or the legacy `external: {name: x}` that also names it.
void parse_external(const Node& v, const std::string& p, Reader& r, bool& external, std::string& name) {
  if (v.is_mapping()) {
    external = true;
    r.dispatch(v, p, {{"name", [&](const Node& nv, const std::string& np) { name = r.str(nv, np).value_or(""); }}});
    r.warning(v.mark, p, "`external.name` is deprecated; use `name:` next to `external: true`");
    return;
  }
  external = r.boolean(v, p).value_or(false);
}

Ipam parse_ipam(const Node& node, const std::string& path, Reader& r) {
  Ipam ipam;
  r.dispatch(node, path,
             {
                 {"driver", [&](const Node& v, const std::string& p) { ipam.driver = r.str(v, p); }},
                 {"options", [&](const Node& v, const std::string& p) { ipam.options = r.string_map(v, p); }},
                 {"config",
                  [&](const Node& v, const std::string& p) {
                    if (v.is_null() || !r.expect_sequence(v, p)) return;
                    for (size_t i = 0; i < v.items.size(); ++i) {
                      IpamPool pool;
                      r.dispatch(
                          v.items[i], index_path(p, i),
                          {
                              {"subnet", [&](const Node& x, const std::string& xp) { pool.subnet = r.str(x, xp); }},
                              {"ip_range", [&](const Node& x, const std::string& xp) { pool.ip_range = r.str(x, xp); }},
                              {"gateway", [&](const Node& x, const std::string& xp) { pool.gateway = r.str(x, xp); }},
                              {"aux_addresses",
                               [&](const Node& x, const std::string& xp) { pool.aux_addresses = r.string_map(x, xp); }},
                          });
                      ipam.config.push_back(std::move(pool));
                    }
                  }},
             });
  return ipam;
}

Network parse_network(const Entry& e, const std::string& path, const ParseContext& ctx, Reader& r) {
  Network n;
  n.key = e.key;
  n.mark = e.key_mark;
  std::string name;
  if (!e.value.is_null())
    r.dispatch(
        e.value, path,
        {
            {"driver", [&](const Node& v, const std::string& p) { n.driver = r.str(v, p); }},
            {"driver_opts", [&](const Node& v, const std::string& p) { n.driver_opts = r.string_map(v, p); }},
            {"internal", [&](const Node& v, const std::string& p) { n.internal = r.boolean(v, p).value_or(false); }},
            {"external", [&](const Node& v, const std::string& p) { parse_external(v, p, r, n.external, name); }},
            {"name", [&](const Node& v, const std::string& p) { name = r.str(v, p).value_or(""); }},
            {"labels", [&](const Node& v, const std::string& p) { n.labels = r.string_map(v, p); }},
            {"enable_ipv4", [&](const Node& v, const std::string& p) { n.enable_ipv4 = r.boolean(v, p); }},
            {"enable_ipv6", [&](const Node& v, const std::string& p) { n.enable_ipv6 = r.boolean(v, p); }},
            {"attachable",
             [&](const Node& v, const std::string& p) { n.attachable = r.boolean(v, p).value_or(false); }},
            {"ipam",
             [&](const Node& v, const std::string& p) {
               if (!v.is_null()) n.ipam = parse_ipam(v, p, r);
             }},
        });
  if (!name.empty())
    n.name = name;
  else
    n.name = n.external ? n.key : ctx.project_name + "_" + n.key;
  return n;
}

Volume parse_volume(const Entry& e, const std::string& path, const ParseContext& ctx, Reader& r) {
  Volume vol;
  vol.key = e.key;
  vol.mark = e.key_mark;
  std::string name;
  if (!e.value.is_null())
    r.dispatch(
        e.value, path,
        {
            {"driver", [&](const Node& v, const std::string& p) { vol.driver = r.str(v, p); }},
            {"driver_opts", [&](const Node& v, const std::string& p) { vol.driver_opts = r.string_map(v, p); }},
            {"external", [&](const Node& v, const std::string& p) { parse_external(v, p, r, vol.external, name); }},
            {"name", [&](const Node& v, const std::string& p) { name = r.str(v, p).value_or(""); }},
            {"labels", [&](const Node& v, const std::string& p) { vol.labels = r.string_map(v, p); }},
        });
  if (!name.empty())
    vol.name = name;
  else
    vol.name = vol.external ? vol.key : ctx.project_name + "_" + vol.key;
  return vol;
}

// A top-level secret (`configs` false) or config: exactly one source.
FileObject parse_file_object(const Entry& e, const std::string& path, const ParseContext& ctx, Reader& r,
                             bool configs) {
  FileObject f;
  f.key = e.key;
  f.mark = e.key_mark;
  std::string name;
  std::vector<Field> fields = {
      {"file",
       [&](const Node& v, const std::string& p) {
         f.file = r.str(v, p);
         if (f.file) f.file = resolve_host_path(*f.file, ctx);
       }},
      {"environment", [&](const Node& v, const std::string& p) { f.environment = r.str(v, p); }},
      {"external", [&](const Node& v, const std::string& p) { parse_external(v, p, r, f.external, name); }},
      {"name", [&](const Node& v, const std::string& p) { name = r.str(v, p).value_or(""); }},
      {"labels", [&](const Node& v, const std::string& p) { f.labels = r.string_map(v, p); }},
  };
  if (configs) fields.push_back({"content", [&](const Node& v, const std::string& p) { f.content = r.str(v, p); }});
  for (std::string_view key : {"driver", "driver_opts", "template_driver"})
    fields.push_back({key, [&r, key](const Node& v, const std::string& p) {
                        r.warning(v.mark, p, "`" + std::string(key) + "` is a swarm feature brick ignores on one host");
                      }});
  if (e.value.is_null())
    r.error(e.key_mark, path, "needs a source");
  else
    r.dispatch(e.value, path, fields);
  int sources = f.file.has_value() + f.environment.has_value() + f.content.has_value() + f.external;
  const std::string what = configs ? "config" : "secret";
  if (e.value.is_mapping() && sources == 0 && e.value.find("driver"))
    // A driver-only secret lives in a swarm (or a plugin) that makes it;
    // one host has nothing to read it from.
    r.error(e.value.mark, path,
            what + " `" + e.key + "` comes only from a `driver`, which is not supported on one host: give it a " +
                (configs ? "`file`, `environment` or `content`" : "`file` or `environment`") +
                ", or mark it `external`");
  else if (e.value.is_mapping() && sources != 1)
    r.error(e.value.mark, path,
            std::string(sources == 0 ? "needs" : "must have only one of") +
                (configs ? " `file`, `environment`, `content` or `external`" : " `file`, `environment` or `external`"));
  if (!name.empty())
    f.name = name;
  else
    f.name = f.external ? f.key : ctx.project_name + "_" + f.key;
  return f;
}

template <class T, class Parse>
void parse_objects(const Node& root, std::string_view key, Reader& r, std::string_view what,
                   std::map<std::string, T>& out, Parse parse) {
  const Node* node = root.find(key);
  std::string path(key);
  if (!node || node->is_null() || !r.expect_mapping(*node, path)) return;
  // Every key here names an object, `x-` ones included: only top-level keys
  // and keys inside an object are extensions (compose-go).
  for (const Entry& e : node->entries) {
    std::string p = key_path(path, e.key);
    check_name(r, e, p, what);
    out.emplace(e.key, parse(e, p));
  }
}

// The mark of item `i` of a service's list-valued key.
Mark item_mark(const Node& svc, std::string_view key, size_t i) {
  const Node* list = svc.find(key);
  if (list && list->is_sequence() && i < list->items.size()) return list->items[i].mark;
  return list ? list->mark : svc.mark;
}

// Messages follow tests/fixtures/invalid/*.expect: the service that refers,
// what it refers to, and no guess (a near miss is usually a different object).
void check_references(const Project& p, const Node& services_node, Reader& r) {
  for (const Entry& se : services_node.entries) {
    auto it = p.services.find(se.key);
    if (it == p.services.end()) continue;
    const Service& s = it->second;
    const Node& node = se.value;
    const std::string path = key_path("services", se.key);
    const std::string who = "service `" + se.key + "` ";
    auto undefined_service = [&](const std::string& name, const Mark& mark, const std::string& at,
                                 std::string_view what) {
      if (!p.services.count(name)) r.error(mark, at, who + std::string(what) + " undefined service `" + name + "`");
    };

    if (const Node* nets = node.find("networks")) {
      auto check = [&](const std::string& name, const Mark& mark) {
        if (!p.networks.count(name))
          r.error(mark, key_path(path, "networks"), who + "refers to undefined network `" + name + "`");
      };
      if (nets->is_sequence())
        for (const Node& item : nets->items) {
          if (item.is_scalar()) check(item.scalar, item.mark);
        }
      else if (nets->is_mapping())
        for (const Entry& ne : nets->entries) check(ne.key, ne.key_mark);
      if (s.network_mode)
        r.error(node.find("network_mode")->mark, path, "`network_mode` and `networks` cannot be combined");
    }
    if (s.network_mode && starts_with(*s.network_mode, "service:"))
      undefined_service(s.network_mode->substr(8), node.find("network_mode")->mark, key_path(path, "network_mode"),
                        "uses the network of");

    for (size_t i = 0; i < s.volumes.size(); ++i) {
      const ServiceVolume& v = s.volumes[i];
      if (v.type != "volume" || !v.source || p.volumes.count(*v.source)) continue;
      r.error(v.mark, index_path(key_path(path, "volumes"), i), who + "refers to undefined volume `" + *v.source + "`");
    }
    auto check_refs = [&](const std::vector<FileReference>& refs, const std::map<std::string, FileObject>& defined,
                          std::string_view key, std::string_view what) {
      for (size_t i = 0; i < refs.size(); ++i)
        if (!defined.count(refs[i].source))
          r.error(refs[i].mark, index_path(key_path(path, key), i),
                  who + "refers to undefined " + std::string(what) + " `" + refs[i].source + "`");
    };
    check_refs(s.secrets, p.secrets, "secrets", "secret");
    check_refs(s.configs, p.configs, "configs", "config");

    for (const auto& [dep, d] : s.depends_on) {
      if (p.services.count(dep)) continue;
      if (d.required)
        undefined_service(dep, d.mark, key_path(path, "depends_on"), "depends on");
      else
        r.warning(d.mark, key_path(path, "depends_on"),
                  "optional dependency `" + dep + "` is not defined; ignoring it");
    }
    for (size_t i = 0; i < s.links.size(); ++i)
      undefined_service(split(s.links[i], ':').front(), item_mark(node, "links", i),
                        index_path(key_path(path, "links"), i), "links to");
    for (size_t i = 0; i < s.volumes_from.size(); ++i) {
      if (starts_with(s.volumes_from[i], "container:")) continue;
      undefined_service(split(s.volumes_from[i], ':').front(), item_mark(node, "volumes_from", i),
                        index_path(key_path(path, "volumes_from"), i), "takes volumes from");
    }
    if (s.container_name && s.replicas() > 1)
      r.error(node.find("container_name")->mark, key_path(path, "container_name"),
              "a container name must be unique, but this service runs " + std::to_string(s.replicas()) + " replicas");
  }
}

}  // namespace

// As compose-go's normalization: links, `network_mode: service:X` and
// volumes_from a service all need that service started first, so they imply
// a depends_on entry unless one is written. Undefined targets are left to
// check_references, which reports them once.
static void add_implied_dependencies(Project& p) {
  for (auto& [name, s] : p.services) {
    auto imply = [&](const std::string& target, bool restart, const Mark& mark) {
      if (!p.services.count(target) || s.depends_on.count(target)) return;
      ServiceDependency dep;
      dep.restart = restart;
      dep.mark = mark;
      s.depends_on.emplace(target, dep);
    };
    for (const auto& link : s.links) imply(split(link, ':').front(), true, s.mark);
    if (s.network_mode && starts_with(*s.network_mode, "service:")) imply(s.network_mode->substr(8), true, s.mark);
    for (const auto& from : s.volumes_from)
      if (!starts_with(from, "container:")) imply(split(from, ':').front(), false, s.mark);
  }
}

// Reported in document order (files in the order they first appear), so
// cross-reference errors found last still read top to bottom.
static void report_sorted(const Diagnostics& found, Diagnostics& diags) {
  auto sorted = [](std::vector<Diagnostic> list) {
    std::vector<std::string> files;
    auto rank = [&](const Mark& m) {
      std::string f = m.file ? *m.file : "";
      auto it = std::find(files.begin(), files.end(), f);
      if (it == files.end()) return (files.push_back(f), files.size() - 1);
      return static_cast<size_t>(it - files.begin());
    };
    for (auto& d : list) rank(d.mark);
    std::stable_sort(list.begin(), list.end(), [&](const Diagnostic& a, const Diagnostic& b) {
      return std::tuple(rank(a.mark), a.mark.line, a.mark.column) <
             std::tuple(rank(b.mark), b.mark.line, b.mark.column);
    });
    return list;
  };
  for (auto& d : sorted(found.errors())) diags.error(d.mark, d.path, d.message);
  for (auto& d : sorted(found.warnings())) diags.warning(d.mark, d.path, d.message);
}

static Project parse_project_unsorted(const Node& root, const ParseContext& ctx, Diagnostics& diags) {
  Reader r(diags);
  Project p;
  p.name = ctx.project_name;
  p.working_dir = ctx.working_dir;
  p.environment = ctx.environment;
  if (!r.expect_mapping(root, "")) return p;

  static const std::vector<std::string> top_keys = {"version", "name",    "services", "networks",
                                                    "volumes", "secrets", "configs",  "include"};
  for (const Entry& e : root.entries) {
    if (starts_with(e.key, "x-")) {
      p.extensions.emplace(e.key, e.value);
      continue;
    }
    if (e.key == "version")
      r.warning(e.key_mark, "version", "the attribute `version` is obsolete, it will be ignored");
    else if (e.key == "models")
      r.warning(e.key_mark, "models", "`models` is not supported by brick and is ignored");
    else if (std::find(top_keys.begin(), top_keys.end(), e.key) == top_keys.end())
      r.unknown_key(e, "", top_keys);
  }

  parse_objects(root, "networks", r, "network", p.networks,
                [&](const Entry& e, const std::string& path) { return parse_network(e, path, ctx, r); });
  parse_objects(root, "volumes", r, "volume", p.volumes,
                [&](const Entry& e, const std::string& path) { return parse_volume(e, path, ctx, r); });
  parse_objects(root, "secrets", r, "secret", p.secrets,
                [&](const Entry& e, const std::string& path) { return parse_file_object(e, path, ctx, r, false); });
  parse_objects(root, "configs", r, "config", p.configs,
                [&](const Entry& e, const std::string& path) { return parse_file_object(e, path, ctx, r, true); });

  const Node* services = root.find("services");
  Node no_services = Node::mapping(root.mark);
  if (!services || services->is_null()) services = &no_services;
  if (!r.expect_mapping(*services, "services")) return p;
  for (const Entry& e : services->entries) {  // `x-web` is a service, not an extension
    std::string path = key_path("services", e.key);
    check_name(r, e, path, "service");
    if (!e.value.is_null() && !e.value.is_mapping()) {
      r.error(e.value.mark, path, "expected a mapping, got a " + std::string(e.value.kind_name()));
      continue;
    }
    Service s = parse_service(e.key, e.value, path, ctx, r);
    s.mark = e.key_mark;
    if (!s.image && !s.build) {
      // compose hands a `provider:` service to a plugin instead of running a
      // container; say that, not that the image is missing.
      const Node* provider = e.value.find("provider");
      const Node* type = provider ? provider->find("type") : nullptr;
      if (provider)
        r.error(e.key_mark, path,
                "service `" + e.key + "` is run by " +
                    (type && type->is_scalar() ? "the provider `" + type->scalar + "`" : std::string("a provider")) +
                    ", which brick does not support: give it an `image` or a `build`, or run it outside brick");
      else
        r.error(e.key_mark, path, "service `" + e.key + "` has neither an `image` nor a `build` to make one");
    }
    // No networks and no network_mode: the service is on the project's
    // default network, which `docker compose config` spells out.
    if (s.networks.empty() && !s.network_mode) s.networks.emplace("default", std::nullopt);
    p.services.emplace(e.key, std::move(s));
  }

  bool uses_default = std::any_of(p.services.begin(), p.services.end(),
                                  [](const auto& kv) { return kv.second.networks.count("default") > 0; });
  if (uses_default && !p.networks.count("default")) {
    Network def;
    def.key = "default";
    def.name = ctx.project_name + "_default";
    p.networks.emplace("default", std::move(def));
  }

  add_implied_dependencies(p);
  check_references(p, *services, r);
  return p;
}

Project parse_project(const Node& root, const ParseContext& ctx, Diagnostics& diags) {
  Diagnostics found;
  Project p = parse_project_unsorted(root, ctx, found);
  report_sorted(found, diags);
  return p;
}

}  // namespace brick::compose
