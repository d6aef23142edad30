// The typed, resolved compose model: what a stack file means once it has been
// loaded, interpolated, merged, extended, validated and normalized to the
// canonical long form. Every later stage (graph, orchestrator, `config`
// output) reads this and never the YAML.
//
// A Project is built once by the loader and then only read: hand it around as
// `const Project&`. Optional values that the user did not set stay empty so
// `config` prints only what was said (plus compose's documented defaults).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "compose/node.hpp"

namespace brick::compose {

using Duration = std::chrono::nanoseconds;
using StringMap = std::map<std::string, std::string>;
// Environment-style maps where a key may be present without a value
// (`environment: [FOO]` passes FOO through only if set; printed as `FOO: null`).
using OptionalStringMap = std::map<std::string, std::optional<std::string>>;

// ---- build ----------------------------------------------------------------

struct BuildConfig {
  std::string context;  // absolute path (or URL, kept as written)
  std::optional<std::string> dockerfile;
  std::optional<std::string> dockerfile_inline;
  OptionalStringMap args;
  std::optional<std::string> target;
  std::vector<std::string> cache_from;
  std::optional<std::string> network;
  StringMap labels;
  std::optional<int64_t> shm_size;
  std::vector<std::string> tags;
  std::vector<std::string> platforms;
  std::vector<std::string> extra_hosts;
  std::optional<bool> no_cache;
  std::optional<bool> pull;
};

// ---- ports ----------------------------------------------------------------

// One published or exposed port in long syntax. Short-syntax ranges expand to
// one PortConfig per port, as `docker compose config` prints them.
struct PortConfig {
  std::optional<std::string> name;
  uint16_t target = 0;
  // Host port or port range as written ("8080", "8000-8010"); empty means
  // "any free port", chosen at start.
  std::optional<std::string> published;
  std::optional<std::string> host_ip;
  std::string protocol = "tcp";  // tcp | udp | sctp
  std::string mode = "ingress";  // ingress | host
  std::optional<std::string> app_protocol;
  Mark mark;
};

// ---- volumes and mounts ---------------------------------------------------

struct ServiceVolume {
  std::string type;                   // bind | volume | tmpfs | npipe | cluster | image
  std::optional<std::string> source;  // absolute host path for bind; volume name; none for tmpfs/anonymous
  std::string target;
  bool read_only = false;
  std::optional<std::string> consistency;
  // bind
  std::optional<std::string> bind_propagation;  // rprivate, private, rshared, shared, rslave, slave
  std::optional<bool> bind_create_host_path;
  std::optional<std::string> bind_selinux;  // z | Z
  // volume
  std::optional<bool> volume_nocopy;
  std::optional<std::string> volume_subpath;
  // tmpfs
  std::optional<int64_t> tmpfs_size;
  std::optional<uint32_t> tmpfs_mode;
  Mark mark;
};

// ---- networks of a service ------------------------------------------------

struct ServiceNetwork {
  std::vector<std::string> aliases;
  std::optional<std::string> ipv4_address;
  std::optional<std::string> ipv6_address;
  std::vector<std::string> link_local_ips;
  std::optional<std::string> mac_address;
  std::optional<int> priority;
  std::optional<int> gw_priority;
  StringMap driver_opts;
};

// ---- depends_on -----------------------------------------------------------

struct ServiceDependency {
  std::string condition = "service_started";  // service_started | service_healthy | service_completed_successfully
  bool restart = false;
  bool required = true;
  Mark mark;
};

// ---- healthcheck ----------------------------------------------------------

struct Healthcheck {
  // ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]; a string becomes CMD-SHELL.
  std::vector<std::string> test;
  std::optional<Duration> interval;
  std::optional<Duration> timeout;
  std::optional<Duration> start_period;
  std::optional<Duration> start_interval;
  std::optional<uint64_t> retries;
  bool disable = false;
};

// ---- deploy ---------------------------------------------------------------

struct DeviceRequest {
  std::vector<std::string> capabilities;  // gpu, compute, utility, ...
  std::optional<std::string> driver;      // e.g. nvidia
  // Exactly one of count / device_ids may be set; count -1 means "all".
  std::optional<int64_t> count;
  std::vector<std::string> device_ids;
  StringMap options;
  Mark mark;
};

struct Resources {
  std::optional<double> cpus;
  std::optional<int64_t> memory;
  std::optional<int64_t> pids;
  std::vector<DeviceRequest> devices;  // reservations only
};

struct RestartPolicy {
  std::optional<std::string> condition;  // none | on-failure | any
  std::optional<Duration> delay;
  std::optional<uint64_t> max_attempts;
  std::optional<Duration> window;
};

struct DeployConfig {
  std::optional<std::string> mode;  // replicated | global (global: warning on one host)
  std::optional<uint64_t> replicas;
  StringMap labels;
  Resources limits;
  Resources reservations;
  std::optional<RestartPolicy> restart_policy;
};

// ---- the rest of a service -----------------------------------------------

struct Ulimit {
  // A single value (`nofile: 20000`) sets soft and hard alike.
  int64_t soft = 0;
  int64_t hard = 0;
  // Written as one number: `config` prints it back that way, as compose does.
  bool single = false;
};

struct DeviceMapping {
  // Either a host path mapping or a CDI name (`nvidia.com/gpu=0`).
  std::string source;  // host path, or the CDI name
  std::string target;  // container path; empty for CDI
  std::string permissions = "rwm";
  bool cdi = false;
};

struct Logging {
  std::optional<std::string> driver;
  StringMap options;
};

struct FileReference {  // a service's use of a top-level secret or config
  std::string source;
  std::optional<std::string> target;
  std::optional<std::string> uid;
  std::optional<std::string> gid;
  std::optional<uint32_t> mode;
  Mark mark;  // where the service names it, for undefined-reference errors
};

struct Service {
  std::string name;
  Mark mark;

