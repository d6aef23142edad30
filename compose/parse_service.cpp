// One service mapping → Service, every key in every form the Compose
// Specification allows, normalized to the long form `config` prints.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "base/strings.hpp"
#include "compose/dotenv.hpp"
#include "compose/parse_parts.hpp"
#include "compose/paths.hpp"
#include "compose/units.hpp"
#include "compose/utf8.hpp"

namespace brick::compose {

std::string resolve_host_path(const std::string& path, const ParseContext& ctx) {
  if (path == "~" || starts_with(path, "~/")) {
    auto home = ctx.environment.find("HOME");
    if (home != ctx.environment.end()) return home->second + path.substr(1);
    return path;
  }
  if (path.empty() || path.front() == '/' || is_windows_absolute(path)) return path;
  return (std::filesystem::path(ctx.working_dir) / path).lexically_normal().string();
}

namespace {

// Keys the Compose Specification allows on a service that brick does not
// act on (yet): loading succeeds, with a warning, rather than failing on a
// stack file docker compose accepts.
constexpr std::string_view kUnsupported[] = {"attach",        "blkio_config",   "cpu_count", "cpu_percent",
                                             "cpu_rt_period", "cpu_rt_runtime", "develop",   "device_cgroup_rules",
                                             "post_start",    "pre_stop",       "provider",  "use_api_socket",
                                             "userns_mode",   "volumes_driver", "models",    "pre_start"};
// Features of Windows or swarm.
constexpr std::string_view kSwarmOnly[] = {"credential_spec", "isolation"};

// compose-go's EnforceUnicity: of list entries with the same key the last
// one wins, in the place of the first.
template <class T, class KeyOf>
void keep_last_per_key(std::vector<T>& items, KeyOf key_of) {
  std::vector<T> out;
  std::map<std::string, size_t> at;
  for (T& item : items) {
    auto [it, added] = at.try_emplace(key_of(item), out.size());
    if (added)
      out.push_back(std::move(item));
    else
      out[it->second] = std::move(item);
  }
  items = std::move(out);
}

bool is_remote_context(const std::string& s) {
  return s.find("://") != std::string::npos || starts_with(s, "git@") || starts_with(s, "github.com/");
}

std::optional<BuildConfig> parse_build(const Node& node, const std::string& path, const ParseContext& ctx, Reader& r) {
  if (node.is_null()) return std::nullopt;
  BuildConfig b;
  b.context = ".";
  if (node.is_scalar()) {
    b.context = node.scalar;
  } else {
    auto ignored = [&r](std::string_view key) {
      return Field{key, [&r, key](const Node& v, const std::string& p) {
                     r.warning(v.mark, p, "`build." + std::string(key) + "` is not supported by brick and is ignored");
                   }};
    };
    r.dispatch(
        node, path,
        {
            {"context", [&](const Node& v, const std::string& p) { b.context = r.str(v, p).value_or("."); }},
            {"dockerfile", [&](const Node& v, const std::string& p) { b.dockerfile = r.str(v, p); }},
            {"dockerfile_inline", [&](const Node& v, const std::string& p) { b.dockerfile_inline = r.str(v, p); }},
            {"args", [&](const Node& v, const std::string& p) { b.args = r.list_or_dict(v, p); }},
            {"target", [&](const Node& v, const std::string& p) { b.target = r.str(v, p); }},
            {"cache_from", [&](const Node& v, const std::string& p) { b.cache_from = r.string_list(v, p); }},
            {"network", [&](const Node& v, const std::string& p) { b.network = r.str(v, p); }},
            {"labels", [&](const Node& v, const std::string& p) { b.labels = r.string_map(v, p); }},
            {"shm_size", [&](const Node& v, const std::string& p) { b.shm_size = r.bytes(v, p); }},
            {"tags", [&](const Node& v, const std::string& p) { b.tags = r.string_list(v, p); }},
            {"platforms", [&](const Node& v, const std::string& p) { b.platforms = r.string_list(v, p); }},
            {"extra_hosts", [&](const Node& v, const std::string& p) { b.extra_hosts = r.string_or_list(v, p); }},
            {"no_cache", [&](const Node& v, const std::string& p) { b.no_cache = r.boolean(v, p); }},
            {"pull", [&](const Node& v, const std::string& p) { b.pull = r.boolean(v, p); }},
            ignored("additional_contexts"),
            ignored("cache_to"),
            ignored("entitlements"),
            ignored("isolation"),
            ignored("privileged"),
            ignored("provenance"),
            ignored("sbom"),
            ignored("secrets"),
            ignored("ssh"),
            ignored("ulimits"),
        });
  }
  if (!is_remote_context(b.context)) b.context = resolve_host_path(b.context, ctx);
  // docker compose config spells out the default Dockerfile name.
  if (!b.dockerfile && !b.dockerfile_inline) b.dockerfile = "Dockerfile";
  return b;
}

std::map<std::string, std::optional<ServiceNetwork>> parse_service_networks(const Node& node, const std::string& path,
                                                                            Reader& r) {
  std::map<std::string, std::optional<ServiceNetwork>> out;
  if (node.is_null()) return out;
  if (node.is_sequence()) {
    for (auto& name : r.string_list(node, path)) out[name] = std::nullopt;
    return out;
  }
  if (!node.is_mapping()) {
    r.error(node.mark, path, "expected a list of network names or a mapping, got a " + std::string(node.kind_name()));
    return out;
  }
  for (const Entry& e : node.entries) {
    std::string p = key_path(path, e.key);
    if (e.value.is_null()) {
      out[e.key] = std::nullopt;
      continue;
    }
    ServiceNetwork net;
    r.dispatch(
        e.value, p,
        {
            {"aliases", [&](const Node& v, const std::string& vp) { net.aliases = r.string_list(v, vp); }},
            {"ipv4_address", [&](const Node& v, const std::string& vp) { net.ipv4_address = r.str(v, vp); }},
            {"ipv6_address", [&](const Node& v, const std::string& vp) { net.ipv6_address = r.str(v, vp); }},
            {"link_local_ips",
             [&](const Node& v, const std::string& vp) { net.link_local_ips = r.string_list(v, vp); }},
            {"mac_address", [&](const Node& v, const std::string& vp) { net.mac_address = r.str(v, vp); }},
            {"priority",
             [&](const Node& v, const std::string& vp) {
               if (auto n = r.integer(v, vp)) net.priority = static_cast<int>(*n);
             }},
            {"gw_priority",
             [&](const Node& v, const std::string& vp) {
               if (auto n = r.integer(v, vp)) net.gw_priority = static_cast<int>(*n);
             }},
            {"driver_opts", [&](const Node& v, const std::string& vp) { net.driver_opts = r.string_map(v, vp); }},
            {"interface_name",
             [&](const Node& v, const std::string& vp) {
               r.warning(v.mark, vp, "`interface_name` is not supported by brick and is ignored");
             }},
        });
    out[e.key] = std::move(net);
  }
  return out;
}

std::map<std::string, ServiceDependency> parse_depends_on(const Node& node, const std::string& path, Reader& r) {
  std::map<std::string, ServiceDependency> out;
  if (node.is_null()) return out;
  if (node.is_sequence()) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      const Node& item = node.items[i];
      if (!item.is_scalar()) {
        r.error(item.mark, index_path(path, i), "expected a service name, got a " + std::string(item.kind_name()));
        continue;
      }
      ServiceDependency dep;
      dep.mark = item.mark;
      out[item.scalar] = dep;
    }
    return out;
  }
  if (!r.expect_mapping(node, path)) return out;
  for (const Entry& e : node.entries) {
    std::string p = key_path(path, e.key);
    ServiceDependency dep;
    dep.mark = e.key_mark;
    if (!e.value.is_null())
      r.dispatch(e.value, p,
                 {
                     {"condition",
                      [&](const Node& v, const std::string& vp) {
                        dep.condition = r.str(v, vp).value_or("service_started");
                        if (dep.condition != "service_started" && dep.condition != "service_healthy" &&
                            dep.condition != "service_completed_successfully")
                          r.error(v.mark, vp,
                                  "`" + dep.condition +
                                      "` is not a condition (service_started, service_healthy, "
                                      "service_completed_successfully)");
                      }},
                     {"restart",
                      [&](const Node& v, const std::string& vp) { dep.restart = r.boolean(v, vp).value_or(false); }},
                     {"required",
                      [&](const Node& v, const std::string& vp) { dep.required = r.boolean(v, vp).value_or(true); }},
                 });
    out[e.key] = dep;
  }
  return out;
}

