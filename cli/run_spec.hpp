// `brick run` / `brick create` flags, and the container spec they make over
// an image's config: the request docker's rules turn into the spec
// (engine/container_request.hpp, the same as compose's), then the process
// arguments and the resources. A library beside the brick binary, so a test
// can build a container exactly as `brick run` does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/container_request.hpp"
#include "images/image_config.hpp"
#include "runtime/spec.hpp"

namespace brick::cli {

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
  std::vector<std::string> volumes, mounts, tmpfs, devices;
  // --health-*: "" keeps the image's value.
  std::string health_cmd, health_interval, health_timeout, health_start_period, health_start_interval;
  int health_retries = 0;
  bool no_healthcheck = false;
  std::string gpus;  // --gpus all|N|device=ID,...
  std::vector<std::string> networks, network_aliases, publish, dns, dns_search, dns_options, add_hosts;
  std::string mac_address;  // --mac-address: for the first --network, as docker's
};

// docker's `-e KEY=VALUE` (or `-e KEY`, the caller's value if it has one)
// into a process environment, replacing that key.
Status apply_env_flag(std::vector<std::string>& env, const std::string& entry);

// docker's units.RAMInBytes: "32m", "1g", "512k", "100" (bytes).
Result<int64_t> parse_bytes(const std::string& text);
// A whole number, or "invalid WHAT: 'TEXT'".
Result<int64_t> parse_int(const std::string& text, const std::string& what);

// The flags' per-container request: -e and --env-file (read now), -u (or the
// image's USER), --ulimit, --cap-add/--cap-drop, --privileged,
// --security-opt (a relative profile from the current directory), -t, -h,
// --read-only, --device, -m, --memory-swap, --cpus, --pids-limit, --shm-size,
// --entrypoint, -w and the arguments after IMAGE.
Result<engine::ContainerRequest> run_request(const RunOptions& o, const images::ImageConfig& image);

struct RunSpec {
  runtime::ContainerSpec spec;
  std::vector<std::string> warnings;  // engine::apply_request's, for stderr
};
// runtime::default_spec() with run_request applied through the engine, its
// --device nodes read from the host now. Networks and mounts are the caller's.
Result<RunSpec> run_spec(const RunOptions& o, const images::ImageConfig& image, const engine::HostFacts& host);

}  // namespace brick::cli
