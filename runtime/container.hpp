// The container API the CLI and the compose orchestrator drive: records in
// ContainerStore (container_store.hpp), a monitor per running container
// (monitor.hpp). Every call works from any later process: no daemon.
//
//   ContainerStore store = ContainerStore::open(root, run_root);
//   ContainerState c = create_container(store, {...});   // record only
//   StartResult r = start_container(store, c.id, {});    // monitor + process
//   stop_container(store, c.id, {});                     // signal, grace, SIGKILL
//   int code = wait_container(store, c.id);              // blocks until it is done
//   remove_container(store, c.id, /*force=*/false);
#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "runtime/container_store.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

struct CreateOptions {
  std::string name;  // empty: generated
  std::string image;
  std::string image_id;
  std::vector<std::string> layers;  // the image's layer directories, bottom to top
  std::map<std::string, std::string> labels;
  ContainerSpec spec;  // root.path is filled in at start
  RestartPolicy restart_policy;
  std::string stop_signal = "SIGTERM";
  int stop_timeout = 10;
  bool auto_remove = false;
  LogOptions log_options;
  bool init = false;
  bool tty = false;         // -t (spec.process.terminal is set from it)
  bool open_stdin = false;  // -i
  // Resolved by the monitor against the mounted rootfs (ContainerState).
  std::string user;
  std::vector<std::string> group_add;
  std::vector<std::string> volume_flags, mount_flags, tmpfs_flags;
  std::string mount_base_dir;
  std::vector<std::string> volumes;            // named volumes known at create time
  std::vector<std::string> anonymous_volumes;  // made for this container
  std::optional<HealthcheckConfig> healthcheck;
  nlohmann::json extensions = nlohmann::json::object();  // ContainerState::extensions
};

// Writes the record (status `created`); starts nothing.
Result<ContainerState> create_container(const ContainerStore& store, const CreateOptions& options);

struct StartOptions {
  // Foreground: the monitor copies the container's output to these too.
  int attach_stdout = -1;
  int attach_stderr = -1;
  // With -i: the container reads this (with -t, the monitor copies it into
  // the terminal, whose size it takes from this fd when it is a terminal).
  int attach_stdin = -1;
  // The brick binary to run as the monitor (`brick container-monitor ID`);
  // empty: this executable. A test binary driving this API passes brick's path.
  std::string monitor_binary;
};

struct StartResult {
  // 0: running. Otherwise docker's codes: 125 brick failed, 126 the command
  // cannot be executed, 127 it was not found; `error` says why.
  int code = 0;
  std::string error;
  // Readable: "<exit code>\n" once the container is done for good (EOF
  // without it: the monitor died).
  UniqueFd exit_fd;
};

// Launches the monitor and returns once the container runs or failed to.
// Starting a running container is a no-op (code 0, no exit_fd).
Result<StartResult> start_container(const ContainerStore& store, const std::string& id, const StartOptions& options);

// Reads the exit code the monitor reports on `exit_fd` once the container
// has ended (and, for --rm, been removed); falls back to the record when the
// monitor died without one. Returns before the monitor itself has exited.
Result<int> read_exit_code(const ContainerStore& store, const std::string& id, int exit_fd);

// `signal` (0: the record's stop signal), then SIGKILL of the cgroup after
// `timeout` seconds (nullopt: the record's). Marks the container stopped by
// the user, so its restart policy stands down. Returns once it is down.
Status stop_container(const ContainerStore& store, const std::string& id, int signal = 0,
                      std::optional<int> timeout = std::nullopt);
Status kill_container(const ContainerStore& store, const std::string& id, int signal);
Status pause_container(const ContainerStore& store, const std::string& id);
// -t: the container's terminal size (the attached CLI's, after a SIGWINCH).
Status resize_terminal(const ContainerStore& store, const std::string& id, int rows, int cols);
Status unpause_container(const ContainerStore& store, const std::string& id);

struct ContainerStats {
  uint64_t memory = 0, memory_limit = 0, pids = 0, cpu_ns = 0;
};
Result<ContainerStats> container_stats(const ContainerStore& store, const std::string& id);

// Blocks until no monitor runs for `id`; returns the recorded exit code
// (the last one seen when the record was removed with --rm).
Result<int> wait_container(const ContainerStore& store, const std::string& id);

// Refuses a running container unless `force` (then kills it first).
Status remove_container(const ContainerStore& store, const std::string& id, bool force);

// The record, corrected when its monitor died without saying so (a running
// status whose monitor no longer holds its lock reads as exited, unless
// processes are left in its cgroup: then it reads as running, monitor_lost).
Result<ContainerState> observe_container(const ContainerStore& store, const std::string& id);

// A record observe_container() found running with its monitor killed and
// its processes alive: nothing logs its output or applies its restart
// policy; `start` refuses it, stop/kill/rm -f act on its cgroup directly.
inline bool monitor_lost(const ContainerState& state) {
  return state.running() && state.monitor_pid == 0 && state.unreadable.empty();
}

// Whether a monitor runs for `id` (holds its lock) right now.
bool monitor_running(const ContainerStore& store, const std::string& id);

// Signal names as docker takes them: "SIGTERM", "TERM", "15".
Result<int> parse_signal(const std::string& text);

}  // namespace brick::runtime