std::vector<FileReference> parse_file_refs(const Node& node, const std::string& path, Reader& r, bool secrets) {
  std::vector<FileReference> out;
  if (node.is_null() || !r.expect_sequence(node, path)) return out;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    std::string p = index_path(path, i);
    FileReference ref;
    ref.mark = item.mark;
    if (item.is_scalar()) {
      ref.source = item.scalar;
      // The short secret syntax mounts at /run/secrets/<name>, which compose
      // writes out; a short config keeps no target.
      if (secrets) ref.target = "/run/secrets/" + ref.source;
      out.push_back(ref);
      continue;
    }
    r.dispatch(item, p,
               {
                   {"source", [&](const Node& v, const std::string& vp) { ref.source = r.str(v, vp).value_or(""); }},
                   {"target", [&](const Node& v, const std::string& vp) { ref.target = r.str(v, vp); }},
                   {"uid", [&](const Node& v, const std::string& vp) { ref.uid = r.str(v, vp); }},
                   {"gid", [&](const Node& v, const std::string& vp) { ref.gid = r.str(v, vp); }},
                   {"mode", [&](const Node& v, const std::string& vp) { ref.mode = r.file_mode(v, vp); }},
               });
    if (!item.is_mapping()) continue;
    if (ref.source.empty()) {
      r.error(item.mark, p, "needs a `source`");
      continue;
    }
    out.push_back(ref);
  }
  return out;
}

