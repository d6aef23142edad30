// Container records: what brick knows about each container, on disk, with no
// daemon to ask.
//
//   <root>/containers/<id>/config.json   the ContainerSpec (OCI config.json)
//   <root>/containers/<id>/state.json    ContainerState below
//   <root>/containers/<id>/<id>-json.log the json-file log (and .1, .2 ...)
//   <run-root>/containers/<id>/monitor.sock  the monitor's control socket
//   <run-root>/containers/<id>/monitor.lock  held by the monitor while it lives
//
// Every record is written atomically. While a monitor lives it is the only
// writer of state.json; the CLI changes a running container by asking the
// monitor through its socket (runtime/container.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "runtime/log_file.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

enum class ContainerStatus { created, running, paused, restarting, exited };
std::string_view to_string(ContainerStatus status);
Result<ContainerStatus> parse_container_status(std::string_view text);

// docker's --restart: no, always, unless-stopped, on-failure[:N].
struct RestartPolicy {
  std::string name = "no";
  int max_retries = 0;  // on-failure only; 0 is unlimited
  bool operator==(const RestartPolicy&) const = default;
};
Result<RestartPolicy> parse_restart_policy(std::string_view text);
std::string to_string(const RestartPolicy& policy);

struct HealthResult {
  std::string start, end;
  int exit_code = 0;
  std::string output;
};

// What the monitor runs to decide a container's health (docker's
// HealthConfig): test is ["CMD", arg...] or ["CMD-SHELL", "command"]; times
// in nanoseconds; a zero time takes docker's default (interval and timeout
// 30 s, start_interval 5 s), retries 0 takes 3.
struct HealthcheckConfig {
  std::vector<std::string> test;
  int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 0;
  bool operator==(const HealthcheckConfig&) const = default;
};

struct Health {
  std::string status;  // starting, healthy, unhealthy
  int failing_streak = 0;
  std::vector<HealthResult> log;  // the last results, oldest first
};

struct ContainerState {
  std::string id;  // 64 hex
  std::string name;
  std::string image;     // as the user named it
  std::string image_id;  // config digest
  std::map<std::string, std::string> labels;
  std::string created, started, finished;  // RFC 3339 with nanoseconds
  ContainerStatus status = ContainerStatus::created;
  int pid = 0;  // the container's PID 1 on the host, while running
  int exit_code = 0;
  bool oom_killed = false;
  int restart_count = 0;
  std::optional<Health> health;
  int monitor_pid = 0;
  std::string stop_signal = "SIGTERM";
  int stop_timeout = 10;  // seconds
  RestartPolicy restart_policy;
  bool auto_remove = false;      // --rm
  bool stopped_by_user = false;  // set by stop/kill: the restart policy stands down
  std::string error;             // why the last start failed
  std::string log_path;
  LogOptions log_options;
  // The image's layer directories, bottom to top, and whether the rootfs is
  // read-only: the monitor mounts the overlay at each start.
  std::vector<std::string> layers;
  bool read_only_rootfs = false;
  std::vector<std::string> cgroup_dirs;  // while running
  // Resolved by the monitor once the rootfs is mounted: `-u` against the
  // image's /etc/passwd and /etc/group (empty user and group_add: the spec's
  // ids stand), and `-v`/`--mount`/`--tmpfs` as given (relative bind sources
  // against mount_base_dir), so a named volume gets the image's content.
  bool init = false;        // --init: brick's reaper is PID 1
  bool tty = false;         // -t: the process gets a pseudo-terminal the monitor holds the master of
  bool open_stdin = false;  // -i: stdin stays open (the CLI's when attached, else a pipe never written)
  std::string user;
  std::vector<std::string> group_add;
  std::vector<std::string> volume_flags, mount_flags, tmpfs_flags;
  std::string mount_base_dir;
  std::vector<std::string> volumes;              // named volumes this container uses (in-use for `volume rm`)
  std::vector<std::string> anonymous_volumes;    // those made for it: gone with `rm -v` and `run --rm`
  std::optional<HealthcheckConfig> healthcheck;  // none: no health status
  // Opaque to the runtime: what the layers above record for their monitor
  // hooks (MonitorArgs::prepare, finished), one JSON value per owner key:
  // "network" (net/container_network.hpp), "mounts" (volumes/). Stored and
  // returned as given.
  nlohmann::json extensions = nlohmann::json::object();
  // Never stored: set by list() and find() on a record whose state.json
  // cannot be read or parsed (why), so one bad record neither hides the
  // others nor escapes `rm -f`. Only id, name (when it can be made out),
  // created and the exited status are set then.
  std::string unreadable;

