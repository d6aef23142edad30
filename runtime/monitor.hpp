// The monitor: one small process per running container, the brick binary
// re-executed (`brick container-monitor ID`, hidden). It detaches from the
// CLI (double fork + setsid, done by start_container in container.hpp), is
// the parent and subreaper of the container's PID 1, mounts the rootfs and
// makes the cgroup, writes the container's stdout/stderr into the json-file
// log, records exit code, times and OOM kills, applies the restart policy
// with docker's back-off, and at the end tears down cgroup and mount (and
// the record, with --rm).
//
// It serves requests on `<run-root>/containers/<id>/monitor.sock`, one JSON
// object per connection, answered with one JSON object:
//   {"op":"stop","signal":15,"timeout":10}  the stop signal, SIGKILL of the
//                                           whole cgroup after `timeout` s
//   {"op":"kill","signal":9}
//   {"op":"pause"} / {"op":"unpause"}       the freezer
//   {"op":"stats"}  -> {"memory":B,"memory_limit":B,"pids":N,"cpu_ns":N}
//   {"op":"resize","rows":R,"cols":C}     the terminal's size (-t)
// Answers are {"ok":true,...} or {"ok":false,"error":"..."}.
#pragma once

#include <functional>
#include <string>

#include "base/error.hpp"
#include "runtime/container_store.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

// Fixed descriptor numbers the launcher hands the monitor.
inline constexpr int kMonitorSyncFd = 3;       // start report: "0\n" or "<125|126|127> message"
inline constexpr int kMonitorExitFd = 4;       // "<exit code>\n" once the container is done for good
inline constexpr int kMonitorAttachOutFd = 5;  // with --attach: a copy of stdout goes here...
inline constexpr int kMonitorAttachErrFd = 6;  // ...and of stderr here
inline constexpr int kMonitorAttachInFd = 7;   // with --attach-stdin: the container's input

struct MonitorArgs {
  std::string root, run_root, id;
  bool attach = false;
  bool attach_stdin = false;
  // Runs once, after the rootfs is mounted (spec.root.path set) and the user
  // resolved, before the first spawn: the caller's mounts that need the
  // image's content (named volumes live in a module above this one). It may
  // add spec.mounts and record in `state` the volumes used; a failure fails
  // the start with 125.
  std::function<Status(ContainerState& state, ContainerSpec& spec)> prepare;
  // Runs once the container is done for good (no restart follows), before
  // its record may go: what `prepare` set up on the host that outlives a
  // single run (network attachments, published ports) is undone here. It
  // may change `state` (drop what it recorded); the monitor saves it after.
  std::function<void(ContainerState& state)> finished;
  // Runs after an auto-removed (--rm) container's record is gone: its
  // anonymous volumes go too, as with docker.
  std::function<void(const ContainerState& state)> removed;
};

// The monitor's body; returns its process exit status. Expects fds 3 and 4
// (and 5, 6 with attach) open as above and nothing else beyond 0-2.
int run_monitor(const MonitorArgs& args);

}  // namespace brick::runtime
