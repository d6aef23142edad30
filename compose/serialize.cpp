// The Project as compose-go marshals it for `docker compose config`. Key order
// is compose-go's struct field order, which is what users diff against.
#include "compose/serialize.hpp"

#include <cmath>
#include <cstdio>

#include "compose/units.hpp"

namespace brick::compose {
namespace {

using Json = nlohmann::ordered_json;

// An `x-*` value as go-yaml decodes it: plain scalars typed by the YAML core
// schema, quoted ones strings.
Json node_json(const Node& n) {
  switch (n.kind) {
    case Node::Kind::Null: return nullptr;
    case Node::Kind::Sequence: {
      Json a = Json::array();
      for (const auto& item : n.items) a.push_back(node_json(item));
      return a;
    }
    case Node::Kind::Mapping: {
      // go-yaml decodes into a Go map, which marshals with sorted keys.
      std::map<std::string, const Node*> sorted;
      for (const auto& e : n.entries) sorted.emplace(e.key, &e.value);
      Json o = Json::object();
      for (const auto& [k, v] : sorted) o[k] = node_json(*v);
      return o;
    }
    case Node::Kind::Scalar: break;
  }
  if (n.quoted) return n.scalar;
  const std::string& t = n.scalar;
  if (t == "true" || t == "True" || t == "TRUE") return true;
  if (t == "false" || t == "False" || t == "FALSE") return false;
  if (t == "null" || t == "Null" || t == "NULL" || t == "~") return nullptr;
  if (auto i = parse_int(t)) return *i;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (!t.empty() && end == t.c_str() + t.size() && t.find_first_of("0123456789") != std::string::npos &&
      t.find_first_not_of("0123456789.eE+-") == std::string::npos)
    return d;
  return t;
}

void put_extensions(Json& j, const std::map<std::string, Node>& extensions) {
  for (const auto& [key, value] : extensions) j[key] = node_json(value);
}

// compose-go's UnitBytes marshals as a quoted decimal byte count.
std::string bytes_text(int64_t n) { return std::to_string(n); }

// Go prints float32 1.0 as `1`; keep integral values integral.
Json number(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
  // float32 precision, as compose-go stores cpus.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", d);
  return std::stod(buf);
}

// compose-go's FileMode marshals as "0%o".
std::string file_mode(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%o", mode);
  return buf;
}

void put(Json& j, const char* key, const std::optional<std::string>& v) {
  if (v && !v->empty()) j[key] = *v;
}
void put_str(Json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
void put(Json& j, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) j[key] = v;
}
void put(Json& j, const char* key, const StringMap& m) {
  if (m.empty()) return;
  Json o = Json::object();
  for (const auto& [k, v] : m) o[k] = v;
  j[key] = std::move(o);
}
void put(Json& j, const char* key, const OptionalStringMap& m) {
  if (m.empty()) return;
  Json o = Json::object();
  for (const auto& [k, v] : m) o[k] = v ? Json(*v) : Json(nullptr);
  j[key] = std::move(o);
}
void put_duration(Json& j, const char* key, const std::optional<Duration>& d) {
  if (d) j[key] = format_duration(*d);
}
// Go `omitempty` on a plain integer: zero is not printed.
void put_nonzero(Json& j, const char* key, const std::optional<int64_t>& v) {
  if (v && *v != 0) j[key] = *v;
}
void put_bytes(Json& j, const char* key, const std::optional<int64_t>& v) {
  if (v && *v != 0) j[key] = bytes_text(*v);
}
// A Go `bool` with omitempty prints only when true.
void put_true(Json& j, const char* key, const std::optional<bool>& v) {
  if (v && *v) j[key] = true;
}

Json build_json(const BuildConfig& b) {
  Json j = Json::object();
  put_str(j, "context", b.context);
  put(j, "dockerfile", b.dockerfile);
  put(j, "dockerfile_inline", b.dockerfile_inline);
  put(j, "args", b.args);
  put(j, "labels", b.labels);
  put(j, "cache_from", b.cache_from);
  put_true(j, "no_cache", b.no_cache);
  put_true(j, "pull", b.pull);
  put(j, "extra_hosts", b.extra_hosts);
  put(j, "network", b.network);
  put(j, "target", b.target);
  put_bytes(j, "shm_size", b.shm_size);
  put(j, "tags", b.tags);
  put(j, "platforms", b.platforms);
  return j;
}

Json device_request_json(const DeviceRequest& d) {
  Json j = Json::object();
  put(j, "capabilities", d.capabilities);
  put(j, "driver", d.driver);
  put_nonzero(j, "count", d.count);
  put(j, "device_ids", d.device_ids);
  put(j, "options", d.options);
  return j;
}

Json resource_json(const Resources& r) {
  Json j = Json::object();
  if (r.cpus && *r.cpus != 0) j["cpus"] = number(*r.cpus);
  put_bytes(j, "memory", r.memory);
  put_nonzero(j, "pids", r.pids);
  if (!r.devices.empty()) {
    Json list = Json::array();
    for (const auto& d : r.devices) list.push_back(device_request_json(d));
    j["devices"] = std::move(list);
  }
  return j;
}

Json deploy_json(const DeployConfig& d) {
  Json j = Json::object();
  put(j, "mode", d.mode);
  if (d.replicas) j["replicas"] = *d.replicas;
  put(j, "labels", d.labels);
  Json resources = Json::object();
  Json limits = resource_json(d.limits);
  Json reservations = resource_json(d.reservations);
  if (!limits.empty()) resources["limits"] = std::move(limits);
  if (!reservations.empty()) resources["reservations"] = std::move(reservations);
  if (!resources.empty()) j["resources"] = std::move(resources);
  if (d.restart_policy) {
    const auto& rp = *d.restart_policy;
    Json r = Json::object();
    put(r, "condition", rp.condition);
    put_duration(r, "delay", rp.delay);
    if (rp.max_attempts) r["max_attempts"] = *rp.max_attempts;
    put_duration(r, "window", rp.window);
    j["restart_policy"] = std::move(r);
  }
  return j;
}

Json healthcheck_json(const Healthcheck& h) {
  Json j = Json::object();
  put(j, "test", h.test);
  put_duration(j, "timeout", h.timeout);
  put_duration(j, "interval", h.interval);
  if (h.retries) j["retries"] = *h.retries;
  put_duration(j, "start_period", h.start_period);
  put_duration(j, "start_interval", h.start_interval);
  if (h.disable) j["disable"] = true;
  return j;
}

Json port_json(const PortConfig& p) {
  Json j = Json::object();
  put(j, "name", p.name);
  put_str(j, "mode", p.mode);
  put(j, "host_ip", p.host_ip);
  if (p.target != 0) j["target"] = p.target;
  put(j, "published", p.published);
  put_str(j, "protocol", p.protocol);
  put(j, "app_protocol", p.app_protocol);
  return j;
}

Json volume_mount_json(const ServiceVolume& v) {
  Json j = Json::object();
  put_str(j, "type", v.type);
  put(j, "source", v.source);
  put_str(j, "target", v.target);
  if (v.read_only) j["read_only"] = true;
  put(j, "consistency", v.consistency);
  if (v.bind_propagation || v.bind_create_host_path || v.bind_selinux) {
    Json b = Json::object();
    put(b, "selinux", v.bind_selinux);
    put(b, "propagation", v.bind_propagation);
    put_true(b, "create_host_path", v.bind_create_host_path);
    j["bind"] = std::move(b);
  }
  // compose-go gives every short-syntax volume mount an empty `volume: {}`.
  if (v.type == "volume" || v.volume_nocopy || v.volume_subpath) {
    Json o = Json::object();
    put_true(o, "nocopy", v.volume_nocopy);
    put(o, "subpath", v.volume_subpath);
    j["volume"] = std::move(o);
  }
  if ((v.tmpfs_size && *v.tmpfs_size != 0) || (v.tmpfs_mode && *v.tmpfs_mode != 0)) {
    Json t = Json::object();
    put_bytes(t, "size", v.tmpfs_size);
    if (v.tmpfs_mode && *v.tmpfs_mode != 0) t["mode"] = *v.tmpfs_mode;
    j["tmpfs"] = std::move(t);
  }
  return j;
}

Json file_refs_json(const std::vector<FileReference>& refs) {
  Json list = Json::array();
  for (const auto& r : refs) {
    Json j = Json::object();
    put_str(j, "source", r.source);
    put(j, "target", r.target);
    put(j, "uid", r.uid);
    put(j, "gid", r.gid);
    if (r.mode) j["mode"] = file_mode(*r.mode);
    list.push_back(std::move(j));
  }
  return list;
}

Json service_network_json(const ServiceNetwork& n) {
  Json j = Json::object();
  put(j, "aliases", n.aliases);
  put(j, "driver_opts", n.driver_opts);
  if (n.gw_priority && *n.gw_priority != 0) j["gw_priority"] = *n.gw_priority;
  put(j, "ipv4_address", n.ipv4_address);
  put(j, "ipv6_address", n.ipv6_address);
  put(j, "link_local_ips", n.link_local_ips);
  put(j, "mac_address", n.mac_address);
  if (n.priority && *n.priority != 0) j["priority"] = *n.priority;
  return j;
}

// compose-go's ShellCommand: YAML omits it when empty (`command: []` clears the
// image's); JSON has no omitempty and always carries it, null when unset.
void put_command(Json& j, const char* key, const std::optional<std::vector<std::string>>& cmd, OutputFormat format) {
  if (format == OutputFormat::Json)
    j[key] = cmd ? Json(*cmd) : Json(nullptr);
  else if (cmd && !cmd->empty())
    j[key] = *cmd;
}

// True when the service joins the implicit `default` network.
bool uses_default_network(const Service& s) { return s.networks.empty() && !s.network_mode; }

Json service_json(const Service& s, OutputFormat format) {
  Json j = Json::object();
  put(j, "profiles", s.profiles);
  put(j, "annotations", s.annotations);
  if (s.build) j["build"] = build_json(*s.build);
  put(j, "cap_add", s.cap_add);
  put(j, "cap_drop", s.cap_drop);
  put(j, "cgroup_parent", s.cgroup_parent);
  put(j, "cgroup", s.cgroup);
  put_nonzero(j, "cpu_period", s.cpu_period);
  put_nonzero(j, "cpu_quota", s.cpu_quota);
  if (s.cpus && *s.cpus != 0) j["cpus"] = number(*s.cpus);
  put(j, "cpuset", s.cpuset);
  put_nonzero(j, "cpu_shares", s.cpu_shares);
  put_command(j, "command", s.command, format);
  if (!s.configs.empty()) j["configs"] = file_refs_json(s.configs);
  put(j, "container_name", s.container_name);
  if (!s.depends_on.empty()) {
    Json deps = Json::object();
    for (const auto& [name, d] : s.depends_on) {
      Json dj = Json::object();
      dj["condition"] = d.condition;
      if (d.restart) dj["restart"] = true;
      dj["required"] = d.required;
      deps[name] = std::move(dj);
    }
    j["depends_on"] = std::move(deps);
  }
  if (s.deploy) j["deploy"] = deploy_json(*s.deploy);
  if (!s.devices.empty()) {
    Json list = Json::array();
    for (const auto& d : s.devices) {
      Json dj = Json::object();
      put_str(dj, "source", d.source);
      // compose-go reads a CDI name as both source and target.
      put_str(dj, "target", d.target.empty() && d.cdi ? d.source : d.target);
      put_str(dj, "permissions", d.permissions);
      list.push_back(std::move(dj));
    }
    j["devices"] = std::move(list);
  }
  put(j, "dns", s.dns);
  put(j, "dns_opt", s.dns_opt);
  put(j, "dns_search", s.dns_search);
  put(j, "domainname", s.domainname);
  put_command(j, "entrypoint", s.entrypoint, format);
  put(j, "environment", s.environment);
  put(j, "expose", s.expose);
  put(j, "external_links", s.external_links);
  put(j, "extra_hosts", s.extra_hosts);
  put(j, "group_add", s.group_add);
  if (s.gpus) {
    Json list = Json::array();
    for (const auto& d : *s.gpus) list.push_back(device_request_json(d));
    j["gpus"] = std::move(list);
  }
  put(j, "hostname", s.hostname);
  if (s.healthcheck) j["healthcheck"] = healthcheck_json(*s.healthcheck);
  put(j, "image", s.image);
  if (s.init) j["init"] = *s.init;
  put(j, "ipc", s.ipc);
  put(j, "labels", s.labels);
  put(j, "links", s.links);
  if (s.logging) {
    Json l = Json::object();
    put(l, "driver", s.logging->driver);
    put(l, "options", s.logging->options);
    j["logging"] = std::move(l);
  }
  put_bytes(j, "mem_limit", s.mem_limit);
  put_bytes(j, "mem_reservation", s.mem_reservation);
  put_bytes(j, "memswap_limit", s.memswap_limit);
  put_bytes(j, "mem_swappiness", s.mem_swappiness);
  put(j, "mac_address", s.mac_address);
  put(j, "network_mode", s.network_mode);
  if (!s.networks.empty()) {
    Json nets = Json::object();
    for (const auto& [name, n] : s.networks) nets[name] = n ? service_network_json(*n) : Json(nullptr);
    j["networks"] = std::move(nets);
  } else if (uses_default_network(s)) {
    j["networks"] = Json{{"default", nullptr}};
  }
  put_true(j, "oom_kill_disable", s.oom_kill_disable);
  put_nonzero(j, "oom_score_adj", s.oom_score_adj);
  put(j, "pid", s.pid);
  put_nonzero(j, "pids_limit", s.pids_limit);
  put(j, "platform", s.platform);
  if (s.ports_as_written) {
    j["ports"] = node_json(*s.ports_as_written);
  } else if (!s.ports.empty()) {
    Json list = Json::array();
    for (const auto& p : s.ports) list.push_back(port_json(p));
    j["ports"] = std::move(list);
  }
  put_true(j, "privileged", s.privileged);
  put(j, "pull_policy", s.pull_policy);
  put_true(j, "read_only", s.read_only);
  put(j, "restart", s.restart);
  put(j, "runtime", s.runtime);
  if (s.scale) j["scale"] = *s.scale;
  if (!s.secrets.empty()) j["secrets"] = file_refs_json(s.secrets);
  put(j, "security_opt", s.security_opt);
  put_bytes(j, "shm_size", s.shm_size);
  put_true(j, "stdin_open", s.stdin_open);
  put_duration(j, "stop_grace_period", s.stop_grace_period);
  put(j, "stop_signal", s.stop_signal);
  put(j, "storage_opt", s.storage_opt);
  put(j, "sysctls", s.sysctls);
  put(j, "tmpfs", s.tmpfs);
  put_true(j, "tty", s.tty);
  if (!s.ulimits.empty()) {
    Json u = Json::object();
    // As written: one number, or soft and hard.
    for (const auto& [name, l] : s.ulimits)
      u[name] = l.single ? Json(l.soft) : Json{{"soft", l.soft}, {"hard", l.hard}};
    j["ulimits"] = std::move(u);
  }
  put(j, "user", s.user);
  put(j, "uts", s.uts);
  if (!s.volumes.empty()) {
    Json list = Json::array();
    for (const auto& v : s.volumes) list.push_back(volume_mount_json(v));
    j["volumes"] = std::move(list);
  }
  put(j, "volumes_from", s.volumes_from);
  put(j, "working_dir", s.working_dir);
  put_extensions(j, s.extensions);  // compose-go inlines them after the typed fields
  return j;
}

Json network_json(const Network& n) {
  Json j = Json::object();
  put_str(j, "name", n.name);
  put(j, "driver", n.driver);
  put(j, "driver_opts", n.driver_opts);
  if (n.ipam) {
    Json ipam = Json::object();
    put(ipam, "driver", n.ipam->driver);
    if (!n.ipam->config.empty()) {
      Json pools = Json::array();
      for (const auto& p : n.ipam->config) {
        Json pj = Json::object();
        put(pj, "subnet", p.subnet);
        put(pj, "gateway", p.gateway);
        put(pj, "ip_range", p.ip_range);
        put(pj, "aux_addresses", p.aux_addresses);
        pools.push_back(std::move(pj));
      }
      ipam["config"] = std::move(pools);
    }
    put(ipam, "options", n.ipam->options);
    if (!ipam.empty()) j["ipam"] = std::move(ipam);
  }
  if (n.external) j["external"] = true;
  if (n.internal) j["internal"] = true;
  if (n.attachable) j["attachable"] = true;
  put(j, "labels", n.labels);
  if (n.enable_ipv4) j["enable_ipv4"] = *n.enable_ipv4;
  if (n.enable_ipv6) j["enable_ipv6"] = *n.enable_ipv6;
  return j;
}

Json volume_json(const Volume& v) {
  Json j = Json::object();
  put_str(j, "name", v.name);
  put(j, "driver", v.driver);
  put(j, "driver_opts", v.driver_opts);
  if (v.external) j["external"] = true;
  put(j, "labels", v.labels);
  return j;
}

Json file_object_json(const FileObject& f, bool is_config) {
  Json j = Json::object();
  put_str(j, "name", f.name);
  put(j, "file", f.file);
  put(j, "environment", f.environment);
  // Secret content is never printed; a config's only when it is not from the environment.
  if (is_config && !f.environment) put(j, "content", f.content);
  if (f.external) j["external"] = true;
  put(j, "labels", f.labels);
  return j;
}

template <class T, class F>
Json objects_json(const std::map<std::string, T>& objects, F&& fn) {
  Json j = Json::object();
  for (const auto& [key, value] : objects) j[key] = fn(value);
  return j;
}

}  // namespace

Json to_json(const Project& project, OutputFormat format) {
  Json services = objects_json(project.services, [&](const Service& s) { return service_json(s, format); });

  Json networks = objects_json(project.networks, network_json);
  bool needs_default = false;
  for (const auto& [_, s] : project.services) needs_default = needs_default || uses_default_network(s);
  if (needs_default && !networks.contains("default")) {
    // compose adds the implicit network to the model; print it where compose does (sorted).
    Json sorted = Json::object();
    Network def;
    def.key = "default";
    def.name = project.name + "_default";
    bool placed = false;
    for (auto& [k, v] : networks.items()) {
      if (!placed && k > "default") {
        sorted["default"] = network_json(def);
        placed = true;
      }
      sorted[k] = v;
    }
    if (!placed) sorted["default"] = network_json(def);
    networks = std::move(sorted);
  }
  Json volumes = objects_json(project.volumes, volume_json);
  Json secrets = objects_json(project.secrets, [](const FileObject& f) { return file_object_json(f, false); });
  Json configs = objects_json(project.configs, [](const FileObject& f) { return file_object_json(f, true); });

  Json out = Json::object();
  auto add = [&](const char* key, Json value, bool always = false) {
    if (always || !value.empty()) out[key] = std::move(value);
  };
  if (format == OutputFormat::Json) {
    // compose-go builds a Go map for JSON, and Go sorts map keys.
    add("configs", std::move(configs));
    out["name"] = project.name;
    add("networks", std::move(networks));
    add("secrets", std::move(secrets));
    add("services", std::move(services), true);
    add("volumes", std::move(volumes));
  } else {
    if (!project.name.empty()) out["name"] = project.name;
    add("services", std::move(services), true);
    add("networks", std::move(networks));
    add("volumes", std::move(volumes));
    add("secrets", std::move(secrets));
    add("configs", std::move(configs));
  }
  put_extensions(out, project.extensions);
  return out;
}

std::string to_json_text(const Json& value) {
  std::string text = value.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // Go's encoder escapes these for HTML safety; they only occur inside strings.
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace brick::compose
