// Container lifecycle events without a daemon to emit them: every process
// that changes a container (the CLI for create/destroy/stop, the monitor for
// start/die/kill/pause/health) appends one JSON line to
//
//   <run-root>/events.jsonl      (the previous generation: events.jsonl.1)
//
// and readers (`compose events`) tail that file. One write() per line on an
// O_APPEND descriptor, so lines of concurrent writers never interleave. The
// file is bounded: past kEventsMaxBytes the writer that notices renames it to
// events.jsonl.1, so history reaches back one generation at most.
//
// Recording is best effort: an event that cannot be written is dropped, and
// never fails or slows (no fsync) the container operation that caused it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "runtime/container_store.hpp"

namespace brick::runtime {

inline constexpr uint64_t kEventsMaxBytes = 4 << 20;

// docker's event message for a container (its Actor's attributes: the
// labels, `name`, `image`, plus `exitCode` for die, `signal` for kill).
struct Event {
  int64_t time = 0;  // unix nanoseconds
  std::string type = "container";
  std::string action;  // create, start, die, kill, stop, pause, unpause, destroy, oom, "health_status: healthy"
  std::string id;
  std::map<std::string, std::string> attributes;
  bool operator==(const Event&) const = default;
};

// One line of the events file, without its '\n'.
std::string event_to_json(const Event& event);
Result<Event> parse_event(std::string_view line);

std::string events_path(const std::string& run_root);

// Appends `event` to the run root's events file, rotating it once it is past
// `max_bytes`. Never fails: an error drops the event.
void append_event(const std::string& run_root, const Event& event, uint64_t max_bytes = kEventsMaxBytes);

// An event about `state` now: its labels, name and image, plus `extra`.
Event container_event(const ContainerState& state, std::string_view action,
                      const std::map<std::string, std::string>& extra = {});
void record_event(const std::string& run_root, const ContainerState& state, std::string_view action,
                  const std::map<std::string, std::string>& extra = {});

// Follows the events file, across its rotations.
class EventTail {
 public:
  // `from_start`: what the files hold already (events.jsonl.1 first) comes
  // first; otherwise only events appended after this call.
  static Result<EventTail> open(const std::string& run_root, bool from_start);

  // The events of the complete lines appended since the last call.
  std::vector<Event> read();
  // Blocks until the file may have changed (inotify), or `timeout_ms`.
  void wait(int timeout_ms);

 private:
  explicit EventTail(std::string path) : path_(std::move(path)) {}
  void drain(std::vector<Event>& out);
  bool open_current(bool at_end);

  std::string path_;
  UniqueFd fd_;
  UniqueFd inotify_;
  std::string buf_;
  std::vector<Event> pending_;  // from events.jsonl.1, for the first read()
};

}  // namespace brick::runtime