  std::optional<std::string> image;
  std::optional<BuildConfig> build;
  // nullopt: not set (image default); an empty vector: explicitly empty.
  std::optional<std::vector<std::string>> command;
  std::optional<std::vector<std::string>> entrypoint;
  OptionalStringMap environment;       // env_file entries merged in, environment wins
  std::vector<std::string> env_files;  // absolute paths, as loaded
  std::vector<PortConfig> ports;
  // Under `config --no-interpolate`, a `ports` list with an entry that only
  // interpolation could make a port (`${P:-8080}:80`), kept as written:
  // compose-go's ports transform leaves such a list alone in that mode.
  std::optional<Node> ports_as_written;
  std::vector<std::string> expose;
  std::vector<ServiceVolume> volumes;
  std::vector<std::string> volumes_from;
  std::vector<std::string> tmpfs;
  // Which networks and how; empty with no network_mode means {default}.
  std::map<std::string, std::optional<ServiceNetwork>> networks;
  std::optional<std::string> network_mode;  // none | host | bridge | service:X | container:X
  std::map<std::string, ServiceDependency> depends_on;
  std::vector<std::string> links;
  std::vector<std::string> external_links;
  std::optional<Healthcheck> healthcheck;
  std::optional<std::string> restart;  // no | always | on-failure[:N] | unless-stopped
  std::optional<DeployConfig> deploy;
  // `gpus: all` is one request with count -1; a list is device requests with
  // an implied `gpu` capability. nullopt when unset.
  std::optional<std::vector<DeviceRequest>> gpus;
  std::optional<std::string> runtime;
  std::optional<int64_t> shm_size;
  std::optional<std::string> ipc;
  std::optional<std::string> pid;
  std::optional<std::string> uts;
  std::optional<std::string> user;
  std::optional<std::string> working_dir;
  std::optional<std::string> hostname;
  std::optional<std::string> domainname;
  std::optional<std::string> mac_address;
  StringMap labels;
  StringMap annotations;
  std::optional<std::string> container_name;
  std::vector<std::string> profiles;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::optional<bool> privileged;
  std::optional<bool> read_only;
  std::vector<std::string> security_opt;
  StringMap sysctls;
  std::map<std::string, Ulimit> ulimits;
  std::optional<bool> init;
  std::optional<std::string> stop_signal;
  std::optional<Duration> stop_grace_period;
  std::vector<DeviceMapping> devices;
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_opt;
  std::vector<std::string> extra_hosts;  // "host=ip" as compose prints them (map or "host:ip" input)
  std::vector<std::string> group_add;
  std::optional<int64_t> mem_limit;
  std::optional<int64_t> mem_reservation;
  std::optional<int64_t> memswap_limit;
  std::optional<int64_t> mem_swappiness;
  std::optional<double> cpus;
  std::optional<int64_t> cpu_shares;
  std::optional<int64_t> cpu_period;
  std::optional<int64_t> cpu_quota;
  std::optional<std::string> cpuset;
  std::optional<int64_t> pids_limit;
  std::optional<int64_t> oom_score_adj;
  std::optional<bool> oom_kill_disable;
  std::optional<uint64_t> scale;
  std::optional<bool> tty;
  std::optional<bool> stdin_open;
  std::optional<Logging> logging;
  std::vector<FileReference> secrets;
  std::vector<FileReference> configs;
  std::optional<std::string> platform;
  std::optional<std::string> pull_policy;  // always | never | missing | build | if_not_present
  std::optional<std::string> cgroup_parent;
  std::optional<std::string> cgroup;  // host | private
  StringMap storage_opt;
  // `x-*` keys: ignored by brick, kept so `config` prints them as compose does.
  std::map<std::string, Node> extensions;