  bool running() const {
    return status == ContainerStatus::running || status == ContainerStatus::paused ||
           status == ContainerStatus::restarting;
  }
};

std::string state_to_json(const ContainerState& state);
Result<ContainerState> parse_state(std::string_view json_text);

class ContainerStore {
 public:
  // Opens (creating) `<root>/containers` and `<run_root>/containers`.
  static Result<ContainerStore> open(const std::string& root, const std::string& run_root);

  const std::string& root() const { return root_; }          // --root
  const std::string& run_root() const { return run_root_; }  // --run-root
  std::string dir(const std::string& id) const;              // <root>/containers/<id>
  std::string run_dir(const std::string& id) const;          // <run-root>/containers/<id>

  // Writes a new record: a fresh id, `state.name` made unique (a generated
  // adjective_surname when empty; "Conflict" error naming the holder when
  // taken), created time, log path. Returns the stored state.
  Result<ContainerState> create(ContainerState state, const ContainerSpec& spec);

  // The record as stored; an unreadable state.json is an error (see find).
  Result<ContainerState> load(const std::string& id) const;
  Result<ContainerSpec> load_spec(const std::string& id) const;
  // Rewrites config.json of a container that is not running (a create that
  // adds what only its record's name decides, such as GPU grants).
  Status save_spec(const std::string& id, const ContainerSpec& spec) const;
  // `durable`: see write_file_atomic.
  Status save(const ContainerState& state, bool durable = true) const;

  // By name (a leading '/' allowed), full id or unique id prefix; "No such
  // container: X" otherwise, "multiple containers" for an ambiguous prefix.
  // find and list return an unreadable record as a placeholder (`unreadable`
  // says why) instead of failing.
  Result<ContainerState> find(const std::string& name_or_id) const;
  // Every record, newest first.
  Result<std::vector<ContainerState>> list() const;
  // Those carrying every label in `labels` (an empty value matches any value).
  Result<std::vector<ContainerState>> list_by_labels(const std::map<std::string, std::string>& labels) const;

  // Deletes the record, its logs and its run directory (and the directories
  // of records left half-made by a killed create: sweep_incomplete).
  Status remove(const std::string& id) const;

 private:
  ContainerStore(std::string root, std::string run_root) : root_(std::move(root)), run_root_(std::move(run_root)) {}
  std::string containers() const { return root_ + "/containers"; }
  // load, or the placeholder for an unreadable record; a missing state.json
  // (a record being created or removed) stays an ENOENT error.
  Result<ContainerState> load_listed(const std::string& id) const;
  // Under the lock create and remove hold: removes record directories that
  // have no state.json, which create writes before it lets the lock go, so
  // each is one a CLI killed inside create left behind. Best effort.
  void sweep_incomplete() const;
  std::string root_;
  std::string run_root_;
};

// A sockaddr_un for `dir`/`name` that works whatever the length of `dir`:
// sun_path holds only 108 bytes, so the path goes through `dir_fd`, an open
// O_PATH descriptor of `dir`, as /proc/self/fd/<dir_fd>/<name>.
struct SocketAddress {
  UniqueFd dir_fd;
  std::string path;
};
Result<SocketAddress> socket_address(const std::string& dir, const std::string& name);

// Whether `name` is a valid container name: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
bool valid_container_name(std::string_view name);

}  // namespace brick::runtime
