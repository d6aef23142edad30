#include "runtime/container_store.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/ids.hpp"
#include "base/json.hpp"
#include "base/private_dir.hpp"
#include "runtime/events.hpp"

namespace brick::runtime {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Status make_dir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return fail(Error("creating `" + path + "`: " + ec.message(), ec.value()));
  return {};
}

// A small subset of docker's names-generator lists; enough variety for a
// single host, and a retry suffix when they collide.
constexpr const char* kAdjectives[] = {"admiring", "brave",   "clever", "dazzling", "eager",    "focused",
                                       "gallant",  "happy",   "jolly",  "keen",     "lucid",    "modest",
                                       "nifty",    "optimal", "quirky", "relaxed",  "serene",   "tender",
                                       "upbeat",   "vibrant", "wizard", "xenial",   "youthful", "zealous"};
constexpr const char* kNames[] = {"babbage", "curie",   "darwin",  "einstein", "fermi",   "galileo",
                                  "hopper",  "jepsen",  "knuth",   "lovelace", "meitner", "noether",
                                  "pasteur", "ritchie", "shannon", "thompson", "turing",  "wozniak"};

std::string generated_name(const std::string& random) {
  unsigned a = static_cast<unsigned>(std::stoul(random.substr(0, 4), nullptr, 16));
  unsigned b = static_cast<unsigned>(std::stoul(random.substr(4, 4), nullptr, 16));
  return std::string(kAdjectives[a % std::size(kAdjectives)]) + "_" + kNames[b % std::size(kNames)];
}

}  // namespace

std::string_view to_string(ContainerStatus status) {
  switch (status) {
    case ContainerStatus::created: return "created";
    case ContainerStatus::running: return "running";
    case ContainerStatus::paused: return "paused";
    case ContainerStatus::restarting: return "restarting";
    case ContainerStatus::exited: return "exited";
  }
  return "unknown";
}

Result<ContainerStatus> parse_container_status(std::string_view text) {
  for (ContainerStatus s : {ContainerStatus::created, ContainerStatus::running, ContainerStatus::paused,
                            ContainerStatus::restarting, ContainerStatus::exited})
    if (to_string(s) == text) return s;
  return fail("unknown container status `" + std::string(text) + "`");
}

Result<RestartPolicy> parse_restart_policy(std::string_view text) {
  RestartPolicy p;
  std::string_view name = text.substr(0, text.find(':'));
  if (name.empty() || name == "no") {
    p.name = "no";
  } else if (name == "always" || name == "unless-stopped" || name == "on-failure") {
    p.name = std::string(name);
  } else {
    return fail("invalid restart policy `" + std::string(text) + "`");
  }
  if (size_t colon = text.find(':'); colon != std::string_view::npos) {
    if (p.name != "on-failure")
      return fail("invalid restart policy `" + std::string(text) +
                  "`: maximum retry count can only be used with "
                  "'on-failure'");
    std::string_view count = text.substr(colon + 1);
    int n = 0;
    if (count.empty()) return fail("invalid restart policy `" + std::string(text) + "`");
    for (char c : count) {
      if (c < '0' || c > '9' || n > 100000000) return fail("invalid restart policy `" + std::string(text) + "`");
      n = n * 10 + (c - '0');
    }
    p.max_retries = n;
  }
  return p;
}

std::string to_string(const RestartPolicy& policy) {
  if (policy.name == "on-failure" && policy.max_retries > 0)
    return policy.name + ":" + std::to_string(policy.max_retries);
  return policy.name;
}

Result<SocketAddress> socket_address(const std::string& dir, const std::string& name) {
  SocketAddress a;
  a.dir_fd = UniqueFd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!a.dir_fd) return fail_errno("opening `" + dir + "`");
  a.path = "/proc/self/fd/" + std::to_string(a.dir_fd.get()) + "/" + name;
  return a;
}