  // The number of containers `up` should run: scale, else deploy.replicas, else 1.
  uint64_t replicas() const;
};

// ---- top-level objects ----------------------------------------------------

struct IpamPool {
  std::optional<std::string> subnet;
  std::optional<std::string> ip_range;
  std::optional<std::string> gateway;
  StringMap aux_addresses;
};

struct Ipam {
  std::optional<std::string> driver;
  std::vector<IpamPool> config;
  StringMap options;
};

struct Network {
  std::string key;   // the name in the file
  std::string name;  // the real name: `name:` or `<project>_<key>`
  Mark mark;
  std::optional<std::string> driver;  // bridge (default), host, none
  StringMap driver_opts;
  bool internal = false;
  bool external = false;
  bool attachable = false;
  std::optional<bool> enable_ipv4;
  std::optional<bool> enable_ipv6;
  std::optional<Ipam> ipam;
  StringMap labels;
};

struct Volume {
  std::string key;
  std::string name;  // `name:` or `<project>_<key>`
  Mark mark;
  std::optional<std::string> driver;
  StringMap driver_opts;
  bool external = false;
  StringMap labels;
};

// A top-level secret or config: where its content comes from.
struct FileObject {
  std::string key;
  std::string name;  // `name:` or `<project>_<key>`
  Mark mark;
  std::optional<std::string> file;         // absolute path
  std::optional<std::string> environment;  // variable name
  std::optional<std::string> content;      // configs only: inline content
  bool external = false;
  StringMap labels;
};

struct Project {
  std::string name;
  std::string working_dir;                           // the project directory, absolute
  std::vector<std::string> config_files;             // absolute paths ("-" for stdin)
  std::map<std::string, Service> services;           // active services only
  std::map<std::string, Service> disabled_services;  // inactive because of profiles
  std::map<std::string, Network> networks;
  std::map<std::string, Volume> volumes;
  std::map<std::string, FileObject> secrets;
  std::map<std::string, FileObject> configs;
  // The variables interpolation used (environment over .env); not printed.
  StringMap environment;
  // Top-level `x-*` keys, printed back by `config`.
  std::map<std::string, Node> extensions;

  const Service* service(const std::string& name) const;
  std::vector<std::string> service_names() const;
  // Every profile any service (active or not) mentions, sorted.
  std::vector<std::string> all_profiles() const;
};

}  // namespace brick::compose
