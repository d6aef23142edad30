#include "orchestrator/translate.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "base/strings.hpp"
#include "compose/serialize.hpp"
#include "engine/container_request.hpp"
#include "engine/spec_options.hpp"
#include "gpu/cdi.hpp"
#include "images/archive.hpp"
#include "net/mac.hpp"

namespace brick::orchestrator {
namespace {

using std::chrono::nanoseconds;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<RestartPolicy> restart_policy(const compose::Service& s) {
  auto map_name = [](std::string_view n) -> std::string {
    if (n == "none" || n.empty()) return "no";
    if (n == "any") return "always";
    return std::string(n);
  };
  RestartPolicy policy;
  if (s.restart) {
    auto parts = split(*s.restart, ':');
    policy.name = map_name(parts.empty() ? "" : parts[0]);
    if (parts.size() == 2 && all_digits(parts[1])) policy.max_retries = std::stoull(parts[1]);
    if (parts.size() > 2 || (parts.size() == 2 && (!all_digits(parts[1]) || policy.name != "on-failure")))
      return fail("service `" + s.name + "`: restart: `" + *s.restart + "` is not a restart policy");
  }
  // compose lets deploy.restart_policy win over `restart`.
  if (s.deploy && s.deploy->restart_policy) {
    const auto& p = *s.deploy->restart_policy;
    policy.name = map_name(p.condition.value_or("any"));
    policy.max_retries = p.max_attempts.value_or(0);
  }
  static const std::vector<std::string> known = {"no", "always", "on-failure", "unless-stopped"};
  if (std::find(known.begin(), known.end(), policy.name) == known.end())
    return fail("service `" + s.name + "`: unknown restart policy `" + policy.name + "`");
  return policy;
}

// The image's healthcheck, with every field the service sets replacing the
// image's (docker's merge); `disable: true` or a NONE test turns it off.
std::optional<HealthcheckSpec> healthcheck(const compose::Service& s, const images::ImageConfig& image) {
  HealthcheckSpec hc;
  if (image.healthcheck) {
    const auto& ih = *image.healthcheck;
    hc.test = ih.test;
    if (ih.interval_ns > 0) hc.interval = nanoseconds(ih.interval_ns);
    if (ih.timeout_ns > 0) hc.timeout = nanoseconds(ih.timeout_ns);
    if (ih.start_period_ns > 0) hc.start_period = nanoseconds(ih.start_period_ns);
    if (ih.start_interval_ns > 0) hc.start_interval = nanoseconds(ih.start_interval_ns);
    if (ih.retries > 0) hc.retries = static_cast<uint64_t>(ih.retries);
  }
  if (s.healthcheck) {
    const auto& sh = *s.healthcheck;
    if (sh.disable) return std::nullopt;
    if (!sh.test.empty()) hc.test = sh.test;
    if (sh.interval && sh.interval->count() > 0) hc.interval = *sh.interval;
    if (sh.timeout && sh.timeout->count() > 0) hc.timeout = *sh.timeout;
    if (sh.start_period) hc.start_period = *sh.start_period;
    if (sh.start_interval && sh.start_interval->count() > 0) hc.start_interval = *sh.start_interval;
    if (sh.retries && *sh.retries > 0) hc.retries = *sh.retries;
  }
  if (hc.test.empty() || hc.test[0] == "NONE") return std::nullopt;
  return hc;
}

Result<std::string> signal_name(const std::string& service, const std::string& written) {
  static const std::vector<std::string> names = {"HUP",  "INT",    "QUIT", "ILL",   "TRAP", "ABRT", "BUS",  "FPE",
                                                 "KILL", "USR1",   "SEGV", "USR2",  "PIPE", "ALRM", "TERM", "STKFLT",
                                                 "CHLD", "CONT",   "STOP", "TSTP",  "TTIN", "TTOU", "URG",  "XCPU",
                                                 "XFSZ", "VTALRM", "PROF", "WINCH", "IO",   "PWR",  "SYS"};
  std::string name = upper(written);
  if (starts_with(name, "SIG")) name = name.substr(3);
  if (all_digits(name)) {
    unsigned long n = std::stoul(name);
    if (n >= 1 && n <= names.size()) return "SIG" + names[n - 1];
  } else if (std::find(names.begin(), names.end(), name) != names.end()) {
    return "SIG" + name;
  }
  return fail("service `" + service + "`: stop_signal: `" + written + "` is not a signal");
}

// docker's HostConfig resources from compose (compose's getDeployResources):
// the service-level fields, then deploy.resources.limits/reservations over them.
engine::Resources resources(const compose::Service& s) {
  engine::Resources r;
  std::optional<double> cpus = s.cpus;
  std::optional<int64_t> memory = s.mem_limit, reservation = s.mem_reservation, pids = s.pids_limit;
  if (s.deploy) {
    const auto& lim = s.deploy->limits;
    if (lim.memory && *lim.memory != 0) memory = lim.memory;
    if (lim.cpus && *lim.cpus != 0) cpus = lim.cpus;
    if (lim.pids && *lim.pids != 0) pids = lim.pids;
    const auto& res = s.deploy->reservations;
    if (res.memory && *res.memory != 0) reservation = res.memory;
  }
  if (memory && *memory > 0) r.memory = *memory;
  if (reservation && *reservation > 0) r.memory_reservation = *reservation;
  if (s.memswap_limit && *s.memswap_limit != 0) r.memory_swap = *s.memswap_limit;
  if (s.cpu_shares && *s.cpu_shares > 0) r.cpu_shares = static_cast<uint64_t>(*s.cpu_shares);
  if (s.cpuset) r.cpuset_cpus = *s.cpuset;
  if (pids && *pids != 0) r.pids_limit = *pids;
  if (cpus && *cpus > 0) r.cpus = *cpus;
  if (s.cpu_period && *s.cpu_period > 0) r.cpu_period = static_cast<uint64_t>(*s.cpu_period);
  if (s.cpu_quota && *s.cpu_quota != 0) r.cpu_quota = *s.cpu_quota;
  if (s.shm_size && *s.shm_size > 0) r.shm_size = *s.shm_size;
  return r;
}

// A service's per-container options as the engine's request. A key of
// `environment` without a value was not in brick's environment when the
// project loaded: it is left out. A relative `seccomp=FILE` is read from
// the project directory, as docker compose reads it.
engine::ContainerRequest container_request(const compose::Project& p, const compose::Service& s) {
  engine::ContainerRequest r;
  r.entrypoint = s.entrypoint;
  r.cmd = s.command;
  r.working_dir = s.working_dir.value_or("");
  for (const auto& [key, value] : s.environment)
    if (value) r.env.push_back(key + "=" + *value);
  r.tty = s.tty.value_or(false);
  for (const auto& [name, limit] : s.ulimits) r.ulimits.push_back({name, limit.soft, limit.hard});
  r.cap_add = s.cap_add;
  r.cap_drop = s.cap_drop;
  r.privileged = s.privileged.value_or(false);
  r.security_opt = s.security_opt;
  r.security_opt_dir = p.working_dir;
  r.read_only = s.read_only.value_or(false);
  r.resources = resources(s);
  return r;
}

// `net.*` sysctls belong to the network namespace, and with the host's
// namespace they are the host's. Refused here, before `up` creates anything,
// for network_mode: host and for `service:X` where X (through any chain of
// `service:` references) has it: at spawn the namespace such a service joins
// is just a path. A `container:NAME` is only known once NAME runs:
// runtime::check_sysctl compares the joined namespace with the host's.
Status network_sysctls(const compose::Project& p, const compose::Service& s) {
  auto key =
      std::find_if(s.sysctls.begin(), s.sysctls.end(), [](const auto& kv) { return kv.first.starts_with("net."); });
  if (key == s.sysctls.end()) return {};
  std::string mode = s.network_mode.value_or("");
  std::vector<std::string> via;
  std::set<std::string> seen{s.name};
  while (mode.starts_with("service:")) {
    const std::string next = mode.substr(std::string_view("service:").size());
    const compose::Service* t = p.service(next);
    if (!t || !seen.insert(next).second) break;  // the graph reports both
    via.push_back(next);
    mode = t->network_mode.value_or("");
  }
  if (mode != "host") return {};
  std::string why = "network_mode `host` shares the host's network namespace";
  if (!via.empty()) {
    why = "network_mode `" + *s.network_mode + "` shares the network namespace of service `" + via.front() + "`";
    for (size_t i = 1; i < via.size(); ++i) why += ", which shares that of service `" + via[i] + "`";
    why += ", which is the host's (network_mode: host)";
  }
  return fail("service `" + s.name + "`: sysctl `" + key->first + "` is refused: " + why +
              ", so setting it would change the host");
}

void drop_namespace(runtime::ContainerSpec& spec, std::string_view type) {
  std::erase_if(spec.linux.namespaces, [&](const runtime::Namespace& ns) { return ns.type == type; });
}

std::string depends_on_label(const compose::Service& s) {
  std::vector<std::string> deps;
  for (const auto& [name, d] : s.depends_on)
    deps.push_back(name + ":" + d.condition + ":" + (d.restart ? "true" : "false"));
  return join(deps, ",");
}

// compose `volumes:` (already in long form) and `tmpfs:` → mount requests;
// named volumes by their full names, with their declarations beside them.
Status mount_requests(const compose::Project& p, const compose::Service& s, DesiredContainer& c) {
  for (size_t i = 0; i < s.volumes.size(); ++i) {
    const compose::ServiceVolume& v = s.volumes[i];
    std::string what = "service `" + s.name + "`: volumes[" + std::to_string(i) + "] (" + v.target + ")";
    volumes::MountRequest m;
    m.target = v.target;
    m.read_only = v.read_only;
    if (v.type == "bind") {
      m.kind = volumes::MountKind::bind;
      if (!v.source || v.source->empty()) return fail(what + ": a bind mount needs a source");
      m.source = *v.source;
      m.propagation = v.bind_propagation.value_or("");
      m.create_host_path = v.bind_create_host_path.value_or(true);
      m.selinux = v.bind_selinux.value_or("");
    } else if (v.type == "volume") {
      m.kind = volumes::MountKind::volume;
      m.nocopy = v.volume_nocopy.value_or(false);
      m.subpath = v.volume_subpath.value_or("");
      if (v.source && !v.source->empty()) {
        auto decl = p.volumes.find(*v.source);
        if (decl == p.volumes.end()) return fail(what + ": volume `" + *v.source + "` is not declared in `volumes`");
        m.source = decl->second.name;
        if (decl->second.driver && *decl->second.driver != "local")
          return fail(what + ": volume `" + *v.source + "`: driver `" + *decl->second.driver +
                      "` is not supported (only `local`)");
        c.volume_decls[m.source] = {decl->second.external, decl->second.driver_opts, decl->second.labels};
      }
    } else if (v.type == "tmpfs") {
      m.kind = volumes::MountKind::tmpfs;
      if (v.tmpfs_size) {
        if (*v.tmpfs_size < 0) return fail(what + ": tmpfs size cannot be negative");
        m.tmpfs_size = static_cast<uint64_t>(*v.tmpfs_size);
      }
      m.tmpfs_mode = v.tmpfs_mode;
    } else {
      return fail(what + ": mount type `" + v.type + "` is not supported (bind, volume or tmpfs)");
    }
    c.mounts.push_back(std::move(m));
  }
  for (const auto& t : s.tmpfs) {
    auto m = volumes::parse_tmpfs_flag(t);
    if (!m) return fail("service `" + s.name + "`: tmpfs `" + t + "`: " + m.error().full());
    c.mounts.push_back(std::move(*m));
  }
  return {};
}

Result<std::optional<uint32_t>> id_number(const std::string& what, const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::optional<uint32_t>{};
  if (!all_digits(*text) || text->size() > 10 || std::stoull(*text) > UINT32_MAX)
    return fail(what + ": `" + *text + "` is not a numeric id");
  return std::optional<uint32_t>(static_cast<uint32_t>(std::stoull(*text)));
}

// compose `secrets:`/`configs:` of a service → file requests: content from
// the top-level object's file, environment variable or inline content.
Result<std::vector<volumes::FileMountRequest>> file_requests(const compose::Project& p, const compose::Service& s,
                                                             const std::vector<compose::FileReference>& refs,
                                                             const std::map<std::string, compose::FileObject>& objects,
                                                             const std::string& kind) {
  std::vector<volumes::FileMountRequest> out;
  for (const auto& ref : refs) {
    std::string what = "service `" + s.name + "`: " + kind + "s: `" + ref.source + "`";
    auto obj = objects.find(ref.source);
    if (obj == objects.end()) return fail(what + " is not declared in the top-level `" + kind + "s`");
    const compose::FileObject& o = obj->second;
    if (o.external) return fail(what + ": external " + kind + "s exist only in swarm mode");
    volumes::FileMountRequest r;
    r.name = ref.source;
    r.target = ref.target.value_or("");
    if (o.file) {
      r.file = *o.file;
    } else if (o.content) {
      r.content = *o.content;
    } else if (o.environment) {
      auto v = p.environment.find(*o.environment);
      if (v == p.environment.end()) return fail(what + ": environment variable `" + *o.environment + "` is not set");
      r.content = v->second;
    } else {
      return fail(what + ": no `file`, `environment` or `content`");
    }
    r.uid = BRICK_TRY(id_number(what + ": uid", ref.uid));
    r.gid = BRICK_TRY(id_number(what + ": gid", ref.gid));
    r.mode = ref.mode;
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<net::PortMapping>> port_mappings(const compose::Service& s) {
  std::vector<net::PortMapping> out;
  for (const auto& port : s.ports) {
    auto m = net::port_from_long(port.target, port.published.value_or(""), port.host_ip.value_or(""), port.protocol);
    if (!m) return fail("service `" + s.name + "`: ports: " + std::to_string(port.target) + ": " + m.error().full());
    out.insert(out.end(), m->begin(), m->end());
  }
  return out;
}

// A compose MAC address, checked and written as net::format_mac does.
Result<std::string> mac_address(const compose::Service& s, const std::string& field, const std::string& text) {
  auto mac = net::parse_mac(text);
  if (!mac) return fail("service `" + s.name + "`: " + field + ": " + mac.error().message());
  return net::format_mac(*mac);
}

// The networks to join, highest priority first, then by name (compose's
// order); none with a network_mode. The service-level mac_address goes to
// the first of them, the primary network, as docker compose does.
Result<std::vector<NetworkAttachment>> network_attachments(const compose::Project& p, const compose::Service& s) {
  std::vector<NetworkAttachment> out;
  if (s.network_mode && !s.network_mode->empty()) {
    // docker: "conflicting options: mac-address and the network mode".
    if (s.mac_address && *s.network_mode != "bridge")
      return fail("service `" + s.name + "`: mac_address cannot be combined with network_mode `" + *s.network_mode +
                  "`");
    return out;
  }
  std::map<std::string, std::optional<compose::ServiceNetwork>> wanted = s.networks;
  if (wanted.empty()) wanted.emplace("default", std::nullopt);
  for (const auto& [key, how] : wanted) {
    NetworkAttachment a;
    a.key = key;
    auto decl = p.networks.find(key);
    if (decl != p.networks.end())
      a.name = decl->second.name;
    else if (key == "default")
      a.name = p.name + "_default";
    else
      return fail("service `" + s.name + "`: network `" + key + "` is not declared in `networks`");
    a.aliases.push_back(s.name);
    if (how) {
      for (const auto& alias : how->aliases)
        if (std::find(a.aliases.begin(), a.aliases.end(), alias) == a.aliases.end()) a.aliases.push_back(alias);
      a.ipv4_address = how->ipv4_address.value_or("");
      a.ipv6_address = how->ipv6_address.value_or("");
      if (how->mac_address)
        a.mac_address = BRICK_TRY(mac_address(s, "networks." + key + ".mac_address", *how->mac_address));
      a.priority = how->priority.value_or(0);
      a.gw_priority = how->gw_priority.value_or(0);
    }
    out.push_back(std::move(a));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const NetworkAttachment& a, const NetworkAttachment& b) { return a.priority > b.priority; });
  if (s.mac_address) {
    std::string mac = BRICK_TRY(mac_address(s, "mac_address", *s.mac_address));
    NetworkAttachment& primary = out.front();
    if (!primary.mac_address.empty() && primary.mac_address != mac)
      return fail("service `" + s.name + "`: mac_address `" + *s.mac_address + "` differs from networks." +
                  primary.key + ".mac_address `" + primary.mac_address + "` (the service-level one applies there)");
    primary.mac_address = mac;
  }
  return out;
}

// `host-gateway` stays the word unless the caller knows the address: it
// is the gateway of the network the container's default route goes through,
// known once the networks are joined (orchestrator/container_network.cpp).
Result<std::vector<net::HostEntry>> extra_hosts(const compose::Service& s, const std::string& host_gateway) {
  std::vector<net::HostEntry> out;
  for (const auto& text : s.extra_hosts) {
    auto e = net::parse_extra_host(text, host_gateway.empty() ? net::kHostGateway : std::string_view(host_gateway));
    if (!e) return fail("service `" + s.name + "`: extra_hosts: " + e.error().full());
    if (e->address == net::kHostGateway && s.network_mode == "none")
      return fail("service `" + s.name + "`: extra_hosts: `" + text +
                  "`: host-gateway needs a network, and network_mode is `none`");
    out.push_back(std::move(*e));
  }
  return out;
}

bool is_gpu_request(const compose::DeviceRequest& d) {
  if (std::find(d.capabilities.begin(), d.capabilities.end(), "gpu") != d.capabilities.end()) return true;
  return d.driver && *d.driver == "nvidia";
}

gpu::GpuRequest gpu_request(const compose::DeviceRequest& d, const std::string& service, const std::string& holder) {
  gpu::GpuRequest g;
  g.service = service;
  g.holder = holder;
  g.driver = d.driver.value_or("nvidia");
  g.count = d.count;
  g.device_ids = d.device_ids;
  if (!d.count && d.device_ids.empty()) g.count = -1;  // compose: no count and no ids take every GPU
  auto shared = d.options.find("shared");
  g.shared = shared != d.options.end() && gpu::option_true(shared->second);
  g.capabilities = d.capabilities;
  if (std::find(g.capabilities.begin(), g.capabilities.end(), "gpu") == g.capabilities.end())
    g.capabilities.insert(g.capabilities.begin(), "gpu");
  return g;
}

// deploy.resources.reservations.devices, then `gpus:`; CDI names and host
// device nodes from `devices:`.
Status device_requests(const compose::Project& p, const compose::Service& s, DesiredContainer& c) {
  std::string holder = p.name + "/" + c.name;
  if (s.deploy) {
    const auto& devices = s.deploy->reservations.devices;
    for (size_t i = 0; i < devices.size(); ++i) {
      if (!is_gpu_request(devices[i]))
        return fail("service `" + s.name + "`: deploy.resources.reservations.devices[" + std::to_string(i) +
                    "]: only GPU reservations (capabilities: [gpu]) are supported");
      c.gpus.push_back(gpu_request(devices[i], s.name, holder));
    }
  }
  if (s.gpus)
    for (const auto& d : *s.gpus) c.gpus.push_back(gpu_request(d, s.name, holder));
  for (const auto& d : s.devices) {
    if (d.cdi) {
      if (!gpu::is_cdi_name(d.source))
        return fail("service `" + s.name + "`: devices: `" + d.source + "` is not a CDI device name");
      c.cdi_devices.push_back(d.source);
    } else {
      c.devices.push_back({d.source, d.target.empty() ? d.source : d.target, d.permissions});
    }
  }
  return {};
}
}  // namespace

std::string config_hash(const compose::Service& service) {
  compose::Project one;
  one.services.emplace(service.name, service);
  auto json = compose::to_json(one, compose::OutputFormat::Json);
  auto& s = json["services"][service.name];
  for (const char* key : {"build", "pull_policy", "scale", "depends_on", "profiles"}) s.erase(key);
  if (s.contains("deploy")) s["deploy"].erase("replicas");
  std::string text = s.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // Go's encoder escapes these; they only occur inside strings.
  std::string go;
  go.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': go += "\\u003c"; break;
      case '>': go += "\\u003e"; break;
      case '&': go += "\\u0026"; break;
      default: go += c;
    }
  }
  std::string digest = images::sha256_bytes(go);
  return digest.substr(digest.find(':') + 1);
}