bool valid_container_name(std::string_view name) {
  if (name.size() < 2) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

std::string state_to_json(const ContainerState& s) {
  json j = {
      {"id", s.id},
      {"name", s.name},
      {"image", s.image},
      {"image_id", s.image_id},
      {"labels", s.labels},
      {"created", s.created},
      {"started", s.started},
      {"finished", s.finished},
      {"status", std::string(to_string(s.status))},
      {"pid", s.pid},
      {"exit_code", s.exit_code},
      {"oom_killed", s.oom_killed},
      {"restart_count", s.restart_count},
      {"monitor_pid", s.monitor_pid},
      {"stop_signal", s.stop_signal},
      {"stop_timeout", s.stop_timeout},
      {"restart_policy", {{"name", s.restart_policy.name}, {"max_retries", s.restart_policy.max_retries}}},
      {"auto_remove", s.auto_remove},
      {"stopped_by_user", s.stopped_by_user},
      {"error", s.error},
      {"log_path", s.log_path},
      {"log_options", {{"max_size", s.log_options.max_size}, {"max_file", s.log_options.max_file}}},
      {"layers", s.layers},
      {"read_only_rootfs", s.read_only_rootfs},
      {"cgroup_dirs", s.cgroup_dirs},
      {"init", s.init},
      {"tty", s.tty},
      {"open_stdin", s.open_stdin},
      {"user", s.user},
      {"group_add", s.group_add},
      {"volume_flags", s.volume_flags},
      {"mount_flags", s.mount_flags},
      {"tmpfs_flags", s.tmpfs_flags},
      {"mount_base_dir", s.mount_base_dir},
      {"volumes", s.volumes},
      {"anonymous_volumes", s.anonymous_volumes},
      {"extensions", s.extensions},
  };
  if (s.healthcheck) {
    const HealthcheckConfig& h = *s.healthcheck;
    j["healthcheck"] = {{"test", h.test},
                        {"interval_ns", h.interval_ns},
                        {"timeout_ns", h.timeout_ns},
                        {"start_period_ns", h.start_period_ns},
                        {"start_interval_ns", h.start_interval_ns},
                        {"retries", h.retries}};
  }
  if (s.health) {
    json log = json::array();
    for (const HealthResult& r : s.health->log)
      log.push_back({{"start", r.start}, {"end", r.end}, {"exit_code", r.exit_code}, {"output", r.output}});
    j["health"] = {{"status", s.health->status}, {"failing_streak", s.health->failing_streak}, {"log", log}};
  }
  return json_text(j, 2) + "\n";
}

Result<ContainerState> parse_state(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("parsing container state: not a JSON object");
  ContainerState s;
  try {
    json_read(j, "id", s.id);
    json_read(j, "name", s.name);
    json_read(j, "image", s.image);
    json_read(j, "image_id", s.image_id);
    json_read(j, "labels", s.labels);
    json_read(j, "created", s.created);
    json_read(j, "started", s.started);
    json_read(j, "finished", s.finished);
    std::string status = "created";
    json_read(j, "status", status);
    s.status = BRICK_TRY_CTX(parse_container_status(status), "parsing container state");
    json_read(j, "pid", s.pid);
    json_read(j, "exit_code", s.exit_code);
    json_read(j, "oom_killed", s.oom_killed);
    json_read(j, "restart_count", s.restart_count);
    json_read(j, "monitor_pid", s.monitor_pid);
    json_read(j, "stop_signal", s.stop_signal);
    json_read(j, "stop_timeout", s.stop_timeout);
    if (auto it = j.find("restart_policy"); it != j.end() && it->is_object()) {
      json_read(*it, "name", s.restart_policy.name);
      json_read(*it, "max_retries", s.restart_policy.max_retries);
    }
    json_read(j, "auto_remove", s.auto_remove);
    json_read(j, "stopped_by_user", s.stopped_by_user);
    json_read(j, "error", s.error);
    json_read(j, "log_path", s.log_path);
    if (auto it = j.find("log_options"); it != j.end() && it->is_object()) {
      json_read(*it, "max_size", s.log_options.max_size);
      json_read(*it, "max_file", s.log_options.max_file);
    }
    json_read(j, "layers", s.layers);
    json_read(j, "read_only_rootfs", s.read_only_rootfs);
    json_read(j, "cgroup_dirs", s.cgroup_dirs);
    json_read(j, "init", s.init);
    json_read(j, "tty", s.tty);
    json_read(j, "open_stdin", s.open_stdin);
    json_read(j, "user", s.user);
    json_read(j, "group_add", s.group_add);
    json_read(j, "volume_flags", s.volume_flags);
    json_read(j, "mount_flags", s.mount_flags);
    json_read(j, "tmpfs_flags", s.tmpfs_flags);
    json_read(j, "mount_base_dir", s.mount_base_dir);
    json_read(j, "volumes", s.volumes);
    json_read(j, "anonymous_volumes", s.anonymous_volumes);
    if (auto it = j.find("extensions"); it != j.end() && it->is_object()) s.extensions = *it;
    if (auto it = j.find("healthcheck"); it != j.end() && it->is_object()) {
      HealthcheckConfig h;
      json_read(*it, "test", h.test);
      json_read(*it, "interval_ns", h.interval_ns);
      json_read(*it, "timeout_ns", h.timeout_ns);
      json_read(*it, "start_period_ns", h.start_period_ns);
      json_read(*it, "start_interval_ns", h.start_interval_ns);
      json_read(*it, "retries", h.retries);
      s.healthcheck = std::move(h);
    }
    if (auto it = j.find("health"); it != j.end() && it->is_object()) {
      Health h;
      json_read(*it, "status", h.status);
      json_read(*it, "failing_streak", h.failing_streak);
      if (auto log = it->find("log"); log != it->end() && log->is_array()) {
        for (const json& r : *log) {
          HealthResult result;
          json_read(r, "start", result.start);
          json_read(r, "end", result.end);
          json_read(r, "exit_code", result.exit_code);
          json_read(r, "output", result.output);
          h.log.push_back(std::move(result));
        }
      }
      s.health = std::move(h);
    }
  } catch (const json::exception& e) {
    return fail(std::string("parsing container state: ") + e.what());
  }
  return s;
}

Result<ContainerStore> ContainerStore::open(const std::string& root, const std::string& run_root) {
  // Absolute, so a monitor started from here finds them from anywhere.
  ContainerStore store(fs::absolute(root).lexically_normal().string(),
                       fs::absolute(run_root).lexically_normal().string());
  // Writable layers and logs: no host user may reach a container's files.
  BRICK_TRY(make_private_dir(root + "/containers"));
  BRICK_TRY(make_dir(run_root + "/containers"));
  return store;
}

std::string ContainerStore::dir(const std::string& id) const { return containers() + "/" + id; }
std::string ContainerStore::run_dir(const std::string& id) const { return run_root_ + "/containers/" + id; }

Result<ContainerState> ContainerStore::create(ContainerState state, const ContainerSpec& spec) {
  if (!state.name.empty() && state.name[0] == '/') state.name.erase(0, 1);
  if (!state.name.empty() && !valid_container_name(state.name))
    return fail("Invalid container name (" + state.name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  // Names are unique: check and write under one lock.
  FileLock lock = BRICK_TRY(FileLock::acquire(containers() + "/.lock"));
  sweep_incomplete();
  std::vector<ContainerState> existing = BRICK_TRY(list());
  auto holder = [&](const std::string& name) -> const ContainerState* {
    for (const ContainerState& c : existing)
      if (c.name == name) return &c;
    return nullptr;
  };
  if (state.name.empty()) {
    for (int attempt = 0; state.name.empty() || holder(state.name); ++attempt) {
      std::string random = BRICK_TRY(random_hex(4));
      state.name = generated_name(random) + (attempt > 4 ? std::to_string(attempt) : "");
    }
  } else if (const ContainerState* c = holder(state.name)) {
    return fail(Error("Conflict. The container name \"/" + state.name + "\" is already in use by container \"" + c->id +
                          "\". You have to remove (or rename) that container to be able to reuse that name.",
                      EEXIST));
  }
  state.id = BRICK_TRY(random_hex(32));
  state.created = format_rfc3339_nanos(now_unix_nanos());
  state.status = ContainerStatus::created;
  const std::string d = dir(state.id);
  state.log_path = d + "/" + state.id + "-json.log";
  if (::mkdir(d.c_str(), 0700) < 0) return fail_errno("creating `" + d + "`");
  // config.json first: a record is listed once its state.json is there.
  Status written =
      write_files_atomic(d, {{"config.json", spec_to_json(spec)}, {"state.json", state_to_json(state)}}, 0600);
  if (!written) {
    (void)remove_tree(d);  // the write's own error is the one to report
    return fail(std::move(written).error().context("creating container `" + state.name + "`"));
  }
  record_event(run_root_, state, "create");
  return state;
}

Result<ContainerState> ContainerStore::load(const std::string& id) const {
  std::string text = BRICK_TRY(read_file(dir(id) + "/state.json"));
  return BRICK_TRY_CTX(parse_state(text), "container `" + id + "`");
}

Result<ContainerState> ContainerStore::load_listed(const std::string& id) const {
  const std::string path = dir(id) + "/state.json";
  auto text = read_file(path);
  if (!text && text.error().errno_value() == ENOENT) return fail(std::move(text).error());
  auto state = text ? parse_state(*text) : Result<ContainerState>(fail(text.error()));
  if (state) return state;
  ContainerState s;
  s.id = id;
  s.status = ContainerStatus::exited;
  s.unreadable = state.error().message();
  // The name, when the top-level key of the JSON this store writes (two
  // spaces in) survived: the user may know the container by it.
  if (text) {
    static constexpr std::string_view kKey = "\n  \"name\": \"";
    if (size_t at = text->find(kKey); at != std::string::npos) {
      size_t begin = at + kKey.size(), end = text->find('"', begin);
      if (end != std::string::npos && valid_container_name(std::string_view(*text).substr(begin, end - begin)))
        s.name = text->substr(begin, end - begin);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0)
    s.created = format_rfc3339_nanos(int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec);
  return s;
}

Result<ContainerSpec> ContainerStore::load_spec(const std::string& id) const {
  std::string text = BRICK_TRY(read_file(dir(id) + "/config.json"));
  return BRICK_TRY_CTX(parse_spec(text), "container `" + id + "`");
}

Status ContainerStore::save_spec(const std::string& id, const ContainerSpec& spec) const {
  return write_file_atomic(dir(id) + "/config.json", spec_to_json(spec), 0600);
}

Status ContainerStore::save(const ContainerState& state, bool durable) const {
  return write_file_atomic(dir(state.id) + "/state.json", state_to_json(state), 0600, durable);
}

Result<std::vector<ContainerState>> ContainerStore::list() const {
  std::vector<ContainerState> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(containers(), ec)) {
    const std::string id = e.path().filename().string();
    if (id.size() != 64 || !e.is_directory()) continue;
    // A record being created or removed right now has no state.json (yet).
    auto state = load_listed(id);
    if (!state) continue;
    out.push_back(std::move(*state));
  }
  if (ec) return fail(Error("listing `" + containers() + "`: " + ec.message(), ec.value()));
  std::sort(out.begin(), out.end(), [](const ContainerState& a, const ContainerState& b) {
    return a.created != b.created ? a.created > b.created : a.id < b.id;
  });
  return out;
}

Result<std::vector<ContainerState>> ContainerStore::list_by_labels(
    const std::map<std::string, std::string>& labels) const {
  std::vector<ContainerState> all = BRICK_TRY(list());
  std::vector<ContainerState> out;
  for (ContainerState& c : all) {
    bool match = std::all_of(labels.begin(), labels.end(), [&](const auto& kv) {
      auto it = c.labels.find(kv.first);
      return it != c.labels.end() && (kv.second.empty() || it->second == kv.second);
    });
    if (match) out.push_back(std::move(c));
  }
  return out;
}

Result<ContainerState> ContainerStore::find(const std::string& name_or_id) const {
  std::string key = name_or_id;
  if (!key.empty() && key[0] == '/') key.erase(0, 1);
  if (key.empty()) return fail("No such container: " + name_or_id);
  // A full id comes first in docker's order too: read that one record
  // instead of every record (compose and the monitors always pass ids).
  if (key.size() == 64 && key.find_first_not_of("0123456789abcdef") == std::string::npos) {
    auto state = load_listed(key);
    if (state || state.error().errno_value() != ENOENT) return state;
  }
  std::vector<ContainerState> all = BRICK_TRY(list());
  // docker's order: full id, then name, then id prefix.
  for (ContainerState& c : all)
    if (c.id == key) return std::move(c);
  for (ContainerState& c : all)
    if (c.name == key) return std::move(c);
  const ContainerState* match = nullptr;
  for (const ContainerState& c : all) {
    if (!c.id.starts_with(key)) continue;
    if (match) return fail("multiple containers found with provided prefix: " + key);
    match = &c;
  }
  if (!match) return fail(Error("No such container: " + name_or_id, ENOENT));
  return *match;
}

void ContainerStore::sweep_incomplete() const {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(containers(), ec)) {
    const std::string id = e.path().filename().string();
    if (id.size() != 64 || !e.is_directory(ec)) continue;
    const std::string d = e.path().string();
    struct stat st {};
    if (::lstat((d + "/state.json").c_str(), &st) == 0 || errno != ENOENT) continue;
    // Never started (no state.json, no monitor), so nothing is mounted
    // there; but a remove that failed half-way may have left its rootfs.
    (void)::umount2((d + "/rootfs").c_str(), MNT_DETACH);
    (void)remove_tree(d);
    (void)remove_tree(run_dir(id));
  }
}

Status ContainerStore::remove(const std::string& id) const {
  if (id.size() != 64) return fail("removing container `" + id + "`: not a container id");
  // Under the lock create takes: a record half removed is not taken for one
  // half made (sweep_incomplete), and the sweep is done here too.
  FileLock lock = BRICK_TRY(FileLock::acquire(containers() + "/.lock"));
  sweep_incomplete();
  const std::string d = dir(id);
  // Read before it goes: the destroy event carries the container's labels.
  auto gone = load(id);
  // A rootfs still mounted would let remove_all reach into the overlay.
  if (::umount2((d + "/rootfs").c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return fail_errno("removing container `" + id + "`: unmounting its rootfs");
  BRICK_TRY(remove_tree(d));
  BRICK_TRY(remove_tree(run_dir(id)));
  if (gone) record_event(run_root_, *gone, "destroy");
  return {};
}

}  // namespace brick::runtime
