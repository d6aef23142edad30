// `brick run` and `brick create`: docker's flags turned into a ContainerSpec
// on top of the image's config, then a record and (for run) a monitor.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "cli/container_cmd.hpp"
#include "cli/foreground.hpp"
#include "compose/units.hpp"
#include "gpu/discovery.hpp"
#include "gpu/ledger.hpp"
#include "images/store.hpp"
#include "net/container_network.hpp"
#include "net/mac.hpp"
#include "net/network.hpp"
#include "orchestrator/gpu_grant.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/container.hpp"
#include "runtime/security.hpp"
#include "volumes/mounts.hpp"
#include "volumes/volume_store.hpp"

namespace brick::cli {

Status apply_env_flag(std::vector<std::string>& env, const std::string& entry) {
  if (entry.empty() || entry[0] == '=') return fail("invalid environment variable: " + entry);
  size_t eq = entry.find('=');
  std::string key = entry.substr(0, eq);
  std::string full = entry;
  if (eq == std::string::npos) {
    const char* v = ::getenv(key.c_str());
    if (v == nullptr) return {};
    full = key + "=" + v;
  }
  set_env(env, full);
  return {};
}

namespace {

using namespace brick::runtime;

struct RunOptions {
  bool rm = false, detach = false, read_only = false, interactive = false, tty = false;
  std::string name, hostname, domainname, ip, memory, memory_swap, user, workdir, shm_size;
  std::string restart = "no", stop_signal;
  std::optional<std::string> entrypoint;
  std::optional<int> stop_timeout;
  double cpus = 0;
  int64_t pids_limit = 0;
  std::vector<std::string> env, env_files, ulimits, labels;
  std::vector<std::string> command;  // IMAGE [CMD...]
  std::string log_max_size, log_max_file;
  std::vector<std::string> log_opts;
  bool init = false, privileged = false;
  std::vector<std::string> cap_add, cap_drop, security_opt, group_add;
  std::vector<std::string> volumes, mounts, tmpfs;
  // --health-*: "" keeps the image's value.
  std::string health_cmd, health_interval, health_timeout, health_start_period, health_start_interval;
  int health_retries = 0;
  bool no_healthcheck = false;
  std::string gpus;  // --gpus all|N|device=ID,...
  std::vector<std::string> networks, network_aliases, publish, dns, dns_search, dns_options, add_hosts;
  std::string mac_address;  // --mac-address: for the first --network, as docker's
};

// The image's HEALTHCHECK, then --health-* over it (docker's merge);
// --no-healthcheck or a NONE test: none.
Result<std::optional<HealthcheckConfig>> healthcheck(const RunOptions& o, const images::ImageConfig& cfg) {
  std::optional<HealthcheckConfig> h;
  if (cfg.healthcheck) {
    const auto& ih = *cfg.healthcheck;
    h = HealthcheckConfig{ih.test, ih.interval_ns, ih.timeout_ns, ih.start_period_ns, ih.start_interval_ns, ih.retries};
  }
  if (o.no_healthcheck) {
    if (!o.health_cmd.empty()) return fail("--no-healthcheck conflicts with --health-* options");
    return std::optional<HealthcheckConfig>();
  }
  if (!o.health_cmd.empty()) {
    if (!h) h = HealthcheckConfig{};
    h->test = {"CMD-SHELL", o.health_cmd};
  }
  auto duration = [](const std::string& text, const char* flag, int64_t& into) -> Status {
    if (text.empty()) return {};
    auto d = compose::parse_duration(text);
    if (!d) return fail(std::string("invalid ") + flag + " `" + text + "`: " + d.error().message());
    if (d->count() < 0) return fail(std::string(flag) + " cannot be negative");
    into = d->count();
    return {};
  };
  if (h) {
    BRICK_TRY(duration(o.health_interval, "--health-interval", h->interval_ns));
    BRICK_TRY(duration(o.health_timeout, "--health-timeout", h->timeout_ns));
    BRICK_TRY(duration(o.health_start_period, "--health-start-period", h->start_period_ns));
    BRICK_TRY(duration(o.health_start_interval, "--health-start-interval", h->start_interval_ns));
    if (o.health_retries < 0) return fail("--health-retries cannot be negative");
    if (o.health_retries > 0) h->retries = o.health_retries;
    if (h->test.empty() || h->test[0] == "NONE") h.reset();
  }
  return h;
}

// docker's units.RAMInBytes: "32m", "1g", "512k", "100" (bytes).
Result<int64_t> parse_bytes(const std::string& text) {
  std::string s = to_lower(trim(text));
  size_t end = 0;
  double value = 0;
  try {
    value = std::stod(s, &end);
  } catch (...) {
    return fail("invalid size: '" + text + "'");
  }
  std::string unit = s.substr(end);
  if (!unit.empty() && unit.back() == 'b' && unit.size() > 1) unit.pop_back();
  if (unit == "ib" || unit.ends_with("ib")) unit = unit.substr(0, unit.size() - 2);
  double scale = 1;
  if (unit.empty() || unit == "b")
    scale = 1;
  else if (unit == "k")
    scale = 1024;
  else if (unit == "m")
    scale = 1024.0 * 1024;
  else if (unit == "g")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "t")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else
    return fail("invalid size: '" + text + "'");
  if (value < 0) return fail("invalid size: '" + text + "'");
  return static_cast<int64_t>(value * scale);
}

Result<int64_t> parse_int(const std::string& text, const std::string& what) {
  if (text.empty() || text.find_first_not_of("-0123456789") != std::string::npos)
    return fail("invalid " + what + ": '" + text + "'");
  return std::stoll(text);
}

// "nofile=1024:2048" or "nproc=512".
Result<Rlimit> parse_ulimit(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) return fail("invalid ulimit argument: " + text);
  std::string type = "RLIMIT_" + std::string(text.substr(0, eq));
  for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string values = text.substr(eq + 1);
  size_t colon = values.find(':');
  int64_t soft = BRICK_TRY(parse_int(values.substr(0, colon), "ulimit"));
  int64_t hard = colon == std::string::npos ? soft : BRICK_TRY(parse_int(values.substr(colon + 1), "ulimit"));
  if (soft > hard) return fail("ulimit soft limit must be less than or equal to hard limit: " + text);
  static const std::map<std::string, int> kKnown = {
      {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},     {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},           {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},       {"RLIMIT_AS", RLIMIT_AS}};
  auto it = kKnown.find(type);
  if (it == kKnown.end()) return fail("invalid ulimit type: " + text.substr(0, eq));
  // Without CAP_SYS_RESOURCE no one can raise a hard limit: say so here,
  // naming the limit, instead of failing inside the container's setup.
  struct rlimit mine {};
  ::getrlimit(static_cast<__rlimit_resource>(it->second), &mine);
  if (mine.rlim_max != RLIM_INFINITY && hard >= 0 && static_cast<rlim_t>(hard) > mine.rlim_max)
    return fail("ulimit " + text + ": the hard limit " + std::to_string(hard) + " is above this process's hard limit " +
                std::to_string(mine.rlim_max));
  return Rlimit{type, static_cast<uint64_t>(hard), static_cast<uint64_t>(soft)};
}