std::string container_name(const std::string& project, const compose::Service& service, uint64_t number) {
  if (service.container_name) return *service.container_name;
  return project + "-" + service.name + "-" + std::to_string(number);
}

Result<DesiredContainer> translate(const TranslateInput& in) {
  const compose::Project& project = *in.project;
  const compose::Service& s = *in.service;
  const images::ImageConfig& image = *in.image;

  DesiredContainer c;
  c.service = s.name;
  c.number = in.number;
  c.name = container_name(project.name, s, in.number);
  c.image = s.image.value_or(project.name + "-" + s.name);
  c.image_id = in.image_id;

  runtime::ContainerSpec spec = runtime::default_spec();
  engine::ContainerRequest request = container_request(project, s);
  spec.process.args = engine::process_args(image.entrypoint, image.cmd, request);
  if (spec.process.args.empty())
    return fail("service `" + s.name + "`: no command specified (neither the service nor its image sets one)");
  BRICK_TRY_CTX(engine::with_working_dir(spec, image.working_dir, request), "service `" + s.name + "`");
  c.user = s.user.value_or(image.user);
  c.group_add = s.group_add;
  c.tty = s.tty.value_or(false);
  c.stdin_open = s.stdin_open.value_or(false);
  spec.process.terminal = c.tty;
  c.privileged = s.privileged.value_or(false);
  if (s.hostname)
    spec.hostname = *s.hostname;
  else
    spec.hostname = in.container_id.empty() ? c.name : in.container_id.substr(0, 12);

  // docker's per-container rules, the same as `brick run`'s (engine/).
  request.user = c.user;
  request.hostname = spec.hostname;
  engine::HostFacts host = engine::host_facts();
  host.hard_limits = in.hard_limits;
  c.warnings = BRICK_TRY_CTX(engine::apply_request(spec, request, image.env, host), "service `" + s.name + "`");
  BRICK_TRY(network_sysctls(project, s));
  for (const auto& [k, v] : s.sysctls) spec.linux.sysctl[k] = v;
  c.network_mode = s.network_mode.value_or("");
  c.ipc = s.ipc.value_or("");
  c.pid = s.pid.value_or("");
  c.uts = s.uts.value_or("");
  if (c.network_mode == "host") drop_namespace(spec, "network");
  if (c.ipc == "host") drop_namespace(spec, "ipc");
  if (c.pid == "host") drop_namespace(spec, "pid");
  if (c.uts == "host") drop_namespace(spec, "uts");
  if (s.cgroup == "host") drop_namespace(spec, "cgroup");

  c.init = s.init.value_or(false);
  std::string signal = s.stop_signal.value_or(image.stop_signal.empty() ? "SIGTERM" : image.stop_signal);
  c.stop_signal = BRICK_TRY(signal_name(s.name, signal));
  if (s.stop_grace_period) c.stop_grace_period = *s.stop_grace_period;
  c.restart = BRICK_TRY(restart_policy(s));
  c.healthcheck = healthcheck(s, image);
  c.spec = std::move(spec);

  BRICK_TRY(mount_requests(project, s, c));
  // The image's VOLUMEs that no mount covers: anonymous volumes, as docker's.
  for (const std::string& path : image.volumes)
    if (std::none_of(c.mounts.begin(), c.mounts.end(),
                     [&](const volumes::MountRequest& m) { return m.target == path; })) {
      volumes::MountRequest m;
      m.kind = volumes::MountKind::volume;
      m.target = path;
      c.mounts.push_back(std::move(m));
    }
  auto secrets = BRICK_TRY(file_requests(project, s, s.secrets, project.secrets, "secret"));
  c.secrets = std::move(secrets);
  auto configs = BRICK_TRY(file_requests(project, s, s.configs, project.configs, "config"));
  c.configs = std::move(configs);
  auto ports = BRICK_TRY(port_mappings(s));
  c.ports = std::move(ports);
  auto networks = BRICK_TRY(network_attachments(project, s));
  c.networks = std::move(networks);
  c.dns = {s.dns, s.dns_search, s.dns_opt};
  auto hosts = BRICK_TRY(extra_hosts(s, in.host_gateway));
  c.extra_hosts = std::move(hosts);
  BRICK_TRY(device_requests(project, s, c));

  // Image labels, then the service's, then compose's own (docker merges the
  // image's into the container's; compose's are set last so none is spoofed).
  c.labels = image.labels;
  for (const auto& [k, v] : s.labels) c.labels[k] = v;
  c.labels[std::string(kProjectLabel)] = project.name;
  c.labels[std::string(kServiceLabel)] = s.name;
  c.labels[std::string(kNumberLabel)] = std::to_string(in.number);
  c.labels[std::string(kOneoffLabel)] = in.oneoff ? "True" : "False";
  c.labels[std::string(kConfigHashLabel)] = config_hash(s);
  c.labels[std::string(kWorkingDirLabel)] = project.working_dir;
  c.labels[std::string(kConfigFilesLabel)] = join(project.config_files, ",");
  c.labels[std::string(kDependsOnLabel)] = depends_on_label(s);
  c.labels[std::string(kImageLabel)] = in.image_id;
  c.labels[std::string(kVersionLabel)] = in.version;
  return c;
}

}  // namespace brick::orchestrator
