// `brick run` and `brick create`: docker's flags turned into a ContainerSpec
// on top of the image's config, then a record and (for run) a monitor.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "cli/container_cmd.hpp"
#include "cli/foreground.hpp"
#include "cli/run_spec.hpp"
#include "compose/units.hpp"
#include "gpu/discovery.hpp"
#include "gpu/ledger.hpp"
#include "images/store.hpp"
#include "net/container_network.hpp"
#include "net/mac.hpp"
#include "net/network.hpp"
#include "orchestrator/gpu_grant.hpp"
#include "runtime/container.hpp"
#include "volumes/mounts.hpp"
#include "volumes/volume_store.hpp"

namespace brick::cli {

namespace {

using namespace brick::runtime;

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
// the monitor makes it real (orchestrator/container_network.cpp).
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

  RunSpec made = BRICK_TRY(run_spec(o, cfg, engine::host_facts()));
  for (const std::string& w : made.warnings) std::cerr << "WARNING: " << w << "\n";
  ContainerSpec spec = std::move(made.spec);
  // Names need the image's /etc/passwd and /etc/group: the monitor resolves
  // them once the rootfs is mounted (an unknown one fails the start, 125).
  c.user = !o.user.empty() ? o.user : cfg.user;
  c.group_add = o.group_add;
  c.init = o.init;
  c.tty = o.tty;
  c.open_stdin = o.interactive;
  net::ContainerNetworkConfig network = BRICK_TRY(network_config(o, ctx));
  if (network.mode == "host")
    std::erase_if(spec.linux.namespaces, [](const Namespace& ns) { return ns.type == "network"; });
  c.extensions[net::kNetworkExtension] = net::to_json(network);
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
  cmd->add_option("--device", o->devices, "Add a host device to the container")
      ->type_name("list")
      ->allow_extra_args(false);
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
