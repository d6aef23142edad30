// One compose service replica → the container brick should run for it: the
// OCI-shaped ContainerSpec plus what the runtime's monitor needs beside it
// (restart policy, healthcheck, stop signal) and compose's labels, by which a
// later run finds and reconciles it.
//
// docker's per-container rules (capabilities, seccomp, security_opt,
// environment, user, rlimits, resources, entrypoint/cmd, working directory)
// are engine/container_request.hpp's, shared with `brick run`. No syscalls
// beyond reading a `seccomp=FILE` profile, as docker compose reads it, and
// engine::host_facts() (once); the caller's hard rlimits come in as data.
// Volumes, secrets, configs, ports, networks, devices,
// DNS, extra hosts and GPUs come out as requests in their modules' types
// (volumes/mounts.hpp, net/ports.hpp, net/resolv.hpp, gpu/ledger.hpp) for the
// caller to carry out; nothing is created here.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "compose/project.hpp"
#include "engine/container_request.hpp"
#include "gpu/ledger.hpp"
#include "images/image_config.hpp"
#include "net/ports.hpp"
#include "net/resolv.hpp"
#include "runtime/spec.hpp"
#include "volumes/mounts.hpp"

namespace brick::orchestrator {

// The labels docker compose puts on every container it makes.
inline constexpr std::string_view kProjectLabel = "com.docker.compose.project";
inline constexpr std::string_view kServiceLabel = "com.docker.compose.service";
inline constexpr std::string_view kNumberLabel = "com.docker.compose.container-number";
inline constexpr std::string_view kOneoffLabel = "com.docker.compose.oneoff";
inline constexpr std::string_view kConfigHashLabel = "com.docker.compose.config-hash";
inline constexpr std::string_view kWorkingDirLabel = "com.docker.compose.project.working_dir";
inline constexpr std::string_view kConfigFilesLabel = "com.docker.compose.project.config_files";
inline constexpr std::string_view kDependsOnLabel = "com.docker.compose.depends_on";
inline constexpr std::string_view kImageLabel = "com.docker.compose.image";
inline constexpr std::string_view kVersionLabel = "com.docker.compose.version";
// On networks and volumes compose creates.
inline constexpr std::string_view kNetworkLabel = "com.docker.compose.network";
inline constexpr std::string_view kVolumeLabel = "com.docker.compose.volume";

// docker compose's ServiceHash: sha256 (hex, no prefix) of the service's
// canonical JSON (compose-go's field order, compact, Go's HTML escaping)
// without build, pull_policy, scale, deploy.replicas, depends_on and
// profiles, so scaling or rewiring dependencies recreates nothing.
std::string config_hash(const compose::Service& service);

// `<project>-<service>-<n>`, or container_name when the service sets one.
std::string container_name(const std::string& project, const compose::Service& service, uint64_t number);

struct RestartPolicy {
  std::string name = "no";   // no | always | on-failure | unless-stopped
  uint64_t max_retries = 0;  // on-failure only; 0 = unlimited
  bool operator==(const RestartPolicy&) const = default;
};

struct HealthcheckSpec {
  std::vector<std::string> test;  // ["CMD", ...] or ["CMD-SHELL", "..."]
  std::chrono::nanoseconds interval = std::chrono::seconds(30);
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);
  std::chrono::nanoseconds start_period{0};
  std::chrono::nanoseconds start_interval = std::chrono::seconds(5);
  uint64_t retries = 3;
  bool operator==(const HealthcheckSpec&) const = default;
};

// The caller's hard resource limits (engine/container_request.hpp).
using engine::HardLimits;
using engine::host_hard_limits;