std::map<std::string, Ulimit> parse_ulimits(const Node& node, const std::string& path, Reader& r) {
  std::map<std::string, Ulimit> out;
  if (node.is_null() || !r.expect_mapping(node, path)) return out;
  for (const Entry& e : node.entries) {
    std::string p = key_path(path, e.key);
    if (e.value.is_scalar()) {
      if (auto n = r.integer(e.value, p)) out[e.key] = Ulimit{*n, *n, true};
      continue;
    }
    std::optional<int64_t> soft, hard;
    r.dispatch(e.value, p,
               {
                   {"soft", [&](const Node& v, const std::string& vp) { soft = r.integer(v, vp); }},
                   {"hard", [&](const Node& v, const std::string& vp) { hard = r.integer(v, vp); }},
               });
    if (!e.value.is_mapping()) continue;
    if (!soft || !hard) {
      if (!e.value.find("soft") || !e.value.find("hard"))
        r.error(e.value.mark, p, "a ulimit needs both `soft` and `hard` (or one number for both)");
      continue;
    }
    if (*soft > *hard) {
      r.error(e.value.mark, p, "soft limit " + std::to_string(*soft) + " is above hard limit " + std::to_string(*hard));
      continue;
    }
    out[e.key] = Ulimit{*soft, *hard, false};
  }
  return out;
}