// Checks -v/--mount/--tmpfs now (a usage error is 125 before anything
// exists), makes the anonymous volumes (one per container, not per start)
// and records the named ones, so `volume rm` sees them in use from create
// on. The monitor mounts them (cli/container_cmd.cpp), once the rootfs is
// there to fill an empty volume from.
// The image's VOLUMEs that no -v, --mount or --tmpfs covers become anonymous
// volumes, as docker makes them (`-v PATH`).
Result<RunOptions> with_image_volumes(const RunOptions& o, const std::vector<std::string>& image_volumes) {
  std::set<std::string> covered;
  for (const std::string& f : o.volumes)
    covered.insert(BRICK_TRY_CTX(volumes::parse_volume_flag(f), "-v `" + f + "`").target);
  for (const std::string& f : o.mounts)
    covered.insert(BRICK_TRY_CTX(volumes::parse_mount_flag(f), "--mount `" + f + "`").target);
  for (const std::string& f : o.tmpfs)
    covered.insert(BRICK_TRY_CTX(volumes::parse_tmpfs_flag(f), "--tmpfs `" + f + "`").target);
  RunOptions out = o;
  for (const std::string& path : image_volumes)
    if (!covered.contains(path)) out.volumes.push_back(path);
  return out;
}

Status check_mounts(const RunOptions& o, const Context& ctx, CreateOptions& c) {
  if (o.volumes.empty() && o.mounts.empty() && o.tmpfs.empty()) return {};
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return fail_errno("reading the working directory");
  c.mount_base_dir = cwd;
  std::optional<volumes::VolumeStore> store;
  auto volume_name = [&](volumes::MountRequest& r) -> Result<std::string> {
    if (!r.source.empty()) return r.source;
    if (!store) store.emplace(BRICK_TRY(volumes::VolumeStore::open(ctx.global.root)));
    volumes::Volume v = BRICK_TRY(store->create_anonymous(r.volume_opts, r.volume_labels));
    return v.name;
  };
  for (const std::string& flag : o.volumes) {
    volumes::MountRequest r = BRICK_TRY_CTX(volumes::parse_volume_flag(flag), "-v `" + flag + "`");
    std::string entry = flag;
    if (r.kind == volumes::MountKind::volume) {
      std::string name = BRICK_TRY(volume_name(r));
      if (r.source.empty()) entry = name + ":" + flag, c.anonymous_volumes.push_back(name);
      c.volumes.push_back(name);
    }
    c.volume_flags.push_back(entry);
  }
  for (const std::string& flag : o.mounts) {
    volumes::MountRequest r = BRICK_TRY_CTX(volumes::parse_mount_flag(flag), "--mount `" + flag + "`");
    std::string entry = flag;
    if (r.kind == volumes::MountKind::volume) {
      std::string name = BRICK_TRY(volume_name(r));
      if (r.source.empty()) entry += ",source=" + name, c.anonymous_volumes.push_back(name);
      c.volumes.push_back(name);
    }
    c.mount_flags.push_back(entry);
  }
  for (const std::string& flag : o.tmpfs) {
    BRICK_TRY_CTX(volumes::parse_tmpfs_flag(flag), "--tmpfs `" + flag + "`");
    c.tmpfs_flags.push_back(flag);
  }
  return {};
}