struct TranslateInput {
  const compose::Project* project = nullptr;
  const compose::Service* service = nullptr;
  const images::ImageConfig* image = nullptr;  // the service image's config
  std::string image_id;                        // "sha256:...", for com.docker.compose.image
  uint64_t number = 1;                         // the container number, from 1
  bool oneoff = false;                         // `compose run`
  // When known, the hostname defaults to its first 12 characters, as docker's
  // does; otherwise to the container name.
  std::string container_id;
  HardLimits hard_limits;
  std::string version;  // for com.docker.compose.version
  // The address `host-gateway` in extra_hosts stands for; "" keeps the word
  // `host-gateway` as the entry's address for the caller to replace.
  std::string host_gateway;
};

// One network the container joins, in the order to join them.
struct NetworkAttachment {
  std::string key;                                      // the network's name in the compose file
  std::string name;                                     // its real name (`<project>_<key>` or `name:`)
  std::vector<std::string> aliases;                     // the service name, then the service's aliases
  std::string ipv4_address, ipv6_address, mac_address;  // "" = assigned; a MAC as net::format_mac writes it
  int priority = 0;                                     // higher joins first (compose's order)
  int gw_priority = 0;                                  // net::pick_default_route
  bool operator==(const NetworkAttachment&) const = default;
};

// A host device node given to the container (`devices: [/dev/x:/dev/y:rwm]`),
// mapped at create by engine::with_devices.
using engine::DeviceMapping;

struct DesiredContainer {
  std::string name;
  std::string service;
  uint64_t number = 1;
  std::string image;     // the reference as the service names it
  std::string image_id;  // as given
  runtime::ContainerSpec spec;
  std::map<std::string, std::string> labels;
  // Kept as written (`1000:1000`, `nobody`, `www-data:100`) for the runtime to
  // resolve against the image's /etc/passwd and /etc/group; spec.process.user
  // already holds it when it is numeric.
  std::string user;
  std::vector<std::string> group_add;
  bool init = false;
  bool privileged = false;
  bool tty = false;
  bool stdin_open = false;
  std::string stop_signal = "SIGTERM";
  std::chrono::nanoseconds stop_grace_period = std::chrono::seconds(10);
  RestartPolicy restart;
  std::optional<HealthcheckSpec> healthcheck;  // none, or disabled
  // `service:X`, `container:X`, `host`, `none`, or "" (the service's networks).
  std::string network_mode;
  std::string ipc, pid, uts;  // as written; "host" already drops the namespace

  // `volumes:` then `tmpfs:`, in the order written; named volumes by their
  // full names (`<project>_<key>` or `name:`).
  std::vector<volumes::MountRequest> mounts;
  // The project's declared volumes this container uses, by full name
  // (MountContext::declared).
  std::map<std::string, volumes::VolumeDecl> volume_decls;
  std::vector<volumes::FileMountRequest> secrets;
  std::vector<volumes::FileMountRequest> configs;
  std::vector<net::PortMapping> ports;
  // Empty when network_mode is set; `<project>_default` when the service
  // names no network.
  std::vector<NetworkAttachment> networks;
  net::DnsSpec dns;
  std::vector<net::HostEntry> extra_hosts;
  // deploy.resources.reservations.devices and `gpus:`; holder is
  // `<project>/<container name>`.
  std::vector<gpu::GpuRequest> gpus;
  std::vector<std::string> cdi_devices;  // `devices:` entries that are CDI names
  std::vector<DeviceMapping> devices;    // the other `devices:` entries
  // What the user should be told but does not stop the container (an
  // apparmor= profile on a host without AppArmor).
  std::vector<std::string> warnings;
};

// Fails, naming the service and the field, on: no command at all, a ulimit
// above the caller's hard limit or soft above hard, an unknown ulimit,
// capability or restart policy, a security_opt brick cannot honour or a
// seccomp profile it cannot read, cpus together with cpu_period/cpu_quota, a
// memory limit under 6 MB, a volume, secret, config or network the project
// does not declare, an external secret or
// config (swarm only), a mount type brick has no support for (npipe,
// cluster, image), a bad port, tmpfs or extra_hosts entry, a non-GPU device
// reservation.
Result<DesiredContainer> translate(const TranslateInput& input);

}  // namespace brick::orchestrator
