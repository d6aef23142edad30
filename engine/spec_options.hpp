// docker's per-container defaults as spec options, one function each, in
// the shape of containerd's `oci.With...`: each takes the spec and the part
// of the request it needs. apply_request (container_request.hpp) applies
// them in order; the order matters where one reads what another wrote
// (the seccomp filter follows the capabilities).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "engine/container_request.hpp"
#include "runtime/spec.hpp"

namespace brick::engine {

// docker's CreateDaemonEnvironment: PATH (the spec's), HOSTNAME (when
// request.hostname is set) and, with a tty, TERM=xterm; then the image's Env
// and the request's, each replacing a key in place or appending it.
void with_environment(runtime::ContainerSpec& spec, const std::vector<std::string>& image_env,
                      const ContainerRequest& request);

// docker's merge of the image's Entrypoint and Cmd with the request's
// (daemon/commit.go, then an entrypoint of [""] reset to none): an empty
// entrypoint takes the image's Cmd when no cmd is given and the image's
// Entrypoint when none was given at all; a non-empty entrypoint replaces the
// image's and drops its Cmd. Empty: no command (the caller says so in its
// own words: a service, or `brick run` arguments).
std::vector<std::string> process_args(const std::vector<std::string>& image_entrypoint,
                                      const std::vector<std::string>& image_cmd, const ContainerRequest& request);

// The request's working directory, else the image's, else /; docker's error
// when it is not absolute.
Status with_working_dir(runtime::ContainerSpec& spec, const std::string& image_working_dir,
                        const ContainerRequest& request);

// `uid[:gid]` in numbers fills spec.process.user; a name waits for the
// monitor, which reads the image's /etc/passwd and /etc/group.
void with_user(runtime::ContainerSpec& spec, const std::string& user);

// Each ulimit replaces the spec's limit for its resource. -1 is unlimited,
// as docker reads it. Fails on an unknown resource, another negative value,
// soft above hard, or a hard limit above `hard_limits`.
Status with_ulimits(runtime::ContainerSpec& spec, const std::vector<Ulimit>& ulimits, const HardLimits& hard_limits);

// docker's `--ulimit` text: "nofile=1024:2048", "nproc=512" (soft = hard).
Result<Ulimit> parse_ulimit(std::string_view text);

// docker's TweakCapabilities (runtime/capabilities.hpp) into the bounding,
// effective and permitted sets; "every capability" (privileged, cap_add ALL)
// is every one in host.bounding.
Status with_capabilities(runtime::ContainerSpec& spec, const ContainerRequest& request, const HostFacts& host);

// docker's privileged beyond capabilities and seccomp: every device allowed,
// /sys writable, nothing masked or read-only under /proc.
void with_privileged(runtime::ContainerSpec& spec);

// security_opt, and the seccomp filter it decides: docker's default profile
// for the spec's bounding capabilities (so call after with_capabilities),
// none when privileged or `seccomp=unconfined`, a docker-format profile for
// `seccomp=FILE` (read now; a relative FILE from request.security_opt_dir).
// `no-new-privileges[=true|false]` sets the process's flag;
// `systempaths=unconfined` unmasks /proc. `apparmor=`/`label=` as docker on a
// host without that LSM: accepted and not applied, with a warning returned
// (docker is silent); on a host where it is enabled brick cannot honour a
// profile and refuses it (`unconfined`/`disable` always pass).
Result<std::vector<std::string>> with_security_opts(runtime::ContainerSpec& spec, const ContainerRequest& request,
                                                    const HostFacts& host);

// The cgroup limits and the size of /dev/shm (the spec's device rules stay).
// Fails with docker's messages: a memory limit under 6 MiB, negative cpus,
// cpus with cpu_period or cpu_quota.
Status with_resources(runtime::ContainerSpec& spec, const Resources& resources);

// docker's --device: each host node, which must be a character or block
// device, made at its target with the host's major/minor and mode, and
// allowed in the device cgroup with its permissions. Fails naming the entry
// otherwise.
Status with_devices(runtime::ContainerSpec& spec, const std::vector<DeviceMapping>& devices);

// docker's `--device` text: SOURCE[:TARGET][:PERMISSIONS] (permissions made
// of r, w and m; TARGET defaults to SOURCE).
Result<DeviceMapping> parse_device(std::string_view text);

}  // namespace brick::engine