// compose-go's HostsList: `host:ip`, `host=ip` or a mapping; several IPs
// separated by commas; brackets around IPv6 dropped; printed as sorted
// `host=ip` because `=` keeps IPv6 readable.
std::vector<std::string> parse_extra_hosts(const Node& node, const std::string& path, Reader& r) {
  std::vector<std::pair<std::string, std::string>> pairs;
  auto add = [&](const Node& at, const std::string& p, const std::string& host, const std::string& ips) {
    if (host.empty() || host.find_first_of(":=") != std::string::npos) {
      r.error(at.mark, p, "bad host name `" + host + "`");
      return;
    }
    for (std::string ip : split(ips, ',')) {
      if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
      pairs.emplace_back(host, ip);
    }
  };
  if (node.is_null()) return {};
  if (node.is_mapping()) {
    for (const Entry& e : node.entries) {
      std::string p = key_path(path, e.key);
      if (e.value.is_sequence()) {
        for (auto& ip : r.string_list(e.value, p)) add(e.value, p, e.key, ip);
      } else {
        add(e.value, p, e.key, r.str(e.value, p).value_or(""));
      }
    }
  } else if (r.expect_sequence(node, path)) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      const Node& item = node.items[i];
      std::string p = index_path(path, i);
      if (!item.is_scalar()) {
        r.error(item.mark, p, "expected `host:ip`, got a " + std::string(item.kind_name()));
        continue;
      }
      size_t sep = item.scalar.find('=');
      if (sep == std::string::npos) sep = item.scalar.find(':');
      if (sep == std::string::npos) {
        r.error(item.mark, p, "`" + item.scalar + "` is not an extra host: missing the IP (`host:ip`)");
        continue;
      }
      add(item, p, item.scalar.substr(0, sep), item.scalar.substr(sep + 1));
    }
  }
  std::vector<std::string> out;
  for (auto& [h, ip] : pairs) out.push_back(h + "=" + ip);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Service parse_service(const std::string& name, const Node& node, const std::string& path, const ParseContext& ctx,
                      Reader& r) {
  Service s;
  s.name = name;
  s.mark = node.mark;
  if (node.is_null()) return s;
  OptionalStringMap env_from_files;
  StringMap labels_from_files;
  std::pair<Mark, std::string> environment_at;  // where `environment:` is, for its pass-through values
  auto text = [&](std::optional<std::string>& field) {
    return [&](const Node& v, const std::string& p) { field = r.str(v, p); };
  };
  auto flag = [&](std::optional<bool>& field) {
    return [&](const Node& v, const std::string& p) { field = r.boolean(v, p); };
  };
  auto num = [&](std::optional<int64_t>& field) {
    return [&](const Node& v, const std::string& p) { field = r.integer(v, p); };
  };
  auto size = [&](std::optional<int64_t>& field) {
    return [&](const Node& v, const std::string& p) { field = r.bytes(v, p); };
  };
  auto list = [&](std::vector<std::string>& field) {
    return [&](const Node& v, const std::string& p) { field = r.string_list(v, p); };
  };
  auto one_or_list = [&](std::vector<std::string>& field) {
    return [&](const Node& v, const std::string& p) { field = r.string_or_list(v, p); };
  };
  auto command = [&](std::optional<std::vector<std::string>>& field) {
    return [&](const Node& v, const std::string& p) {
      if (v.is_null()) return;
      if (v.is_scalar()) {
        auto words = split_shell_words(v.scalar);
        if (!words)
          r.error(v.mark, p, "`" + v.scalar + "` is not a command line: " + words.error().message());
        else
          field = std::move(*words);
        return;
      }
      field = r.string_list(v, p);
    };
  };

  std::vector<Field> fields = {
      {"image", text(s.image)},
      {"build", [&](const Node& v, const std::string& p) { s.build = parse_build(v, p, ctx, r); }},
      {"command", command(s.command)},
      {"entrypoint", command(s.entrypoint)},
      {"environment",
       [&](const Node& v, const std::string& p) {
         s.environment = r.list_or_dict(v, p);
         environment_at = {v.mark, p};
       }},
      {"env_file",
       [&](const Node& v, const std::string& p) { env_from_files = parse_env_files(v, p, ctx, r, s.env_files); }},
      {"ports",
       [&](const Node& v, const std::string& p) {
         if (!ctx.interpolated && ports_need_interpolation(v))
           s.ports_as_written = v;
         else
           s.ports = parse_ports(v, p, r);
       }},
      {"expose", list(s.expose)},
      {"volumes", [&](const Node& v, const std::string& p) { s.volumes = parse_volumes(v, p, ctx, r); }},
      {"volumes_from", list(s.volumes_from)},
      {"tmpfs", one_or_list(s.tmpfs)},
      {"networks", [&](const Node& v, const std::string& p) { s.networks = parse_service_networks(v, p, r); }},
      {"network_mode", text(s.network_mode)},
      {"depends_on", [&](const Node& v, const std::string& p) { s.depends_on = parse_depends_on(v, p, r); }},
      {"links", list(s.links)},
      {"external_links", list(s.external_links)},
      {"healthcheck",
       [&](const Node& v, const std::string& p) {
         if (!v.is_null()) s.healthcheck = parse_healthcheck(v, p, r);
       }},
      {"restart",
       [&](const Node& v, const std::string& p) {
         s.restart = r.str(v, p);
         if (!s.restart) return;
         const std::string& rs = *s.restart;
         bool ok = rs == "no" || rs == "always" || rs == "unless-stopped" || rs == "on-failure";
         if (starts_with(rs, "on-failure:")) ok = parse_uint(rs.substr(11)).has_value();
         if (!ok) r.error(v.mark, p, "`" + rs + "` is not a restart policy (no, always, on-failure[:N], unless-stopped)");
       }},
      {"deploy",
       [&](const Node& v, const std::string& p) {
         if (!v.is_null()) s.deploy = parse_deploy(v, p, r);
       }},
      {"gpus", [&](const Node& v, const std::string& p) { s.gpus = parse_gpus(v, p, r); }},
      {"runtime", text(s.runtime)},
      {"shm_size", size(s.shm_size)},
      {"ipc", text(s.ipc)},
      {"pid", text(s.pid)},
      {"uts", text(s.uts)},
      {"user", text(s.user)},
      {"working_dir", text(s.working_dir)},
      {"hostname", text(s.hostname)},
      {"domainname", text(s.domainname)},
      {"mac_address", text(s.mac_address)},
      {"labels", [&](const Node& v, const std::string& p) { s.labels = r.string_map(v, p); }},
      {"label_file",
       [&](const Node& v, const std::string& p) { labels_from_files = parse_label_files(v, p, ctx, r); }},
      {"annotations", [&](const Node& v, const std::string& p) { s.annotations = r.string_map(v, p); }},
      {"container_name", text(s.container_name)},
      {"profiles", list(s.profiles)},
      {"cap_add", list(s.cap_add)},
      {"cap_drop", list(s.cap_drop)},
      {"privileged", flag(s.privileged)},
      {"read_only", flag(s.read_only)},
      {"security_opt", list(s.security_opt)},
      {"sysctls", [&](const Node& v, const std::string& p) { s.sysctls = r.string_map(v, p); }},
      {"ulimits", [&](const Node& v, const std::string& p) { s.ulimits = parse_ulimits(v, p, r); }},
      {"init", flag(s.init)},
      {"stop_signal", text(s.stop_signal)},
      {"stop_grace_period", [&](const Node& v, const std::string& p) { s.stop_grace_period = r.duration(v, p); }},
      {"devices", [&](const Node& v, const std::string& p) { s.devices = parse_devices(v, p, r); }},
      {"dns",
       [&](const Node& v, const std::string& p) {
         // compose-go's OmitEmpty drops empty `dns` entries, so an unset
         // `dns: ${DNS}` means no DNS setting rather than `[""]`.
         s.dns = r.string_or_list(v, p);
         std::erase(s.dns, std::string());
       }},
      {"dns_search", one_or_list(s.dns_search)},
      {"dns_opt", list(s.dns_opt)},
      {"extra_hosts", [&](const Node& v, const std::string& p) { s.extra_hosts = parse_extra_hosts(v, p, r); }},
      {"group_add", list(s.group_add)},
      {"mem_limit", size(s.mem_limit)},
      {"mem_reservation", size(s.mem_reservation)},
      {"memswap_limit",
       [&](const Node& v, const std::string& p) {
         // -1 means unlimited swap; bytes() would reject the sign.
         if (v.is_scalar() && v.scalar == "-1")
           s.memswap_limit = -1;
         else
           s.memswap_limit = r.bytes(v, p);
       }},
      {"mem_swappiness", num(s.mem_swappiness)},
      {"cpus", [&](const Node& v, const std::string& p) { s.cpus = r.cpus(v, p); }},
      {"cpu_shares", num(s.cpu_shares)},
      {"cpu_period", num(s.cpu_period)},
      {"cpu_quota", num(s.cpu_quota)},
      {"cpuset", text(s.cpuset)},
      {"pids_limit", num(s.pids_limit)},
      {"oom_score_adj", num(s.oom_score_adj)},
      {"oom_kill_disable", flag(s.oom_kill_disable)},
      {"scale", [&](const Node& v, const std::string& p) { s.scale = r.uinteger(v, p); }},
      {"tty", flag(s.tty)},
      {"stdin_open", flag(s.stdin_open)},
      {"logging",
       [&](const Node& v, const std::string& p) {
         if (v.is_null()) return;
         Logging lg;
         r.dispatch(v, p,
                    {
                        {"driver", text(lg.driver)},
                        {"options", [&](const Node& ov, const std::string& op) { lg.options = r.string_map(ov, op); }},
                    });
         s.logging = std::move(lg);
       }},
      {"secrets", [&](const Node& v, const std::string& p) { s.secrets = parse_file_refs(v, p, r, true); }},
      {"configs", [&](const Node& v, const std::string& p) { s.configs = parse_file_refs(v, p, r, false); }},
      {"platform", text(s.platform)},
      {"pull_policy",
       [&](const Node& v, const std::string& p) {
         s.pull_policy = r.str(v, p);
         if (!s.pull_policy) return;
         const std::string& pp = *s.pull_policy;
         static const std::set<std::string> known = {"always", "never",  "missing", "build",
                                                     "if_not_present", "daily", "weekly", "refresh"};
         if (!known.count(pp) && !starts_with(pp, "every_"))
           r.error(v.mark, p, "`" + pp + "` is not a pull policy (always, never, missing, build, daily, weekly, every_<duration>)");
       }},
      {"cgroup_parent", text(s.cgroup_parent)},
      {"cgroup",
       [&](const Node& v, const std::string& p) {
         s.cgroup = r.str(v, p);
         if (s.cgroup && *s.cgroup != "host" && *s.cgroup != "private")
           r.error(v.mark, p, "`cgroup` is `host` or `private`, not `" + *s.cgroup + "`");
       }},
      {"storage_opt", [&](const Node& v, const std::string& p) { s.storage_opt = r.string_map(v, p); }},
      // The loader resolved extends before we see the tree.
      {"extends", [](const Node&, const std::string&) {}},
  };
  for (std::string_view key : kUnsupported)
    fields.push_back({key, [&r, key](const Node& v, const std::string& p) {
                        r.warning(v.mark, p, "`" + std::string(key) + "` is not supported by brick and is ignored");
                      }});
  for (std::string_view key : kSwarmOnly)
    fields.push_back({key, [&r, key](const Node& v, const std::string& p) {
                        r.warning(v.mark, p,
                                  "`" + std::string(key) + "` applies to Windows or swarm; brick ignores it");
                      }});
  r.dispatch(node, path, fields);
  for (const Entry& e : node.entries)
    if (starts_with(e.key, "x-")) s.extensions.emplace(e.key, e.value);

  // `environment:` wins over env_file; a bare `FOO` passes the variable
  // through from the environment brick runs in, as docker compose does.
  for (auto& [k, v] : s.environment) {
    if (v) continue;
    auto it = ctx.environment.find(k);
    if (it == ctx.environment.end()) continue;
    v = it->second;
    if (invalid_utf8_at(*v))
      r.error(environment_at.first, key_path(environment_at.second, k),
              "the value of `" + k + "` in the environment " + why_not_utf8(*v) + ": set it as UTF-8");
  }
  for (auto& [k, v] : env_from_files) {
    auto [it, added] = s.environment.try_emplace(k, v);
    if (!added && !it->second) it->second = v;
  }
  for (auto& [k, v] : labels_from_files) s.labels.try_emplace(k, v);  // `labels:` wins
  // Two mounts on one target, or one port binding written twice: the later
  // entry replaces the earlier one, as compose-go's volume and port indexers
  // key them (target; host_ip:published:target/protocol).
  keep_last_per_key(s.volumes, [](const ServiceVolume& v) { return v.target; });
  keep_last_per_key(s.ports, [](const PortConfig& p) {
    return p.host_ip.value_or("0.0.0.0") + ":" + p.published.value_or("") + ":" + std::to_string(p.target) + "/" +
           p.protocol;
  });
  // compose-go's consistency check: a service cannot run on a platform its
  // build does not produce.
  if (s.platform && s.build && !s.build->platforms.empty() &&
      std::find(s.build->platforms.begin(), s.build->platforms.end(), *s.platform) == s.build->platforms.end()) {
    const Node* at = node.find("platform");
    r.error(at ? at->mark : node.mark, key_path(path, "platform"),
            "`" + *s.platform + "` is not among the platforms `build.platforms` lists (" +
                join(s.build->platforms, ", ") + ")");
  }
  return s;
}

}  // namespace brick::compose
