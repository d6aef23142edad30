#include "orchestrator/translate.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "compose/serialize.hpp"
#include "images/archive.hpp"

namespace brick::orchestrator {
namespace {

using std::chrono::nanoseconds;

struct UlimitName {
  const char* compose;
  const char* rlimit;
  int resource;
};

// compose's (and docker's --ulimit) names for the RLIMIT_* resources.
constexpr UlimitName kUlimits[] = {
    {"core", "RLIMIT_CORE", RLIMIT_CORE},
    {"cpu", "RLIMIT_CPU", RLIMIT_CPU},
    {"data", "RLIMIT_DATA", RLIMIT_DATA},
    {"fsize", "RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"locks", "RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"memlock", "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"msgqueue", "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"nice", "RLIMIT_NICE", RLIMIT_NICE},
    {"nofile", "RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"nproc", "RLIMIT_NPROC", RLIMIT_NPROC},
    {"rss", "RLIMIT_RSS", RLIMIT_RSS},
    {"rtprio", "RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"rttime", "RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"sigpending", "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"stack", "RLIMIT_STACK", RLIMIT_STACK},
    {"as", "RLIMIT_AS", RLIMIT_AS},
};

// Every capability up to CAP_CHECKPOINT_RESTORE (Linux 5.9), for `ALL` and
// `privileged`.
const std::vector<std::string>& all_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",
      "CAP_DAC_OVERRIDE",
      "CAP_DAC_READ_SEARCH",
      "CAP_FOWNER",
      "CAP_FSETID",
      "CAP_KILL",
      "CAP_SETGID",
      "CAP_SETUID",
      "CAP_SETPCAP",
      "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE",
      "CAP_NET_BROADCAST",
      "CAP_NET_ADMIN",
      "CAP_NET_RAW",
      "CAP_IPC_LOCK",
      "CAP_IPC_OWNER",
      "CAP_SYS_MODULE",
      "CAP_SYS_RAWIO",
      "CAP_SYS_CHROOT",
      "CAP_SYS_PTRACE",
      "CAP_SYS_PACCT",
      "CAP_SYS_ADMIN",
      "CAP_SYS_BOOT",
      "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE",
      "CAP_SYS_TIME",
      "CAP_SYS_TTY_CONFIG",
      "CAP_MKNOD",
      "CAP_LEASE",
      "CAP_AUDIT_WRITE",
      "CAP_AUDIT_CONTROL",
      "CAP_SETFCAP",
      "CAP_MAC_OVERRIDE",
      "CAP_MAC_ADMIN",
      "CAP_SYSLOG",
      "CAP_WAKE_ALARM",
      "CAP_BLOCK_SUSPEND",
      "CAP_AUDIT_READ",
      "CAP_PERFMON",
      "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE",
  };
  return caps;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` all name CAP_NET_ADMIN, as docker accepts.
Result<std::string> capability_name(const std::string& service, std::string_view written) {
  std::string name = upper(written);
  if (name == "ALL") return name;
  if (!starts_with(name, "CAP_")) name = "CAP_" + name;
  const auto& all = all_capabilities();
  if (std::find(all.begin(), all.end(), name) == all.end())
    return fail("service `" + service + "`: unknown capability `" + std::string(written) + "`");
  return name;
}

// docker's TweakCapabilities: start from the defaults (or everything when
// privileged or `cap_add: [ALL]`), drop, then add; `cap_drop: [ALL]` empties
// the set first and only cap_add survives.
Result<std::vector<std::string>> capabilities(const compose::Service& s, bool privileged) {
  std::vector<std::string> adds, drops;
  for (const auto& c : s.cap_add) adds.push_back(BRICK_TRY(capability_name(s.name, c)));
  for (const auto& c : s.cap_drop) drops.push_back(BRICK_TRY(capability_name(s.name, c)));
  auto has = [](const std::vector<std::string>& v, std::string_view x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  if (privileged || has(adds, "ALL")) return all_capabilities();
  std::vector<std::string> caps;
  if (!has(drops, "ALL")) {
    for (const auto& c : runtime::default_capabilities())
      if (!has(drops, c)) caps.push_back(c);
  }
  for (const auto& c : adds)
    if (!has(caps, c)) caps.push_back(c);
  return caps;
}

// Docker's merge of image config and container config (daemon/commit.go):
// an empty entrypoint takes the image's Cmd when no command is given and the
// image's Entrypoint when none was written at all; a non-empty entrypoint
// replaces the image's and drops its Cmd.
std::vector<std::string> process_args(const compose::Service& s, const images::ImageConfig& image) {
  std::vector<std::string> entrypoint = s.entrypoint.value_or(std::vector<std::string>{});
  std::vector<std::string> cmd = s.command.value_or(std::vector<std::string>{});
  if (entrypoint.empty()) {
    if (cmd.empty()) cmd = image.cmd;
    if (!s.entrypoint) entrypoint = image.entrypoint;
  }
  entrypoint.insert(entrypoint.end(), cmd.begin(), cmd.end());
  return entrypoint;
}

void replace_or_append(std::vector<std::string>& env, const std::string& entry) {
  std::string_view key = std::string_view(entry).substr(0, entry.find('='));
  auto it = std::find_if(env.begin(), env.end(),
                         [&](const std::string& e) { return std::string_view(e).substr(0, e.find('=')) == key; });
  if (it != env.end())
    *it = entry;
  else
    env.push_back(entry);
}

// docker's CreateDaemonEnvironment: PATH, HOSTNAME and (with a tty) TERM,
// then the image's Env and the service's environment, each replacing a key in
// place or appending it (ReplaceOrAppendEnvValues). A key without a value was
// not in brick's environment when the project loaded: it is left out.
std::vector<std::string> environment(const compose::Service& s, const images::ImageConfig& image,
                                     const std::string& default_path, const std::string& hostname, bool tty) {
  std::vector<std::string> env = {default_path, "HOSTNAME=" + hostname};
  if (tty) env.push_back("TERM=xterm");
  for (const auto& entry : image.env) replace_or_append(env, entry);
  for (const auto& [key, value] : s.environment)
    if (value) replace_or_append(env, key + "=" + *value);
  return env;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `uid[:gid]` in numbers fills the spec; names wait for the runtime, which
// reads the image's passwd and group files.
void numeric_user(const std::string& user, runtime::User& out) {
  auto parts = split(user, ':');
  if (parts.empty() || parts.size() > 2 || !all_digits(parts[0])) return;
  if (parts.size() == 2 && !all_digits(parts[1])) return;
  out.uid = static_cast<uint32_t>(std::stoul(parts[0]));
  if (parts.size() == 2) out.gid = static_cast<uint32_t>(std::stoul(parts[1]));
}

Result<std::vector<runtime::Rlimit>> rlimits(const compose::Service& s, const HardLimits& hard_limits,
                                             std::vector<runtime::Rlimit> base) {
  for (const auto& [name, limit] : s.ulimits) {
    const UlimitName* known = nullptr;
    for (const auto& u : kUlimits)
      if (name == u.compose) known = &u;
    std::string what = "service `" + s.name + "`: ulimits." + name;
    if (!known) return fail(what + ": unknown resource `" + name + "`");
    if (limit.soft < 0 || limit.hard < 0) return fail(what + ": a limit cannot be negative");
    if (limit.soft > limit.hard)
      return fail(what + ": soft limit " + std::to_string(limit.soft) + " is above the hard limit " +
                  std::to_string(limit.hard));
    auto cap = hard_limits.find(known->rlimit);
    if (cap != hard_limits.end() && static_cast<uint64_t>(limit.hard) > cap->second)
      return fail(what + ": " + std::to_string(limit.hard) + " is above brick's own hard limit " +
                  std::to_string(cap->second) + " (raising it needs CAP_SYS_RESOURCE)");
    std::erase_if(base, [&](const runtime::Rlimit& r) { return r.type == known->rlimit; });
    base.push_back({known->rlimit, static_cast<uint64_t>(limit.hard), static_cast<uint64_t>(limit.soft)});
  }
  return base;
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
Result<runtime::CgroupResources> resources(const compose::Service& s) {
  runtime::CgroupResources r;
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
  if (memory && *memory > 0) r.memory_limit = *memory;
  if (reservation && *reservation > 0) r.memory_reservation = *reservation;
  if (s.memswap_limit && *s.memswap_limit != 0) r.memory_swap = *s.memswap_limit;
  if (s.cpu_shares && *s.cpu_shares > 0) r.cpu_shares = static_cast<uint64_t>(*s.cpu_shares);
  if (s.cpuset) r.cpuset_cpus = *s.cpuset;
  if (pids && *pids != 0) r.pids_limit = *pids;
  if (cpus && *cpus > 0) {
    if ((s.cpu_period && *s.cpu_period != 0) || (s.cpu_quota && *s.cpu_quota != 0))
      return fail("service `" + s.name + "`: cpus cannot be combined with cpu_period or cpu_quota");
    // docker's NanoCPUs: a quota of cpus periods of 100 ms.
    r.cpu_period = 100000;
    r.cpu_quota = static_cast<int64_t>(std::llround(*cpus * 100000));
  } else {
    if (s.cpu_period && *s.cpu_period > 0) r.cpu_period = static_cast<uint64_t>(*s.cpu_period);
    if (s.cpu_quota && *s.cpu_quota != 0) r.cpu_quota = *s.cpu_quota;
  }
  return r;
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

HardLimits host_hard_limits() {
  HardLimits out;
  for (const auto& u : kUlimits) {
    struct rlimit rl {};
    if (getrlimit(u.resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY) out[u.rlimit] = rl.rlim_max;
  }
  return out;
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
  spec.process.args = process_args(s, image);
  if (spec.process.args.empty())
    return fail("service `" + s.name + "`: no command specified (neither the service nor its image sets one)");
  spec.process.cwd = s.working_dir.value_or(image.working_dir.empty() ? "/" : image.working_dir);
  if (spec.process.cwd.empty() || spec.process.cwd[0] != '/')
    return fail("service `" + s.name + "`: working_dir `" + spec.process.cwd + "` is not an absolute path");
  c.user = s.user.value_or(image.user);
  numeric_user(c.user, spec.process.user);
  c.group_add = s.group_add;
  c.tty = s.tty.value_or(false);
  c.stdin_open = s.stdin_open.value_or(false);
  spec.process.terminal = c.tty;

  std::vector<runtime::Rlimit> limits = BRICK_TRY(rlimits(s, in.hard_limits, spec.process.rlimits));
  spec.process.rlimits = std::move(limits);

  c.privileged = s.privileged.value_or(false);
  std::vector<std::string> caps = BRICK_TRY(capabilities(s, c.privileged));
  spec.process.capabilities = {caps, caps, {}, caps, {}};
  if (c.privileged) {
    // docker: nothing masked or read-only under /proc, /sys writable.
    spec.linux.masked_paths.clear();
    spec.linux.readonly_paths.clear();
    for (auto& m : spec.mounts)
      if (m.destination == "/sys") std::erase(m.options, "ro");
  }
  for (const auto& opt : s.security_opt)
    if (opt == "no-new-privileges:false") spec.process.no_new_privileges = false;

  if (s.hostname)
    spec.hostname = *s.hostname;
  else
    spec.hostname = in.container_id.empty() ? c.name : in.container_id.substr(0, 12);
  std::string default_path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : spec.process.env)
    if (starts_with(e, "PATH=")) default_path = e;
  spec.process.env = environment(s, image, default_path, spec.hostname, c.tty);
  for (const auto& [k, v] : s.sysctls) spec.linux.sysctl[k] = v;
  if (s.shm_size && *s.shm_size > 0) {
    for (auto& m : spec.mounts) {
      if (m.destination != "/dev/shm") continue;
      std::erase_if(m.options, [](const std::string& o) { return starts_with(o, "size="); });
      m.options.push_back("size=" + std::to_string(*s.shm_size));
    }
  }
  spec.root.readonly = s.read_only.value_or(false);
  runtime::CgroupResources res = BRICK_TRY(resources(s));
  spec.linux.resources = std::move(res);

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
