#include "runtime/events.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "runtime/log_file.hpp"

namespace brick::runtime {

namespace {

using nlohmann::json;

// A line longer than this with no '\n' is no event (a writer that died
// mid-line on a full disk); the reader drops it rather than grow forever.
constexpr size_t kMaxLineBytes = 1 << 20;

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

void parse_lines(std::string& buf, std::vector<Event>& out) {
  size_t start = 0;
  for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
    auto event = parse_event(std::string_view(buf).substr(start, nl - start));
    if (event) out.push_back(std::move(*event));
  }
  buf.erase(0, start);
  if (buf.size() > kMaxLineBytes) buf.clear();
}

}  // namespace

std::string event_to_json(const Event& e) {
  json j = {{"timeNano", e.time}, {"type", e.type}, {"action", e.action}, {"id", e.id}, {"attributes", e.attributes}};
  // Labels are the user's bytes: replace what is not UTF-8 instead of throwing.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Event> parse_event(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (!j.is_object()) return fail("not an event: not a JSON object");
  try {
    Event e;
    e.time = j.at("timeNano").get<int64_t>();
    e.type = j.at("type").get<std::string>();
    e.action = j.at("action").get<std::string>();
    e.id = j.at("id").get<std::string>();
    if (j.contains("attributes")) e.attributes = j.at("attributes").get<std::map<std::string, std::string>>();
    return e;
  } catch (const json::exception& ex) {
    return fail(std::string("not an event: ") + ex.what());
  }
}

std::string events_path(const std::string& run_root) { return run_root + "/events.jsonl"; }

void append_event(const std::string& run_root, const Event& event, uint64_t max_bytes) {
  const std::string path = events_path(run_root);
  const std::string line = event_to_json(event) + "\n";
  auto open_it = [&] { return UniqueFd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)); };
  UniqueFd fd = open_it();
  if (!fd) return;
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && static_cast<uint64_t>(st.st_size) >= max_bytes) {
    // Writers that noticed at once take turns; only the first still finds
    // this file at the path, and it alone renames it.
    if (::flock(fd.get(), LOCK_EX) == 0) {
      struct stat now {};
      if (::stat(path.c_str(), &now) == 0 && same_file(now, st)) ::rename(path.c_str(), (path + ".1").c_str());
    }
    fd = open_it();
    if (!fd) return;
  }
  // One write: O_APPEND makes it land whole after every other writer's line.
  ssize_t n;
  do n = ::write(fd.get(), line.data(), line.size());
  while (n < 0 && errno == EINTR);
}

Event container_event(const ContainerState& state, std::string_view action,
                      const std::map<std::string, std::string>& extra) {
  Event e;
  e.time = now_unix_nanos();
  e.action = std::string(action);
  e.id = state.id;
  e.attributes = state.labels;
  e.attributes["name"] = state.name;
  e.attributes["image"] = state.image;
  for (const auto& [k, v] : extra) e.attributes[k] = v;
  return e;
}

void record_event(const std::string& run_root, const ContainerState& state, std::string_view action,
                  const std::map<std::string, std::string>& extra) {
  if (run_root.empty() || state.id.empty()) return;
  append_event(run_root, container_event(state, action, extra));
}

Result<EventTail> EventTail::open(const std::string& run_root, bool from_start) {
  EventTail tail(events_path(run_root));
  tail.inotify_ = UniqueFd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  // Without inotify (none left for this user) wait() falls back to polling.
  if (tail.inotify_ && ::inotify_add_watch(tail.inotify_.get(), run_root.c_str(),
                                           IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM) < 0) {
    if (errno == ENOENT) return fail_errno("watching `" + run_root + "`");
    tail.inotify_.reset();
  }
  if (from_start) {
    auto old = read_file(tail.path_ + ".1");
    if (old) parse_lines(*old, tail.pending_);
  }
  tail.open_current(!from_start);
  return tail;
}

bool EventTail::open_current(bool at_end) {
  fd_ = UniqueFd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  buf_.clear();
  if (!fd_) return false;
  if (at_end) ::lseek(fd_.get(), 0, SEEK_END);
  return true;
}

void EventTail::drain(std::vector<Event>& out) {
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(fd_.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf_.append(chunk, static_cast<size_t>(n));
    parse_lines(buf_, out);
  }
}

std::vector<Event> EventTail::read() {
  std::vector<Event> out = std::move(pending_);
  pending_.clear();
  // A file that appears after we started holds only new events.
  if (!fd_ && !open_current(false)) return out;
  drain(out);
  struct stat at_path {
  }, ours{};
  if (::stat(path_.c_str(), &at_path) == 0 && ::fstat(fd_.get(), &ours) == 0 && same_file(at_path, ours)) return out;
  // Rotated (or removed): what the old file got last, then the new one from
  // its start. A writer that opened the old file before the rename and
  // writes after this drain is lost to this reader: rare, and only at a
  // rotation.
  drain(out);
  fd_.reset();
  buf_.clear();
  if (open_current(false)) drain(out);
  return out;
}

void EventTail::wait(int timeout_ms) {
  if (!inotify_) {
    ::usleep(static_cast<useconds_t>(std::min(timeout_ms, 100)) * 1000);
    return;
  }
  struct pollfd p = {inotify_.get(), POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  char buf[4096];
  while (::read(inotify_.get(), buf, sizeof buf) > 0) {
  }
}

}  // namespace brick::runtime