// --network NAME (repeatable), or one of none, host, container:NAME.
Result<net::ContainerNetworkConfig> network_mode(const RunOptions& o, const Context& ctx) {
  net::ContainerNetworkConfig cfg;
  std::optional<net::NetworkStore> store;
  for (const std::string& name : o.networks) {
    const bool special = name == "none" || name == "host" || name.starts_with("container:");
    if (special && o.networks.size() > 1) return fail("network `" + name + "` cannot be combined with other networks");
    if (name == "container:") return fail("--network container: needs a container name");
    if (special) {
      cfg.mode = name;
      continue;
    }
    if (!store)
      store.emplace(BRICK_TRY(net::NetworkStore::open(ctx.global.root, net::kernel_host(ctx.global.run_root))));
    auto network = store->get(name);
    if (!network) return fail(Error("network " + name + " not found", ENOENT));
    cfg.mode = "bridge";
    cfg.networks.push_back({network->name, {}, "", "", 0});
  }
  return cfg;
}

// The network flags as the record's network entry (net/container_network.hpp);
// the monitor makes it real (cli/container_network.cpp).
Result<net::ContainerNetworkConfig> network_config(const RunOptions& o, const Context& ctx) {
  net::ContainerNetworkConfig cfg = BRICK_TRY(network_mode(o, ctx));
  if (cfg.mode == "bridge") {
    cfg.networks.front().aliases = o.network_aliases;
    cfg.networks.front().ipv4_address = o.ip;
    if (!o.ip.empty()) BRICK_TRY_CTX(net::parse_ipv4(o.ip), "--ip `" + o.ip + "`");
    if (!o.mac_address.empty())
      cfg.networks.front().mac_address = net::format_mac(BRICK_TRY_CTX(net::parse_mac(o.mac_address), "--mac-address"));
  } else if (!o.ip.empty() || !o.network_aliases.empty() || !o.mac_address.empty()) {
    return fail("--ip, --mac-address and --network-alias need a user-defined network (--network NAME)");
  }
  for (const std::string& spec : o.publish) {
    auto ports = BRICK_TRY_CTX(net::parse_port_spec(spec), "-p `" + spec + "`");
    cfg.ports.insert(cfg.ports.end(), ports.begin(), ports.end());
  }
  if (!cfg.ports.empty() && cfg.mode != "bridge")
    return fail("-p/--publish needs a user-defined network (--network NAME), not `" + cfg.mode + "`");
  cfg.hostname = o.hostname;
  cfg.domainname = o.domainname;
  cfg.dns = {o.dns, o.dns_search, o.dns_options};
  // `host-gateway` is resolved once the networks are joined (the gateway of
  // the one with the default route): the monitor does it at each start.
  for (const std::string& entry : o.add_hosts)
    cfg.extra_hosts.push_back(
        BRICK_TRY_CTX(net::parse_extra_host(entry, net::kHostGateway), "--add-host `" + entry + "`"));
  if (net::needs_host_gateway(cfg.extra_hosts) && cfg.mode != "bridge")
    return fail("--add-host NAME:host-gateway needs a user-defined network (--network NAME), not `" + cfg.mode + "`");
  return cfg;
}

