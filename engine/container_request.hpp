// What a user asks of one container, the same whichever front end wrote it
// (`brick run` flags, a compose service, later a build step), and the one
// place docker's per-container rules turn it into a ContainerSpec: the
// capabilities, the seccomp filter for them, security_opt, privileged, the
// environment, the user, the rlimits, the resources, the process arguments
// and working directory, the host devices.
//
//   runtime::ContainerSpec spec = runtime::default_spec();
//   std::vector<std::string> warnings =
//       BRICK_TRY(engine::apply_request(spec, request, image.env, engine::host_facts()));
//
// apply_request is the spec options of engine/spec_options.hpp applied in
// their one order; a caller that makes a container applies all of them, so
// the front ends cannot drift apart. Three more are the caller's own steps:
// process_args (the caller says "no command" in its user's words: a service,
// or `run` arguments), with_working_dir, and with_devices, which reads the
// host's device nodes when the container is created.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace brick::engine {

// One resource limit by docker's name (`nofile`), as `--ulimit nofile=1024:2048`
// and compose's `ulimits: {nofile: {soft: 1024, hard: 2048}}` write it.
struct Ulimit {
  std::string name;
  int64_t soft = 0;
  int64_t hard = 0;
  bool operator==(const Ulimit&) const = default;
};

// A host device node given to the container (`--device /dev/x:/dev/y:rwm`,
// compose's `devices: [/dev/x:/dev/y:rwm]`).
struct DeviceMapping {
  std::string source, target, permissions = "rwm";
  bool operator==(const DeviceMapping&) const = default;
};

// docker's HostConfig resources. Unset (or 0 where docker reads 0 as unset):
// the spec's.
struct Resources {
  std::optional<int64_t> memory;              // bytes; at least 6 MiB
  std::optional<int64_t> memory_reservation;  // bytes
  std::optional<int64_t> memory_swap;         // memory + swap in bytes, -1 unlimited
  std::optional<double> cpus;                 // docker's NanoCPUs, as a quota of 100 ms periods
  std::optional<uint64_t> cpu_period;         // microseconds; not with cpus
  std::optional<int64_t> cpu_quota;           // microseconds per period; not with cpus
  std::optional<uint64_t> cpu_shares;
  std::optional<std::string> cpuset_cpus;
  std::optional<int64_t> pids_limit;  // -1 unlimited
  std::optional<int64_t> shm_size;    // bytes: the size of /dev/shm
};

struct ContainerRequest {
  // The process. entrypoint and cmd as docker's Config has them: nullopt
  // when not given; [""] as an entrypoint resets the image's (`--entrypoint ""`).
  std::optional<std::vector<std::string>> entrypoint, cmd;
  std::string working_dir;       // "": the image's, else /
  std::vector<std::string> env;  // the caller's "KEY=value", over the image's Env
  std::string hostname;          // HOSTNAME in the environment; "" leaves it out
  bool tty = false;              // TERM=xterm unless the environment sets TERM
  std::string user;              // as written ("1000:1000", "nobody"); numbers fill spec.process.user
  std::vector<Ulimit> ulimits;   // over the spec's (docker's nofile 1024)

  // Security (docker's HostConfig).
  std::vector<std::string> cap_add, cap_drop;  // names in any of docker's spellings, or ALL
  bool privileged = false;
  // As written: seccomp=unconfined|builtin|FILE, no-new-privileges[=|:true|false],
  // apparmor=..., label=..., systempaths=unconfined (`key:value` too).
  std::vector<std::string> security_opt;
  // Where a relative seccomp=FILE is read from: the project directory for
  // compose (as docker compose reads it), "" (the current directory) for run.
  std::string security_opt_dir;

  bool read_only = false;  // the root filesystem
  Resources resources;

  // Host device nodes: read from the host when the container is created
  // (with_devices, engine/spec_options.hpp), not by apply_request.
  std::vector<DeviceMapping> devices;
};

// The caller's hard resource limits, by the spec's RLIMIT_* name; a container
// may not ask for more (raising a hard limit needs CAP_SYS_RESOURCE). Absent:
// unlimited.
using HardLimits = std::map<std::string, uint64_t>;
// This process's hard limits for every resource a container can name.
HardLimits host_hard_limits();

// What the rules need to know of the host, as data so they stay testable.
struct HostFacts {
  HardLimits hard_limits;
  // The capabilities this process can hand on (its bounding set, bit n for
  // capability n): "every capability" (privileged, cap_add ALL) is every one
  // of these, as podman does; brick may itself run with a reduced set.
  uint64_t bounding = ~uint64_t{0};
  bool apparmor = false;  // AppArmor is enabled on this host
  bool selinux = false;   // SELinux is enabled on this host
};
// This host's, read once.
HostFacts host_facts();

// Applies `request` over `spec` (normally runtime::default_spec()) and
// `image_env` (the image's Env). Returns what the user should be told but
// does not stop the container (an apparmor= profile on a host without
// AppArmor). Errors name the option: `cap_add: unknown capability `X``,
// `ulimits.nofile: ...`, `security_opt `seccomp=p.json`: ...`.
Result<std::vector<std::string>> apply_request(runtime::ContainerSpec& spec, const ContainerRequest& request,
                                               const std::vector<std::string>& image_env, const HostFacts& host);

}  // namespace brick::engine
