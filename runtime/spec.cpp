#include "runtime/spec.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>
#include <utility>

#include "base/json.hpp"
#include "runtime/seccomp.hpp"

namespace brick::runtime {

using nlohmann::json;

namespace {

template <class T>
void write(json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}

const json& object_or_empty(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

json resources_to_json(const CgroupResources& r) {
  json out = json::object();
  json memory = json::object();
  write(memory, "limit", r.memory_limit);
  write(memory, "reservation", r.memory_reservation);
  write(memory, "swap", r.memory_swap);
  if (!memory.empty()) out["memory"] = memory;
  json cpu = json::object();
  write(cpu, "shares", r.cpu_shares);
  write(cpu, "quota", r.cpu_quota);
  write(cpu, "period", r.cpu_period);
  write(cpu, "cpus", r.cpuset_cpus);
  write(cpu, "mems", r.cpuset_mems);
  if (!cpu.empty()) out["cpu"] = cpu;
  // The spec has no cpu.weight field; its "unified" map carries raw v2 files.
  if (r.cpu_weight) out["unified"]["cpu.weight"] = std::to_string(*r.cpu_weight);
  if (r.pids_limit) out["pids"]["limit"] = *r.pids_limit;
  for (const DeviceRule& d : r.devices) {
    json rule = {{"allow", d.allow}, {"type", std::string(1, d.type)}, {"access", d.access}};
    if (d.major >= 0) rule["major"] = d.major;
    if (d.minor >= 0) rule["minor"] = d.minor;
    out["devices"].push_back(rule);
  }
  return out;
}

CgroupResources resources_from_json(const json& j) {
  CgroupResources r;
  const json& memory = object_or_empty(j, "memory");
  json_read(memory, "limit", r.memory_limit);
  json_read(memory, "reservation", r.memory_reservation);
  json_read(memory, "swap", r.memory_swap);
  const json& cpu = object_or_empty(j, "cpu");
  json_read(cpu, "shares", r.cpu_shares);
  json_read(cpu, "quota", r.cpu_quota);
  json_read(cpu, "period", r.cpu_period);
  json_read(cpu, "cpus", r.cpuset_cpus);
  json_read(cpu, "mems", r.cpuset_mems);
  const json& unified = object_or_empty(j, "unified");
  if (auto it = unified.find("cpu.weight"); it != unified.end()) {
    const std::string text = it->get<std::string>();
    uint64_t weight = 0;
    for (char c : text) {
      if (c < '0' || c > '9') throw json::type_error::create(302, "unified.cpu.weight is not a number", nullptr);
      weight = weight * 10 + static_cast<uint64_t>(c - '0');
    }
    r.cpu_weight = weight;
  }
  json_read(object_or_empty(j, "pids"), "limit", r.pids_limit);
  if (auto it = j.find("devices"); it != j.end() && it->is_array()) {
    for (const json& d : *it) {
      DeviceRule rule;
      json_read(d, "allow", rule.allow);
      std::string type = "a";
      json_read(d, "type", type);
      rule.type = type.empty() ? 'a' : type[0];
      json_read(d, "major", rule.major);
      json_read(d, "minor", rule.minor);
      json_read(d, "access", rule.access);
      r.devices.push_back(rule);
    }
  }
  return r;
}

json seccomp_to_json(const Seccomp& s) {
  json out = {{"defaultAction", s.default_action}, {"architectures", s.architectures}};
  if (s.default_errno_ret) out["defaultErrnoRet"] = *s.default_errno_ret;
  json syscalls = json::array();
  for (const SeccompSyscall& sc : s.syscalls) {
    json entry = {{"names", sc.names}, {"action", sc.action}};
    if (sc.errno_ret) entry["errnoRet"] = *sc.errno_ret;
    for (const SeccompArg& a : sc.args)
      entry["args"].push_back({{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
    syscalls.push_back(entry);
  }
  out["syscalls"] = syscalls;
  return out;
}

Seccomp seccomp_from_json(const json& j) {
  Seccomp s;
  json_read(j, "defaultAction", s.default_action);
  json_read(j, "defaultErrnoRet", s.default_errno_ret);
  json_read(j, "architectures", s.architectures);
  if (auto it = j.find("syscalls"); it != j.end() && it->is_array()) {
    for (const json& entry : *it) {
      SeccompSyscall sc;
      json_read(entry, "names", sc.names);
      json_read(entry, "action", sc.action);
      json_read(entry, "errnoRet", sc.errno_ret);
      json_read(entry, "args", sc.args);
      s.syscalls.push_back(std::move(sc));
    }
  }
  return s;
}

}  // namespace

void from_json(const json& j, SeccompArg& arg) {
  json_read(j, "index", arg.index);
  json_read(j, "value", arg.value);
  json_read(j, "valueTwo", arg.value_two);
  json_read(j, "op", arg.op);
}

Result<int> namespace_flag(std::string_view type) {
  static constexpr std::pair<std::string_view, int> kFlags[] = {
      {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC},
      {"uts", CLONE_NEWUTS}, {"mount", CLONE_NEWNS},    {"cgroup", CLONE_NEWCGROUP},
  };
  for (const auto& [name, flag] : kFlags)
    if (name == type) return flag;
  return fail("the " + std::string(type) + " namespace is not supported yet");
}

bool ContainerSpec::has_namespace(std::string_view type) const {
  return std::any_of(linux.namespaces.begin(), linux.namespaces.end(),
                     [&](const Namespace& ns) { return ns.type == type; });
}

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE",
  };
  return caps;
}

const std::vector<DeviceRule>& default_device_rules() {
  static const std::vector<DeviceRule> rules = {
      {false, 'a', -1, -1, "rwm"}, {true, 'c', -1, -1, "m"},  // mknod of any node; opening it is another question
      {true, 'b', -1, -1, "m"},    {true, 'c', 1, 3, "rwm"},  // null
      {true, 'c', 1, 5, "rwm"},                               // zero
      {true, 'c', 1, 7, "rwm"},                               // full
      {true, 'c', 1, 8, "rwm"},                               // random
      {true, 'c', 1, 9, "rwm"},                               // urandom
      {true, 'c', 5, 0, "rwm"},                               // tty
      {true, 'c', 5, 1, "rwm"},                               // console
      {true, 'c', 5, 2, "rwm"},                               // ptmx
      {true, 'c', 136, -1, "rwm"},                            // pts/*
      {true, 'c', 10, 200, "rwm"},                            // net/tun
      {true, 'c', 10, 229, "rwm"},                            // fuse
  };
  return rules;
}

ContainerSpec default_spec() {
  ContainerSpec spec;
  spec.process.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  spec.process.cwd = "/";
  const auto& caps = default_capabilities();
  // Docker leaves inheritable and ambient empty: a non-root exec then gets no
  // capabilities from file caps it did not earn.
  spec.process.capabilities = {caps, caps, {}, caps, {}};
  // docker's 1024, but never above brick's own hard limit: raising it would
  // need CAP_SYS_RESOURCE in the container and every start would fail with
  // EPERM where the caller's hard limit is lower (a CI runner, a systemd unit).
  uint64_t nofile = 1024;
  if (struct rlimit mine{}; ::getrlimit(RLIMIT_NOFILE, &mine) == 0 && mine.rlim_max != RLIM_INFINITY)
    nofile = std::min<uint64_t>(nofile, mine.rlim_max);
  spec.process.rlimits = {{"RLIMIT_NOFILE", nofile, nofile}};
  spec.process.no_new_privileges = true;
  // Resolved once: default_spec() is on every container's start.
  static const Seccomp seccomp = default_seccomp(caps);
  spec.linux.seccomp = seccomp;
  spec.hostname = "brick";
  spec.mounts = {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
  };
  for (const char* type : {"pid", "network", "ipc", "uts", "mount", "cgroup"})
    spec.linux.namespaces.push_back({type, ""});
  spec.linux.masked_paths = {"/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
                             "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                             "/proc/scsi",          "/sys/firmware"};
  spec.linux.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  spec.linux.resources.devices = default_device_rules();
  return spec;
}

namespace {

// The hook lists under their config.json keys.
template <typename H>
auto hook_lists(H& hooks) {
  using List = std::conditional_t<std::is_const_v<H>, const std::vector<Hook>, std::vector<Hook>>;
  return std::array<std::pair<const char*, List*>, 6>{{{"prestart", &hooks.prestart},
                                                       {"createRuntime", &hooks.create_runtime},
                                                       {"createContainer", &hooks.create_container},
                                                       {"startContainer", &hooks.start_container},
                                                       {"poststart", &hooks.poststart},
                                                       {"poststop", &hooks.poststop}}};
}

}  // namespace

void to_json(json& j, const ContainerSpec& spec) {
  const Process& p = spec.process;
  json user = {{"uid", p.user.uid}, {"gid", p.user.gid}};
  if (!p.user.additional_gids.empty()) user["additionalGids"] = p.user.additional_gids;
  json rlimits = json::array();
  for (const Rlimit& r : p.rlimits) rlimits.push_back({{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}});
  const Capabilities& c = p.capabilities;
  json process = {
      {"terminal", p.terminal},
      {"user", user},
      {"args", p.args},
      {"env", p.env},
      {"cwd", p.cwd},
      {"capabilities",
       {{"bounding", c.bounding},
        {"effective", c.effective},
        {"inheritable", c.inheritable},
        {"permitted", c.permitted},
        {"ambient", c.ambient}}},
      {"rlimits", rlimits},
      {"noNewPrivileges", p.no_new_privileges},
  };
  json mounts = json::array();
  for (const Mount& m : spec.mounts) {
    json mount = {{"destination", m.destination}, {"type", m.type}, {"source", m.source}};
    if (!m.options.empty()) mount["options"] = m.options;
    if (m.source_nofollow) mount["sourceNoFollow"] = true;
    mounts.push_back(mount);
  }
  json namespaces = json::array();
  for (const Namespace& ns : spec.linux.namespaces) {
    json entry = {{"type", ns.type}};
    if (!ns.path.empty()) entry["path"] = ns.path;
    namespaces.push_back(entry);
  }
  json linux_json = {
      {"namespaces", namespaces},
      {"maskedPaths", spec.linux.masked_paths},
      {"readonlyPaths", spec.linux.readonly_paths},
      {"resources", resources_to_json(spec.linux.resources)},
  };
  for (const LinuxDevice& d : spec.linux.devices) {
    json dev = {{"path", d.path}, {"type", std::string(1, d.type)}, {"major", d.major}, {"minor", d.minor}};
    if (d.file_mode) dev["fileMode"] = *d.file_mode;
    if (d.uid) dev["uid"] = *d.uid;
    if (d.gid) dev["gid"] = *d.gid;
    linux_json["devices"].push_back(dev);
  }
  if (!spec.linux.sysctl.empty()) linux_json["sysctl"] = spec.linux.sysctl;
  if (!spec.linux.cgroups_path.empty()) linux_json["cgroupsPath"] = spec.linux.cgroups_path;
  if (spec.linux.seccomp) linux_json["seccomp"] = seccomp_to_json(*spec.linux.seccomp);
  j = {
      {"ociVersion", spec.oci_version},
      {"process", process},
      {"root", {{"path", spec.root.path}, {"readonly", spec.root.readonly}}},
      {"hostname", spec.hostname},
      {"mounts", mounts},
      {"linux", linux_json},
  };
  if (!spec.ld_library_dirs.empty()) j["brick"] = {{"ldLibraryDirs", spec.ld_library_dirs}};
  json hooks = json::object();
  for (const auto& [key, list] : hook_lists(spec.hooks)) {
    if (list->empty()) continue;
    json entries = json::array();
    for (const Hook& h : *list) {
      json entry = {{"path", h.path}};
      if (!h.args.empty()) entry["args"] = h.args;
      if (!h.env.empty()) entry["env"] = h.env;
      if (h.timeout) entry["timeout"] = *h.timeout;
      entries.push_back(std::move(entry));
    }
    hooks[key] = std::move(entries);
  }
  if (!hooks.empty()) j["hooks"] = std::move(hooks);
}

void from_json(const json& j, ContainerSpec& spec) {
  if (!j.is_object()) throw json::type_error::create(302, "config is not an object", &j);
  spec = ContainerSpec{};
  json_read(j, "ociVersion", spec.oci_version);
  const json& p = object_or_empty(j, "process");
  json_read(p, "terminal", spec.process.terminal);
  const json& user = object_or_empty(p, "user");
  json_read(user, "uid", spec.process.user.uid);
  json_read(user, "gid", spec.process.user.gid);
  json_read(user, "additionalGids", spec.process.user.additional_gids);
  json_read(p, "args", spec.process.args);
  json_read(p, "env", spec.process.env);
  json_read(p, "cwd", spec.process.cwd);
  const json& caps = object_or_empty(p, "capabilities");
  json_read(caps, "bounding", spec.process.capabilities.bounding);
  json_read(caps, "effective", spec.process.capabilities.effective);
  json_read(caps, "inheritable", spec.process.capabilities.inheritable);
  json_read(caps, "permitted", spec.process.capabilities.permitted);
  json_read(caps, "ambient", spec.process.capabilities.ambient);
  if (auto it = p.find("rlimits"); it != p.end() && it->is_array()) {
    for (const json& r : *it) {
      Rlimit limit;
      json_read(r, "type", limit.type);
      json_read(r, "hard", limit.hard);
      json_read(r, "soft", limit.soft);
      spec.process.rlimits.push_back(limit);
    }
  }
  json_read(p, "noNewPrivileges", spec.process.no_new_privileges);
  const json& root = object_or_empty(j, "root");
  json_read(root, "path", spec.root.path);
  json_read(root, "readonly", spec.root.readonly);
  json_read(j, "hostname", spec.hostname);
  if (auto it = j.find("mounts"); it != j.end() && it->is_array()) {
    for (const json& m : *it) {
      Mount mount;
      json_read(m, "destination", mount.destination);
      json_read(m, "type", mount.type);
      json_read(m, "source", mount.source);
      json_read(m, "options", mount.options);
      json_read(m, "sourceNoFollow", mount.source_nofollow);
      spec.mounts.push_back(std::move(mount));
    }
  }
  const json& l = object_or_empty(j, "linux");
  if (auto it = l.find("namespaces"); it != l.end() && it->is_array()) {
    for (const json& ns : *it) {
      Namespace entry;
      json_read(ns, "type", entry.type);
      json_read(ns, "path", entry.path);
      spec.linux.namespaces.push_back(std::move(entry));
    }
  }
  if (auto it = l.find("devices"); it != l.end() && it->is_array()) {
    for (const json& d : *it) {
      LinuxDevice dev;
      json_read(d, "path", dev.path);
      std::string type = "c";
      json_read(d, "type", type);
      dev.type = type.empty() ? 'c' : type[0];
      json_read(d, "major", dev.major);
      json_read(d, "minor", dev.minor);
      json_read(d, "fileMode", dev.file_mode);
      json_read(d, "uid", dev.uid);
      json_read(d, "gid", dev.gid);
      spec.linux.devices.push_back(std::move(dev));
    }
  }
  json_read(l, "maskedPaths", spec.linux.masked_paths);
  json_read(l, "readonlyPaths", spec.linux.readonly_paths);
  json_read(l, "sysctl", spec.linux.sysctl);
  json_read(l, "cgroupsPath", spec.linux.cgroups_path);
  spec.linux.resources = resources_from_json(object_or_empty(l, "resources"));
  if (auto it = l.find("seccomp"); it != l.end() && it->is_object()) spec.linux.seccomp = seccomp_from_json(*it);
  json_read(object_or_empty(j, "brick"), "ldLibraryDirs", spec.ld_library_dirs);
  const json& hooks = object_or_empty(j, "hooks");
  for (auto& [key, list] : hook_lists(spec.hooks)) {
    auto it = hooks.find(key);
    if (it == hooks.end() || !it->is_array()) continue;
    for (const json& entry : *it) {
      Hook h;
      json_read(entry, "path", h.path);
      json_read(entry, "args", h.args);
      json_read(entry, "env", h.env);
      json_read(entry, "timeout", h.timeout);
      list->push_back(std::move(h));
    }
  }
}

std::string spec_to_json(const ContainerSpec& spec) {
  json j = spec;
  return json_text(j, 2) + "\n";
}

Result<ContainerSpec> parse_spec(std::string_view json_text) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail("parsing container config: not valid JSON");
  try {
    return doc.get<ContainerSpec>();
  } catch (const json::exception& e) {
    return fail(std::string("parsing container config: ") + e.what());
  }
}

}  // namespace brick::runtime