Result<CreateOptions> build(const RunOptions& o, const Context& ctx) {
  if (o.command.empty()) return fail("\"brick run\" requires at least 1 argument: IMAGE [COMMAND] [ARG...]");
  images::Store store = BRICK_TRY(images::Store::open(ctx.global.root));
  images::ImageInfo image = BRICK_TRY(store.resolve(o.command[0]));
  const images::ImageConfig& cfg = image.config;

  CreateOptions c;
  c.name = o.name;
  c.image = o.command[0];
  c.image_id = image.id;
  c.layers = image.layer_dirs;
  c.auto_remove = o.rm;
  c.restart_policy = BRICK_TRY(parse_restart_policy(o.restart));
  c.stop_signal = !o.stop_signal.empty() ? o.stop_signal : !cfg.stop_signal.empty() ? cfg.stop_signal : "SIGTERM";
  c.stop_timeout = o.stop_timeout.value_or(10);
  for (const auto& [k, v] : cfg.labels) c.labels[k] = v;
  c.healthcheck = BRICK_TRY(healthcheck(o, cfg));
  for (const std::string& l : o.labels) {
    size_t eq = l.find('=');
    c.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  if (!o.log_max_size.empty()) c.log_options.max_size = BRICK_TRY(parse_bytes(o.log_max_size));
  if (!o.log_max_file.empty())
    c.log_options.max_file = static_cast<int>(BRICK_TRY(parse_int(o.log_max_file, "max-file")));
  for (const std::string& opt : o.log_opts) {
    if (opt.starts_with("max-size="))
      c.log_options.max_size = BRICK_TRY(parse_bytes(opt.substr(9)));
    else if (opt.starts_with("max-file="))
      c.log_options.max_file = static_cast<int>(BRICK_TRY(parse_int(opt.substr(9), "max-file")));
    else
      return fail("unknown log opt '" + opt + "' for json-file log driver");
  }
  if (c.log_options.max_file < 1) return fail("max-file cannot be less than 1");

  ContainerSpec spec = default_spec();
  // Image env first, then the caller's; a default PATH when neither has one.
  spec.process.env.clear();
  for (const std::string& e : cfg.env) set_env(spec.process.env, e);
  for (const std::string& file : o.env_files) {
    std::string text = BRICK_TRY(read_file(file));
    for (std::string line : split(text, '\n')) {
      std::string_view t = trim(line);
      if (t.empty() || t[0] == '#') continue;
      BRICK_TRY_CTX(apply_env_flag(spec.process.env, std::string(t)), "env file `" + file + "`");
    }
  }
  for (const std::string& e : o.env) BRICK_TRY(apply_env_flag(spec.process.env, e));
  bool has_path = false;
  for (const std::string& e : spec.process.env) has_path = has_path || e.starts_with("PATH=");
  if (!has_path)
    spec.process.env.insert(spec.process.env.begin(),
                            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  set_env(spec.process.env, "HOSTNAME=" + o.hostname);
  if (o.hostname.empty()) std::erase_if(spec.process.env, [](const std::string& e) { return e == "HOSTNAME="; });
  // docker's CreateDaemonEnvironment: a terminal gets TERM=xterm unless set.
  if (o.tty && std::none_of(spec.process.env.begin(), spec.process.env.end(),
                            [](const std::string& e) { return e.starts_with("TERM="); }))
    spec.process.env.push_back("TERM=xterm");

  // docker's rule: --entrypoint replaces the image's entrypoint and drops its Cmd.
  std::vector<std::string> entrypoint = cfg.entrypoint, cmd = cfg.cmd;
  if (o.entrypoint) {
    entrypoint = o.entrypoint->empty() ? std::vector<std::string>{} : std::vector<std::string>{*o.entrypoint};
    cmd.clear();
  }
  if (o.command.size() > 1) cmd.assign(o.command.begin() + 1, o.command.end());
  spec.process.args = entrypoint;
  spec.process.args.insert(spec.process.args.end(), cmd.begin(), cmd.end());
  if (spec.process.args.empty()) return fail("no command specified");

  spec.process.cwd = !o.workdir.empty() ? o.workdir : !cfg.working_dir.empty() ? cfg.working_dir : "/";
  if (spec.process.cwd[0] != '/')
    return fail("the working directory '" + spec.process.cwd + "' is invalid, it needs to be an absolute path");
  // Names need the image's /etc/passwd and /etc/group: the monitor resolves
  // them once the rootfs is mounted (an unknown one fails the start, 125).
  c.user = !o.user.empty() ? o.user : cfg.user;
  c.group_add = o.group_add;
  c.init = o.init;
  c.tty = o.tty;
  c.open_stdin = o.interactive;
  spec.process.terminal = o.tty;
  spec.hostname = o.hostname;  // empty: the monitor uses the short id
  net::ContainerNetworkConfig network = BRICK_TRY(network_config(o, ctx));
  if (network.mode == "host")
    std::erase_if(spec.linux.namespaces, [](const Namespace& ns) { return ns.type == "network"; });
  c.extensions[net::kNetworkExtension] = net::to_json(network);
  spec.root.readonly = o.read_only;
  if (!o.memory.empty()) spec.linux.resources.memory_limit = BRICK_TRY(parse_bytes(o.memory));
  if (!o.memory_swap.empty())
    spec.linux.resources.memory_swap = o.memory_swap == "-1" ? -1 : BRICK_TRY(parse_bytes(o.memory_swap));
  if (spec.linux.resources.memory_limit && *spec.linux.resources.memory_limit < 6 * 1024 * 1024)
    return fail("Minimum memory limit allowed is 6MB");
  if (o.cpus < 0) return fail("range of CPUs is from 0.01 to the number of CPUs");
  if (o.cpus > 0) {
    spec.linux.resources.cpu_period = 100000;
    spec.linux.resources.cpu_quota = static_cast<int64_t>(std::llround(o.cpus * 100000));
  }
  if (o.pids_limit != 0) spec.linux.resources.pids_limit = o.pids_limit;
  if (!o.shm_size.empty()) {
    int64_t shm = BRICK_TRY(parse_bytes(o.shm_size));
    if (shm <= 0) return fail("invalid --shm-size: '" + o.shm_size + "'");
    for (Mount& m : spec.mounts)
      if (m.destination == "/dev/shm")
        for (std::string& opt : m.options)
          if (opt.starts_with("size=")) opt = "size=" + std::to_string(shm / 1024) + "k";
  }
  for (const std::string& u : o.ulimits) {
    Rlimit r = BRICK_TRY(parse_ulimit(u));
    std::erase_if(spec.process.rlimits, [&](const Rlimit& x) { return x.type == r.type; });
    spec.process.rlimits.push_back(r);
  }
  if (o.privileged || !o.cap_add.empty() || !o.cap_drop.empty() || !o.security_opt.empty()) {
    SecurityOptions security{o.cap_add, o.cap_drop, o.privileged, o.security_opt};
    BRICK_TRY(apply_security_options(spec, security));
    // "Every capability" is every one this process can hand on (podman's
    // rule): brick itself may run with a reduced bounding set.
    const bool all =
        o.privileged || std::ranges::any_of(o.cap_add, [](const std::string& c) { return to_lower(c) == "all"; });
    if (all) {
      auto held = [](const std::string& name) {
        auto mask = capability_mask({name});
        return mask && ::prctl(PR_CAPBSET_READ, std::countr_zero(*mask)) == 1;
      };
      for (auto* set : {&spec.process.capabilities.bounding, &spec.process.capabilities.effective,
                        &spec.process.capabilities.permitted})
        std::erase_if(*set, [&](const std::string& name) { return !held(name); });
    }
    if (o.privileged) {
      // docker: every device allowed, /sys writable.
      spec.linux.resources.devices = {DeviceRule{true, 'a', -1, -1, "rwm"}};
      for (Mount& m : spec.mounts)
        if (m.destination == "/sys") std::erase(m.options, "ro");
    }
  }
  c.spec = std::move(spec);
  RunOptions mounts = BRICK_TRY(with_image_volumes(o, cfg.volumes));
  if (auto s = check_mounts(mounts, ctx, c); !s) {
    remove_anonymous_volumes(ctx.global.root, c.anonymous_volumes);
    return fail(std::move(s).error());
  }
  return c;
}

// --gpus: reserved in the ledger under the container's name (known only now
// that the record exists), their device nodes, libraries and environment
// written into its spec. The record remembers the holder, so `rm` frees them.
Status grant_run_gpus(const RunOptions& o, const Context& ctx, const ContainerStore& store, ContainerState& state) {
  if (o.gpus.empty()) return {};
  gpu::GpuRequest request = BRICK_TRY_CTX(gpu::parse_gpus_flag(o.gpus), "--gpus `" + o.gpus + "`");
  request.service = state.name;
  request.holder = state.name;
  ContainerSpec spec = BRICK_TRY(store.load_spec(state.id));
  auto alive = [&store](const std::string& holder) {
    return static_cast<bool>(store.find(holder.substr(holder.rfind('/') + 1)));
  };
  orchestrator::GpuGrant grant =
      BRICK_TRY(orchestrator::grant_gpus(ctx.global.root, gpu::host_root(), {request}, {}, spec, alive));
  state.extensions[orchestrator::kGpuExtension] = {{"holder", request.holder}};
  if (auto s = store.save_spec(state.id, spec); !s) {
    (void)gpu::Ledger(ctx.global.root).release(request.holder);
    return s;
  }
  if (auto s = store.save(state); !s) {
    (void)gpu::Ledger(ctx.global.root).release(request.holder);
    return s;
  }
  return {};
}

Status run(const RunOptions& o, Context& ctx, bool start) {
  ContainerStore store = BRICK_TRY(ContainerStore::open(ctx.global.root, ctx.global.run_root));
  CreateOptions create = BRICK_TRY(build(o, ctx));
  auto created = create_container(store, create);
  if (!created) {
    remove_anonymous_volumes(ctx.global.root, create.anonymous_volumes);
    return fail(std::move(created).error());
  }
  ContainerState state = std::move(*created);
  if (auto granted = grant_run_gpus(o, ctx, store, state); !granted) {
    (void)store.remove(state.id);
    remove_anonymous_volumes(ctx.global.root, create.anonymous_volumes);
    return fail(std::move(granted).error());
  }
  if (!start) {
    std::cout << state.id << "\n";
    return {};
  }
  if (!o.detach) return run_in_foreground(store, state.id, {o.interactive, o.tty}, ctx);
  StartResult r = BRICK_TRY(start_container(store, state.id, {}));
  if (r.code != 0) {
    ctx.error_exit_code = r.code;
    return fail(r.error);
  }
  std::cout << state.id << "\n";
  return {};
}

void add_flags(CLI::App* cmd, const std::shared_ptr<RunOptions>& o) {
  // docker's -h is --hostname here; help stays on --help.
  cmd->set_help_flag("--help", "Print usage");
  cmd->add_flag("--rm", o->rm, "Automatically remove the container when it exits");
  cmd->add_option("--name", o->name, "Assign a name to the container")->type_name("string");
  cmd->add_option("-h,--hostname", o->hostname, "Container host name")->type_name("string");
  cmd->add_option("-e,--env", o->env, "Set environment variables")->type_name("list")->allow_extra_args(false);
  cmd->add_option("--env-file", o->env_files, "Read in a file of environment variables")
      ->type_name("list")
      ->allow_extra_args(false);
  cmd->add_option("--network,--net", o->networks, "Connect a container to a network (NAME, none, host, container:NAME)")
      ->type_name("network")
      ->allow_extra_args(false);
  cmd->add_option("--network-alias", o->network_aliases, "Add network-scoped alias for the container")
      ->type_name("list")
      ->allow_extra_args(false);
  cmd->add_option("--ip", o->ip, "IPv4 address (e.g., 172.30.100.104)")->type_name("string");
  cmd->add_option("--mac-address", o->mac_address, "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
      ->type_name("string");
  cmd->add_option("-p,--publish", o->publish, "Publish a container's port(s) to the host")
      ->type_name("list")
      ->allow_extra_args(false);
  cmd->add_option("--dns", o->dns, "Set custom DNS servers")->type_name("list")->allow_extra_args(false);
  cmd->add_option("--dns-search", o->dns_search, "Set custom DNS search domains")
      ->type_name("list")
      ->allow_extra_args(false);
  cmd->add_option("--dns-option", o->dns_options, "Set DNS options")->type_name("list")->allow_extra_args(false);
  cmd->add_option("--add-host", o->add_hosts, "Add a custom host-to-IP mapping (host:ip)")
      ->type_name("list")
      ->allow_extra_args(false);
  cmd->add_option("--domainname", o->domainname, "Container NIS domain name")->type_name("string");
  cmd->add_option("-m,--memory", o->memory, "Memory limit")->type_name("bytes");
  cmd->add_option("--memory-swap", o->memory_swap,
                  "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
      ->type_name("bytes");
  cmd->add_option("--cpus", o->cpus, "Number of CPUs")->type_name("decimal");
  cmd->add_option("--pids-limit", o->pids_limit, "Tune container pids limit (set -1 for unlimited)")->type_name("int");
  cmd->add_option("--health-cmd", o->health_cmd, "Command to run to check health")->type_name("string");
  cmd->add_option("--health-interval", o->health_interval, "Time between running the check (ms|s|m|h)")
      ->type_name("duration");
  cmd->add_option("--health-timeout", o->health_timeout, "Maximum time to allow one check to run (ms|s|m|h)")
      ->type_name("duration");
  cmd->add_option("--health-retries", o->health_retries, "Consecutive failures needed to report unhealthy")
      ->type_name("int");
  cmd->add_option("--health-start-period", o->health_start_period,
                  "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)")
      ->type_name("duration");
  cmd->add_option("--health-start-interval", o->health_start_interval,
                  "Time between running the check during the start period (ms|s|m|h)")
      ->type_name("duration");
  cmd->add_flag("--no-healthcheck", o->no_healthcheck, "Disable any container-specified HEALTHCHECK");
  cmd->add_option("--gpus", o->gpus, "GPU devices to add to the container ('all' to pass all GPUs)")
      ->type_name("gpu-request");
  cmd->add_option("-u,--user", o->user, "Username or UID (format: <name|uid>[:<group|gid>])")->type_name("string");
  cmd->add_option("-w,--workdir", o->workdir, "Working directory inside the container")->type_name("string");
  cmd->add_option("--entrypoint", o->entrypoint, "Overwrite the default ENTRYPOINT of the image")->type_name("string");
  cmd->add_flag("--read-only", o->read_only, "Mount the container's root filesystem as read only");
  cmd->add_option("--shm-size", o->shm_size, "Size of /dev/shm")->type_name("bytes");
  cmd->add_option("--restart", o->restart, "Restart policy to apply when a container exits")->type_name("string");
  cmd->add_option("--stop-signal", o->stop_signal, "Signal to stop the container")->type_name("string");
  cmd->add_option("--stop-timeout", o->stop_timeout, "Timeout (in seconds) to stop a container")->type_name("int");
  cmd->add_option("--ulimit", o->ulimits, "Ulimit options")->type_name("ulimit")->allow_extra_args(false);
  cmd->add_option("-l,--label", o->labels, "Set meta data on a container")->type_name("list")->allow_extra_args(false);
  cmd->add_option("--log-opt", o->log_opts, "Log driver options (max-size, max-file)")
      ->type_name("list")
      ->allow_extra_args(false);
  cmd->add_flag("--init", o->init, "Run an init inside the container that forwards signals and reaps processes");
  cmd->add_flag("--privileged", o->privileged, "Give extended privileges to this container");
  cmd->add_option("--cap-add", o->cap_add, "Add Linux capabilities")->type_name("list")->allow_extra_args(false);
  cmd->add_option("--cap-drop", o->cap_drop, "Drop Linux capabilities")->type_name("list")->allow_extra_args(false);
  cmd->add_option("--security-opt", o->security_opt, "Security Options")->type_name("list")->allow_extra_args(false);
  cmd->add_option("--group-add", o->group_add, "Add additional groups to join")
      ->type_name("list")
      ->allow_extra_args(false);
  cmd->add_option("-v,--volume", o->volumes, "Bind mount a volume")->type_name("list")->allow_extra_args(false);
  cmd->add_option("--mount", o->mounts, "Attach a filesystem mount to the container")
      ->type_name("mount")
      ->allow_extra_args(false);
  cmd->add_option("--tmpfs", o->tmpfs, "Mount a tmpfs directory")->type_name("list")->allow_extra_args(false);
  cmd->add_flag("-i,--interactive", o->interactive, "Keep STDIN open even if not attached");
  cmd->add_flag("-t,--tty", o->tty, "Allocate a pseudo-TTY");
  // Everything from IMAGE on is the container's: `run busybox sh -c 'exit 42'`.
  cmd->prefix_command();
}

}  // namespace

void add_run_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* run_cmd = app.add_subcommand("run", "Create and run a new container from an image");
  add_flags(run_cmd, o);
  run_cmd->add_flag("-d,--detach", o->detach, "Run container in background and print container ID");
  run_cmd->callback([o, run_cmd, &ctx] {
    o->command = run_cmd->remaining();
    // A usage error of `run` is brick's own failure: docker exits 125.
    ctx.error_exit_code = 125;
    ctx.action = [o, &ctx] { return run(*o, ctx, true); };
  });
}

void add_create_command(CLI::App& app, Context& ctx) {
  auto c = std::make_shared<RunOptions>();
  CLI::App* create_cmd = app.add_subcommand("create", "Create a new container");
  add_flags(create_cmd, c);
  create_cmd->callback([c, create_cmd, &ctx] {
    c->command = create_cmd->remaining();
    ctx.error_exit_code = 125;
    ctx.action = [c, &ctx] { return run(*c, ctx, false); };
  });
}

void add_run_commands(CLI::App& app, Context& ctx) {
  add_run_command(app, ctx);
  add_create_command(app, ctx);
}

}  // namespace brick::cli
