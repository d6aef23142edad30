// ContainerSpec: one container's configuration, shaped like the OCI runtime
// spec's config.json (config.md, config-linux.md) so it can be written out
// as one and read by runc or crun for a comparison. Only the fields brick
// uses are modelled; unknown keys are ignored when reading.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "runtime/cgroup.hpp"

namespace brick::runtime {

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
};

// Capability names as in the spec ("CAP_CHOWN").
struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct Process {
  bool terminal = false;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=value"
  std::string cwd = "/";
  Capabilities capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
};

struct Root {
  std::string path;
  bool readonly = false;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  // A bind whose source lies where a container can write (a volume, a
  // host directory bound into a container): `source` is the path resolved
  // when the container was made, and every (re)start opens it again without
  // following any symlink, so one put there since cannot redirect the mount
  // (CVE-2021-30465). JSON: "sourceNoFollow", a brick extension.
  bool source_nofollow = false;
  bool operator==(const Mount&) const = default;
};

struct Namespace {
  std::string type;  // pid, network, mount, ipc, uts, cgroup (user: not yet)
  std::string path;  // join this one instead of creating (spawn: network, ipc and uts)
};

// A seccomp filter in the spec's `linux.seccomp` shape: names resolved for
// this architecture, actions and ops as libseccomp spells them
// ("SCMP_ACT_ERRNO", "SCMP_CMP_MASKED_EQ").
struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;
  bool operator==(const SeccompArg&) const = default;
};

struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;  // all must hold (AND)
  bool operator==(const SeccompSyscall&) const = default;
};

struct Seccomp {
  std::string default_action = "SCMP_ACT_ERRNO";
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64"
  std::vector<SeccompSyscall> syscalls;
  bool operator==(const Seccomp&) const = default;
};

// A device node made in the container's /dev (linux.devices). Being in this
// list does not grant access: that is linux.resources.devices' job.
struct LinuxDevice {
  std::string path;  // inside the container, e.g. /dev/nvidia0
  char type = 'c';   // 'c' (or 'u'), 'b' or 'p'
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;  // permission bits; default 0666
  std::optional<uint32_t> uid, gid;
  bool operator==(const LinuxDevice&) const = default;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<LinuxDevice> devices;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::map<std::string, std::string> sysctl;
  std::string cgroups_path;
  CgroupResources resources;
  std::optional<Seccomp> seccomp;  // none: unconfined
};

// An OCI hook (config.md, "POSIX-platform Hooks"): `path` is executed with
// `args` (args[0] is argv[0]) and exactly `env`, the container's state JSON
// on its stdin, killed after `timeout` seconds when one is given.
struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;
  bool operator==(const Hook&) const = default;
};

// When each list runs (runtime/hooks.hpp): prestart and createRuntime in the
// runtime's namespaces once the container's exist; createContainer in the
// container's mount namespace before pivot_root (paths resolve on the host);
// startContainer in the container's, after pivot_root, before the process
// (paths resolve in the container); poststart and poststop in the runtime's.
struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() && start_container.empty() &&
           poststart.empty() && poststop.empty();
  }
  bool operator==(const Hooks&) const = default;
};

struct ContainerSpec {
  std::string oci_version = "1.0.2";
  Process process;
  Root root;
  std::string hostname;
  std::vector<Mount> mounts;
  Hooks hooks;
  Linux linux;  // the spec's key; -std=c++23 (no GNU extensions) does not define the `linux` macro
  // brick's own (config.json's "brick" object; runc ignores it): directories
  // of libraries bound in for a device, such as a GPU's driver libraries.
  // spawn lists them in /etc/ld.so.conf.d and runs the image's ldconfig, as
  // nvidia-container-toolkit's update-ldcache hook does, so the loader finds them.
  std::vector<std::string> ld_library_dirs;

  bool has_namespace(std::string_view type) const;
};

// The clone/setns flag of a spec namespace type ("pid" -> CLONE_NEWPID);
// an error naming the type for one brick does not support (user, time).
Result<int> namespace_flag(std::string_view type);

// runc's `runc spec` defaults with docker's capability list: /proc, /dev
// (tmpfs), /dev/pts, /dev/shm, /dev/mqueue, read-only /sys; the masked and
// read-only /proc paths; pid, network, ipc, uts, mount and cgroup namespaces;
// PATH and TERM in the environment; docker's default seccomp profile for
// those capabilities and no_new_privileges. root.path and process.args are left empty.
ContainerSpec default_spec();

// docker's default device cgroup rules (runc's AllowedDevices): deny all,
// mknod of any node, then null, zero, full, random, urandom, tty, console,
// the pts, ptmx, tun and fuse. default_spec() carries them.
const std::vector<DeviceRule>& default_device_rules();

// docker's default capability set (moby's oci/caps/defaults.go).
const std::vector<std::string>& default_capabilities();

// nlohmann's ADL hooks. from_json throws nlohmann::json::exception on a
// malformed document; use parse_spec() at the edges.
void to_json(nlohmann::json& j, const ContainerSpec& spec);
void from_json(const nlohmann::json& j, ContainerSpec& spec);
// One `args` entry of a seccomp rule, as the OCI spec and docker's profile
// files both write it.
void from_json(const nlohmann::json& j, SeccompArg& arg);

// config.json text (pretty-printed) and back.
std::string spec_to_json(const ContainerSpec& spec);
Result<ContainerSpec> parse_spec(std::string_view json_text);

}  // namespace brick::runtime
