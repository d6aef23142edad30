#include "cli/container_cmd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "cli/output.hpp"
#include "gpu/ledger.hpp"
#include "orchestrator/container_network.hpp"
#include "orchestrator/gpu_grant.hpp"
#include "orchestrator/release.hpp"
#include "runtime/container.hpp"
#include "runtime/monitor.hpp"
#include "volumes/container_mounts.hpp"
#include "volumes/mounts.hpp"
#include "volumes/volume_store.hpp"

namespace brick::cli {
namespace {

using namespace brick::runtime;
using nlohmann::json;

struct Options {
  std::vector<std::string> names;
  bool all = false, quiet = false, force = false, follow = false, timestamps = false, no_trunc = false;
  bool no_stream = false, attach = false, attach_stdin = false, volumes = false;
  std::string format, since, until, tail = "all", signal;
  std::optional<int> timeout;
  std::vector<std::string> filters;
  // container-monitor
  std::string id;
};

Result<ContainerStore> open_store(const Context& ctx) {
  return ContainerStore::open(ctx.global.root, ctx.global.run_root);
}

// docker's units.HumanDuration.
std::string human_duration(int64_t nanos) {
  double seconds = static_cast<double>(nanos) / 1e9;
  auto n = [](double v) { return std::to_string(static_cast<long long>(v)); };
  double minutes = seconds / 60, hours = minutes / 60;
  if (seconds < 1) return "Less than a second";
  if (seconds < 2) return "1 second";
  if (seconds < 60) return n(seconds) + " seconds";
  if (minutes < 2) return "About a minute";
  if (minutes < 60) return n(minutes) + " minutes";
  if (hours < 1.5) return "About an hour";
  if (hours < 48) return n(hours + 0.5) + " hours";
  if (hours < 24 * 7 * 2) return n(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return n(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return n(hours / 24 / 30) + " months";
  return n(hours / 24 / 365) + " years";
}

int64_t since_time(const std::string& rfc3339) {
  auto t = parse_rfc3339_nanos(rfc3339);
  return t ? now_unix_nanos() - *t : 0;
}

std::string status_text(const ContainerState& c) {
  if (!c.unreadable.empty()) return c.running() ? "Up (unreadable record)" : "Dead (unreadable record)";
  switch (c.status) {
    case ContainerStatus::created: return "Created";
    case ContainerStatus::running: {
      std::string health;
      if (c.health && c.health->status == "starting") health = " (health: starting)";
      if (c.health && c.health->status != "starting") health = " (" + c.health->status + ")";
      if (monitor_lost(c)) health += " (monitor lost)";
      return "Up " + human_duration(since_time(c.started)) + health;
    }
    case ContainerStatus::paused: return "Up " + human_duration(since_time(c.started)) + " (Paused)";
    case ContainerStatus::restarting:
      return "Restarting (" + std::to_string(c.exit_code) + ") " + human_duration(since_time(c.finished)) + " ago";
    case ContainerStatus::exited:
      return "Exited (" + std::to_string(c.exit_code) + ") " + human_duration(since_time(c.finished)) + " ago";
  }
  return "";
}

std::string command_text(const ContainerStore& store, const ContainerState& c, bool trunc) {
  auto spec = store.load_spec(c.id);
  std::string cmd = spec ? join(spec->process.args, " ") : "";
  if (trunc && cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
  return "\"" + cmd + "\"";
}

std::string labels_text(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  parts.reserve(labels.size());
  for (const auto& [k, v] : labels) parts.push_back(std::string(k).append("=").append(v));
  return join(parts, ",");
}

Result<bool> matches(const ContainerState& c, const std::vector<std::string>& filters) {
  for (const std::string& f : filters) {
    size_t eq = f.find('=');
    if (eq == std::string::npos) return fail("bad format of filter (expected name=value)");
    std::string key = f.substr(0, eq), value = f.substr(eq + 1);
    if (key == "label") {
      size_t e2 = value.find('=');
      auto it = c.labels.find(value.substr(0, e2));
      if (it == c.labels.end() || (e2 != std::string::npos && it->second != value.substr(e2 + 1))) return false;
    } else if (key == "status") {
      if (to_string(c.status) != value) return false;
    } else if (key == "name") {
      if (c.name.find(value) == std::string::npos) return false;
    } else if (key == "id") {
      if (!c.id.starts_with(value)) return false;
    } else if (key == "exited") {
      if (c.status != ContainerStatus::exited || std::to_string(c.exit_code) != value) return false;
    } else {
      return fail("invalid filter '" + key + "'");
    }
  }
  return true;
}

Status run_ps(const Options& o, const Context& ctx) {
  ContainerStore store = BRICK_TRY(open_store(ctx));
  std::vector<ContainerState> all = BRICK_TRY(store.list());
  std::vector<std::vector<std::string>> rows = {
      {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}};
  std::string out;
  for (const ContainerState& listed : all) {
    auto observed = observe_container(store, listed.id);
    if (!observed) continue;  // removed meanwhile
    const ContainerState& c = *observed;
    // One bad record must not hide the others; it is listed so rm -f can go.
    if (!c.unreadable.empty())
      std::cerr << "brick: warning: container `" << c.id << "`" << (c.name.empty() ? "" : " (`" + c.name + "`)")
                << ": its record is unreadable: " << c.unreadable << "; `brick rm -f " << c.id.substr(0, 12)
                << "` removes it\n";
    bool filtered_by_status =
        std::any_of(o.filters.begin(), o.filters.end(), [](const std::string& f) { return f.starts_with("status="); });
    if (!o.all && !c.running() && !filtered_by_status) continue;
    if (!BRICK_TRY(matches(c, o.filters))) continue;
    std::string short_id = o.no_trunc ? c.id : c.id.substr(0, 12);
    if (o.quiet) {
      out += short_id + "\n";
    } else if (o.format == "json" || o.format == "{{json .}}") {
      json j = {{"Command", command_text(store, c, !o.no_trunc)},
                {"CreatedAt", c.created},
                {"ID", short_id},
                {"Image", c.image},
                {"Labels", labels_text(c.labels)},
                {"Names", c.name},
                {"Ports", ports_text(c)},
                {"RunningFor", human_duration(since_time(c.created)) + " ago"},
                {"State", c.unreadable.empty() ? std::string(to_string(c.status)) : "dead"},
                {"Status", status_text(c)}};
      out += j.dump() + "\n";
    } else {
      rows.push_back({short_id, c.image, command_text(store, c, !o.no_trunc),
                      human_duration(since_time(c.created)) + " ago", status_text(c), ports_text(c), c.name});
    }
  }
  if (!o.quiet && o.format.empty())
    out = table(rows);
  else if (!o.format.empty() && o.format != "json" && o.format != "{{json .}}" && !o.quiet)
    return fail("unsupported --format `" + o.format + "` (use json)");
  std::cout << out;
  return {};
}

void print_entry(const LogEntry& e, bool timestamps) {
  std::string text = timestamps ? format_rfc3339_nanos(e.time) + " " + e.log : e.log;
  if (e.stream == "stderr") {
    std::cout.flush();
    std::cerr << text;
    std::cerr.flush();
  } else {
    std::cout << text;
  }
}

Status run_logs(const Options& o, const Context& ctx) {
  ContainerStore store = BRICK_TRY(open_store(ctx));
  ContainerState c = BRICK_TRY(store.find(o.names.at(0)));
  LogQuery q;
  const int64_t now = now_unix_nanos();
  if (!o.since.empty()) q.since = BRICK_TRY(parse_since(o.since, now));
  if (!o.until.empty()) q.until = BRICK_TRY(parse_since(o.until, now));
  if (o.tail != "all" && !o.tail.empty()) {
    if (o.tail.find_first_not_of("0123456789") != std::string::npos) return fail("invalid --tail `" + o.tail + "`");
    q.tail = std::stoul(o.tail);
  }
  auto keep = [&](const LogEntry& e) { return (!q.since || e.time >= *q.since) && (!q.until || e.time < *q.until); };
  // The rotated files, then the current one through a descriptor that -f keeps reading.
  std::vector<LogEntry> entries;
  for (const std::string& file : log_files(c.log_path, c.log_options.max_file)) {
    if (file == c.log_path) continue;
    auto text = read_file(file);
    if (!text) continue;
    std::string buf = *text + "\n";
    for (const std::string& line : split(buf, '\n'))
      if (auto e = decode_log_entry(line)) entries.push_back(std::move(*e));
  }
  UniqueFd fd(::open(c.log_path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string buf;
  if (fd)
    for (LogEntry& e : read_new_entries(fd.get(), buf)) entries.push_back(std::move(e));
  std::erase_if(entries, [&](const LogEntry& e) { return !keep(e); });
  size_t first = q.tail && *q.tail < entries.size() ? entries.size() - *q.tail : 0;
  for (size_t i = first; i < entries.size(); ++i) print_entry(entries[i], o.timestamps);
  std::cout.flush();
  if (!o.follow) return {};
  for (;;) {
    bool alive = monitor_running(store, c.id);
    if (!fd) fd = UniqueFd(::open(c.log_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd) {
      for (const LogEntry& e : read_new_entries(fd.get(), buf))
        if (keep(e)) print_entry(e, o.timestamps);
      std::cout.flush();
      // Rotated: what is left in the old file was read above; go on with the new one.
      struct stat now_st {
      }, fd_st{};
      if (::stat(c.log_path.c_str(), &now_st) == 0 && ::fstat(fd.get(), &fd_st) == 0 && now_st.st_ino != fd_st.st_ino) {
        fd = UniqueFd(::open(c.log_path.c_str(), O_RDONLY | O_CLOEXEC));
        buf.clear();
        continue;
      }
    }
    if (!alive) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// The value at a Go-template path like `.State.ExitCode` in `j`.
std::string template_value(const json& j, const std::string& path) {
  const json* cur = &j;
  for (const std::string& key : split(path, '.')) {
    if (key.empty()) continue;
    if (!cur->is_object() || !cur->contains(key)) return "<no value>";
    cur = &(*cur)[key];
  }
  if (cur->is_string()) return cur->get<std::string>();
  return cur->dump();
}

// `{{.A.B}}` and `{{json .A}}` substituted; everything else kept as text.
std::string apply_template(const std::string& format, const json& j) {
  std::string out;
  size_t pos = 0;
  while (pos < format.size()) {
    size_t open = format.find("{{", pos);
    if (open == std::string::npos) break;
    size_t close = format.find("}}", open);
    if (close == std::string::npos) break;
    out += format.substr(pos, open - pos);
    std::string expr(trim(format.substr(open + 2, close - open - 2)));
    if (expr.starts_with("json ")) {
      std::string path(trim(expr.substr(5)));
      const json* cur = &j;
      for (const std::string& key : split(path, '.'))
        if (!key.empty() && cur->is_object() && cur->contains(key)) cur = &(*cur)[key];
      out += cur->dump();
    } else {
      out += template_value(j, expr);
    }
    pos = close + 2;
  }
  out += format.substr(pos);
  return out;
}

std::string network_mode_text(const ContainerState& c, const ContainerSpec& s) {
  if (!c.extensions.contains(net::kNetworkExtension)) return s.has_namespace("network") ? "none" : "host";
  auto cfg = orchestrator::network_config_of(c);
  if (!cfg) return "";
  return cfg->mode == "bridge" && !cfg->networks.empty() ? cfg->networks.front().network : cfg->mode;
}

// docker's NetworkSettings: the endpoints and published ports while running.
json network_settings(const ContainerState& c) {
  json networks = json::object(), ports = json::object();
  std::optional<net::NetworkStatus> status = c.running() ? orchestrator::network_status_of(c) : std::nullopt;
  if (status) {
    for (const net::EndpointStatus& e : status->endpoints)
      networks[e.network] = {
          {"NetworkID", e.network_id}, {"IPAddress", e.address},     {"IPPrefixLen", e.prefix_length},
          {"Gateway", e.gateway},      {"MacAddress", e.mac},        {"Aliases", e.aliases},
          {"Interface", e.interface},  {"GwPriority", e.gw_priority}};
    for (const net::PublishedPort& p : status->ports) {
      json& list = ports[std::to_string(p.container_port) + "/" + p.protocol];
      if (!list.is_array()) list = json::array();
      list.push_back({{"HostIp", p.host_ip}, {"HostPort", std::to_string(p.host_port)}});
    }
  }
  const net::EndpointStatus* first = status && !status->endpoints.empty() ? &status->endpoints.front() : nullptr;
  return {{"Networks", networks},
          {"Ports", ports},
          {"IPAddress", first ? first->address : ""},
          {"Gateway", first ? first->gateway : ""},
          {"MacAddress", first ? first->mac : ""},
          {"SandboxKey", status ? status->netns : ""}};
}

json inspect_json(const ContainerStore& store, const ContainerState& c) {
  auto spec = store.load_spec(c.id);
  ContainerSpec s = spec ? *spec : ContainerSpec{};
  const CgroupResources& r = s.linux.resources;
  json state = {{"Status", std::string(to_string(c.status))},
                {"Running", c.status == ContainerStatus::running || c.status == ContainerStatus::paused},
                {"Paused", c.status == ContainerStatus::paused},
                {"Restarting", c.status == ContainerStatus::restarting},
                {"OOMKilled", c.oom_killed},
                {"Dead", false},
                {"Pid", c.pid},
                {"ExitCode", c.exit_code},
                {"Error", c.error},
                {"StartedAt", c.started.empty() ? "0001-01-01T00:00:00Z" : c.started},
                {"FinishedAt", c.finished.empty() ? "0001-01-01T00:00:00Z" : c.finished}};
  if (c.health) {
    json log = json::array();
    for (const HealthResult& h : c.health->log)
      log.push_back({{"Start", h.start}, {"End", h.end}, {"ExitCode", h.exit_code}, {"Output", h.output}});
    state["Health"] = {{"Status", c.health->status}, {"FailingStreak", c.health->failing_streak}, {"Log", log}};
  }
  json args = json::array();
  for (size_t i = 1; i < s.process.args.size(); ++i) args.push_back(s.process.args[i]);
  std::string user = !c.user.empty() ? c.user
                                     : std::to_string(s.process.user.uid) +
                                           (s.process.user.gid != 0 ? ":" + std::to_string(s.process.user.gid) : "");
  return {
      {"Id", c.id},
      {"Created", c.created},
      {"Path", s.process.args.empty() ? "" : s.process.args[0]},
      {"Args", args},
      {"State", state},
      {"Image", c.image_id},
      {"LogPath", c.log_path},
      {"Name", "/" + c.name},
      {"RestartCount", c.restart_count},
      {"Driver", "overlay"},
      {"NetworkSettings", network_settings(c)},
      {"HostConfig",
       {{"RestartPolicy", {{"Name", c.restart_policy.name}, {"MaximumRetryCount", c.restart_policy.max_retries}}},
        {"AutoRemove", c.auto_remove},
        {"LogConfig",
         {{"Type", "json-file"},
          {"Config",
           {{"max-size", c.log_options.max_size > 0 ? std::to_string(c.log_options.max_size) : ""},
            {"max-file", std::to_string(c.log_options.max_file)}}}}},
        {"NetworkMode", network_mode_text(c, s)},
        {"ReadonlyRootfs", c.read_only_rootfs},
        {"Memory", r.memory_limit.value_or(0)},
        {"MemorySwap", r.memory_swap.value_or(0)},
        {"NanoCpus",
         r.cpu_quota && r.cpu_period ? *r.cpu_quota * 1000000000LL / static_cast<int64_t>(*r.cpu_period) : 0},
        {"PidsLimit", r.pids_limit.value_or(0)}}},
      {"Config",
       {{"Hostname", s.hostname.empty() ? c.id.substr(0, 12) : s.hostname},
        {"User", user == "0" ? "" : user},
        {"Env", s.process.env},
        {"Cmd", s.process.args},
        {"Image", c.image},
        {"WorkingDir", s.process.cwd},
        {"Labels", c.labels},
        {"StopSignal", c.stop_signal},
        {"StopTimeout", c.stop_timeout}}},
  };
}

Status run_inspect(const Options& o, const Context& ctx) {
  ContainerStore store = BRICK_TRY(open_store(ctx));
  json all = json::array();
  std::vector<std::string> missing;
  for (const std::string& name : o.names) {
    auto c = observe_container(store, name);
    if (!c) {
      missing.push_back(c.error().message());
      continue;
    }
    all.push_back(inspect_json(store, *c));
  }
  if (o.format.empty()) {
    std::cout << all.dump(4) << "\n";
  } else {
    for (const json& j : all) std::cout << apply_template(o.format, j) << "\n";
  }
  if (!missing.empty()) return fail(Error(join(missing, "\n")));
  return {};
}

// Runs `fn` for each named container, printing the name as docker does;
// every failure is reported and the command fails at the end.
Status each(const Options& o, const Context& ctx, const std::function<Status(ContainerStore&, const std::string&)>& fn,
            bool echo = true) {
  ContainerStore store = BRICK_TRY(open_store(ctx));
  std::vector<std::string> errors;
  for (const std::string& name : o.names) {
    if (auto s = fn(store, name); !s) {
      errors.push_back(s.error().message());
    } else if (echo) {
      std::cout << name << "\n";
      std::cout.flush();
    }
  }
  if (!errors.empty()) return fail(Error(join(errors, "\n")));
  return {};
}

Status start_one(ContainerStore& store, const std::string& name) {
  ContainerState c = BRICK_TRY(store.find(name));
  StartResult r = BRICK_TRY(start_container(store, c.id, {}));
  if (r.code != 0) return fail(r.error);
  return {};
}

// docker port: "80/tcp -> 127.0.0.1:8080", all or those of one container port.
Status run_port(const Options& o, const Context& ctx) {
  ContainerStore store = BRICK_TRY(open_store(ctx));
  ContainerState c = BRICK_TRY(observe_container(store, o.names.at(0)));
  std::string wanted = o.names.size() > 1 ? o.names[1] : "";
  if (!wanted.empty() && wanted.find('/') == std::string::npos) wanted += "/tcp";
  auto status = orchestrator::network_status_of(c);
  if (!status || !c.running()) return {};
  bool found = false;
  for (const net::PublishedPort& p : status->ports) {
    const std::string port = std::to_string(p.container_port) + "/" + p.protocol;
    if (!wanted.empty() && port != wanted) continue;
    found = true;
    std::string ip = p.host_ip.find(':') != std::string::npos ? "[" + p.host_ip + "]" : p.host_ip;
    std::cout << (wanted.empty() ? port + " -> " : "") << ip << ":" << p.host_port << "\n";
  }
  if (!wanted.empty() && !found) return fail("no public port '" + wanted + "' published for " + c.name);
  return {};
}

Status run_top(const Options& o, const Context& ctx) {
  ContainerStore store = BRICK_TRY(open_store(ctx));
  ContainerState c = BRICK_TRY(observe_container(store, o.names.at(0)));
  if (!c.running()) return fail("Container " + c.id + " is not running");
  std::cout << top_table(c);
  return {};
}

// One table of `brick stats`: CPU % over `window` between two samples of
// every container (docker's --no-stream also waits for its second sample).
Result<std::string> stats_table(const ContainerStore& store, const std::vector<ContainerState>& containers,
                                std::chrono::milliseconds window) {
  std::vector<std::optional<ContainerStats>> first;
  for (const ContainerState& c : containers) {
    auto s = container_stats(store, c.id);
    first.push_back(s ? std::optional(*s) : std::nullopt);
  }
  int64_t t0 = now_unix_nanos();
  std::this_thread::sleep_for(window);
  double elapsed = static_cast<double>(now_unix_nanos() - t0);
  std::vector<std::vector<std::string>> rows = {
      {"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS"}};
  for (size_t i = 0; i < containers.size(); ++i) {
    const ContainerState& c = containers[i];
    auto b = container_stats(store, c.id);
    if (!b || !first[i]) {  // stopped meanwhile: docker shows zeros
      rows.push_back({c.id.substr(0, 12), c.name, "0.00%", "0B / 0B", "0.00%", "0"});
      continue;
    }
    const ContainerStats& a = *first[i];
    double cpu = b->cpu_ns >= a.cpu_ns ? 100.0 * static_cast<double>(b->cpu_ns - a.cpu_ns) / elapsed : 0;
    uint64_t limit = b->memory_limit;
    if (limit == 0) {
      long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
      limit = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
    }
    char cpu_text[32], mem_pct[32];
    std::snprintf(cpu_text, sizeof cpu_text, "%.2f%%", cpu);
    std::snprintf(mem_pct, sizeof mem_pct, "%.2f%%",
                  limit ? 100.0 * static_cast<double>(b->memory) / static_cast<double>(limit) : 0);
    rows.push_back({c.id.substr(0, 12), c.name, cpu_text,
                    human_size(static_cast<double>(b->memory)) + " / " + human_size(static_cast<double>(limit)),
                    mem_pct, std::to_string(b->pids)});
  }
  return table(rows);
}

// Without --no-stream, a fresh table every second until interrupted (on a
// terminal drawn over the last one, as docker does); the running containers
// are looked up again each time when none were named.
Status run_stats(const Options& o, const Context& ctx) {
  ContainerStore store = BRICK_TRY(open_store(ctx));
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  for (;;) {
    std::vector<ContainerState> containers;
    if (o.names.empty()) {
      for (ContainerState& c : BRICK_TRY(store.list()))
        if (c.running()) containers.push_back(std::move(c));
    } else {
      for (const std::string& name : o.names) containers.push_back(BRICK_TRY(store.find(name)));
    }
    std::string text = BRICK_TRY(stats_table(store, containers, std::chrono::milliseconds(o.no_stream ? 200 : 1000)));
    if (o.no_stream) {
      std::cout << text;
      return {};
    }
    std::cout << (tty ? "\033[2J\033[H" : "") << text << std::flush;
    if (!std::cout) return {};  // the reader went away
  }
}

}  // namespace

// status_text already says (healthy), (unhealthy) or (health: starting).
// docker ps's PORTS: "127.0.0.1:8080->80/tcp, 0.0.0.0:5353->53/udp".
std::string ports_text(const runtime::ContainerState& c) {
  auto status = orchestrator::network_status_of(c);
  if (!status || !c.running()) return "";
  std::vector<std::string> parts;
  for (const net::PublishedPort& p : status->ports) parts.push_back(net::format_published(p));
  return join(parts, ", ");
}

std::string container_status_text(const runtime::ContainerState& c) { return status_text(c); }

void remove_anonymous_volumes(const std::string& root, const std::vector<std::string>& names) {
  for (const Error& e : volumes::remove_volumes(root, names))
    std::cerr << "brick: warning: anonymous " << e.full() << "\n";
}

// The monitor's `prepare`: run's -v/--mount/--tmpfs, resolved once the
// rootfs is mounted so an empty named volume gets the image's content.
// A mount at a default mount's destination (--tmpfs /dev/shm) replaces it.
// Compose's mounts record (volumes/container_mounts.hpp), resolved the same
// way. An anonymous volume made at the first start is written back into the
// record by name, so a restart mounts the same one.
static Status mount_compose_volumes(volumes::VolumeStore& store, const std::string& run_dir, ContainerState& state,
                                    ContainerSpec& spec, volumes::ResolvedMounts& out) {
  auto it = state.extensions.find(volumes::kMountsExtension);
  if (it == state.extensions.end()) return {};
  volumes::ContainerMounts record = BRICK_TRY(volumes::container_mounts_from_json(*it));
  volumes::MountContext mc;
  mc.store = &store;
  mc.base_dir = record.base_dir;
  mc.rootfs = spec.root.path;
  mc.files_dir = run_dir + "/files";
  mc.declared = record.declared;
  mc.labels = record.labels;
  for (volumes::MountRequest& r : record.mounts) {
    size_t anonymous_before = out.anonymous.size();
    BRICK_TRY_CTX(volumes::add_mount(r, mc, out), "volume at `" + r.target + "`");
    if (out.anonymous.size() > anonymous_before && r.source.empty()) r.source = out.anonymous.back();
  }
  for (const auto& f : record.secrets) BRICK_TRY_CTX(volumes::add_secret(f, mc, out), "secret `" + f.name + "`");
  for (const auto& f : record.configs) BRICK_TRY_CTX(volumes::add_config(f, mc, out), "config `" + f.name + "`");
  state.extensions[volumes::kMountsExtension] = volumes::to_json(record);
  for (const std::string& name : out.anonymous)
    if (std::find(state.anonymous_volumes.begin(), state.anonymous_volumes.end(), name) ==
        state.anonymous_volumes.end())
      state.anonymous_volumes.push_back(name);
  return {};
}

static Status mount_volumes(const std::string& root, const std::string& run_dir, ContainerState& state,
                            ContainerSpec& spec) {
  const bool compose = state.extensions.contains(volumes::kMountsExtension);
  if (state.volume_flags.empty() && state.mount_flags.empty() && state.tmpfs_flags.empty() && !compose) return {};
  volumes::VolumeStore store = BRICK_TRY(volumes::VolumeStore::open(root));
  volumes::MountContext mc;
  mc.store = &store;
  mc.base_dir = state.mount_base_dir;
  mc.rootfs = spec.root.path;
  volumes::ResolvedMounts out;
  BRICK_TRY(mount_compose_volumes(store, run_dir, state, spec, out));
  for (const std::string& flag : state.volume_flags) {
    volumes::MountRequest r = BRICK_TRY_CTX(volumes::parse_volume_flag(flag), "-v `" + flag + "`");
    BRICK_TRY_CTX(volumes::add_mount(r, mc, out), "-v `" + flag + "`");
  }
  for (const std::string& flag : state.mount_flags) {
    volumes::MountRequest r = BRICK_TRY_CTX(volumes::parse_mount_flag(flag), "--mount `" + flag + "`");
    BRICK_TRY_CTX(volumes::add_mount(r, mc, out), "--mount `" + flag + "`");
  }
  for (const std::string& flag : state.tmpfs_flags) {
    volumes::MountRequest r = BRICK_TRY_CTX(volumes::parse_tmpfs_flag(flag), "--tmpfs `" + flag + "`");
    BRICK_TRY_CTX(volumes::add_mount(r, mc, out), "--tmpfs `" + flag + "`");
  }
  for (runtime::Mount& m : out.mounts) {
    std::erase_if(spec.mounts, [&](const runtime::Mount& d) { return d.destination == m.destination; });
    spec.mounts.push_back(std::move(m));
  }
  for (const std::string& name : out.volumes)
    if (std::find(state.volumes.begin(), state.volumes.end(), name) == state.volumes.end())
      state.volumes.push_back(name);
  return {};
}

std::string top_table(const runtime::ContainerState& c) {
  std::vector<std::string> pids;
  for (const std::string& dir : c.cgroup_dirs) {
    auto text = read_file(dir + "/cgroup.procs");
    if (!text) continue;
    for (const std::string& p : split(*text, '\n'))
      if (!p.empty()) pids.push_back(p);
    if (!pids.empty()) break;
  }
  std::vector<std::vector<std::string>> rows = {{"UID", "PID", "PPID", "CMD"}};
  for (const std::string& pid : pids) {
    auto status = read_file("/proc/" + pid + "/status");
    auto cmdline = read_file("/proc/" + pid + "/cmdline");
    if (!status || !cmdline) continue;
    std::string uid, ppid;
    for (const std::string& line : split(*status, '\n')) {
      if (line.starts_with("Uid:")) uid = split(std::string(trim(line.substr(4))), '\t').at(0);
      if (line.starts_with("PPid:")) ppid = std::string(trim(line.substr(5)));
    }
    std::string cmd = *cmdline;
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    rows.push_back({uid, pid, ppid, std::string(trim(cmd))});
  }
  return table(rows);
}

void add_container_commands(CLI::App& app, Context& ctx) {
  add_run_commands(app, ctx);
  auto o = std::make_shared<Options>();
  auto on = [o, &ctx](CLI::App* sub, const std::function<Status(const Options&, Context&)>& fn) {
    sub->callback([o, &ctx, fn] { ctx.action = [o, &ctx, fn] { return fn(*o, ctx); }; });
  };
  auto names = [o](CLI::App* sub, bool required = true) {
    auto* opt = sub->add_option("containers", o->names, "CONTAINER...");
    if (required) opt->required();
  };

  auto* ps = app.add_subcommand("ps", "List containers");
  ps->add_flag("-a,--all", o->all, "Show all containers (default shows just running)");
  ps->add_flag("-q,--quiet", o->quiet, "Only display container IDs");
  ps->add_flag("--no-trunc", o->no_trunc, "Don't truncate output");
  ps->add_option("--format", o->format, "Format output using \"json\"")->type_name("string");
  ps->add_option("-f,--filter", o->filters, "Filter output based on conditions provided")
      ->type_name("filter")
      ->allow_extra_args(false);
  on(ps, [](const Options& opt, Context& c) { return run_ps(opt, c); });

  auto* logs = app.add_subcommand("logs", "Fetch the logs of a container");
  logs->add_flag("-f,--follow", o->follow, "Follow log output");
  logs->add_flag("-t,--timestamps", o->timestamps, "Show timestamps");
  logs->add_option("-n,--tail", o->tail, "Number of lines to show from the end of the logs")->type_name("string");
  logs->add_option("--since", o->since, "Show logs since timestamp or relative (e.g. 42m)")->type_name("string");
  logs->add_option("--until", o->until, "Show logs before a timestamp or relative (e.g. 42m)")->type_name("string");
  logs->add_option("container", o->names, "CONTAINER")->required()->expected(1);
  on(logs, [](const Options& opt, Context& c) { return run_logs(opt, c); });

  auto* start = app.add_subcommand("start", "Start one or more stopped containers");
  names(start);
  on(start, [](const Options& opt, Context& c) { return each(opt, c, start_one); });

  auto* stop = app.add_subcommand("stop", "Stop one or more running containers");
  stop->add_option("-t,--time", o->timeout, "Seconds to wait before killing the container")->type_name("int");
  stop->add_option("-s,--signal", o->signal, "Signal to send to the container")->type_name("string");
  names(stop);
  on(stop, [](const Options& opt, Context& c) {
    return each(opt, c, [&opt](ContainerStore& store, const std::string& name) -> Status {
      int sig = opt.signal.empty() ? 0 : BRICK_TRY(parse_signal(opt.signal));
      return stop_container(store, name, sig, opt.timeout);
    });
  });

  auto* restart = app.add_subcommand("restart", "Restart one or more containers");
  restart->add_option("-t,--time", o->timeout, "Seconds to wait before killing the container")->type_name("int");
  names(restart);
  on(restart, [](const Options& opt, Context& c) {
    return each(opt, c, [&opt](ContainerStore& store, const std::string& name) -> Status {
      BRICK_TRY(stop_container(store, name, 0, opt.timeout));
      return start_one(store, name);
    });
  });

  auto* kill = app.add_subcommand("kill", "Kill one or more running containers");
  kill->add_option("-s,--signal", o->signal, "Signal to send to the container")->type_name("string");
  names(kill);
  on(kill, [](const Options& opt, Context& c) {
    return each(opt, c, [&opt](ContainerStore& store, const std::string& name) -> Status {
      int sig = BRICK_TRY(parse_signal(opt.signal.empty() ? "KILL" : opt.signal));
      return kill_container(store, name, sig);
    });
  });

  auto* rm = app.add_subcommand("rm", "Remove one or more containers");
  rm->add_flag("-f,--force", o->force, "Force the removal of a running container (uses SIGKILL)");
  rm->add_flag("-v,--volumes", o->volumes, "Remove anonymous volumes associated with the container");
  names(rm);
  on(rm, [](const Options& opt, Context& c) {
    return each(opt, c, [&opt, &c](ContainerStore& store, const std::string& name) -> Status {
      auto state = store.find(name);
      BRICK_TRY(remove_container(store, name, opt.force));
      // Its monitor undid the network, unless it was killed: then it goes here.
      if (state) BRICK_TRY(orchestrator::release_container(c.global.root, c.global.run_root, *state));
      if (state && opt.volumes) remove_anonymous_volumes(c.global.root, state->anonymous_volumes);
      return {};
    });
  });

  auto* wait = app.add_subcommand("wait", "Block until one or more containers stop, then print their exit codes");
  names(wait);
  on(wait, [](const Options& opt, Context& c) {
    return each(
        opt, c,
        [](ContainerStore& store, const std::string& name) -> Status {
          std::cout << BRICK_TRY(wait_container(store, name)) << "\n";
          std::cout.flush();
          return {};
        },
        false);
  });

  auto* inspect = app.add_subcommand("inspect", "Display detailed information on one or more containers");
  inspect->add_option("-f,--format", o->format, "Format output using a Go-style template ({{.State.ExitCode}})")
      ->type_name("string");
  names(inspect);
  on(inspect, [](const Options& opt, Context& c) { return run_inspect(opt, c); });

  auto* pause = app.add_subcommand("pause", "Pause all processes within one or more containers");
  names(pause);
  on(pause, [](const Options& opt, Context& c) { return each(opt, c, pause_container); });
  auto* unpause = app.add_subcommand("unpause", "Unpause all processes within one or more containers");
  names(unpause);
  on(unpause, [](const Options& opt, Context& c) { return each(opt, c, unpause_container); });

  auto* port = app.add_subcommand("port", "List port mappings or a specific mapping for the container");
  port->add_option("container", o->names, "CONTAINER [PRIVATE_PORT[/PROTO]]")->required()->expected(1, 2);
  on(port, [](const Options& opt, Context& c) { return run_port(opt, c); });

  auto* top = app.add_subcommand("top", "Display the running processes of a container");
  top->add_option("container", o->names, "CONTAINER")->required()->expected(1);
  on(top, [](const Options& opt, Context& c) { return run_top(opt, c); });

  auto* stats = app.add_subcommand("stats", "Display a snapshot of containers' resource usage");
  stats->add_flag("--no-stream", o->no_stream, "Disable streaming stats and only pull the first result");
  names(stats, false);
  on(stats, [](const Options& opt, Context& c) { return run_stats(opt, c); });
}

void add_monitor_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<Options>();
  auto on = [o, &ctx](CLI::App* sub, const std::function<Status(const Options&, Context&)>& fn) {
    sub->callback([o, &ctx, fn] { ctx.action = [o, &ctx, fn] { return fn(*o, ctx); }; });
  };
  // The monitor: hidden (empty group), run only by start_container.
  auto* monitor = app.add_subcommand("container-monitor", "");
  monitor->group("");
  monitor->add_option("id", o->id)->required();
  monitor->add_flag("--attach", o->attach);
  monitor->add_flag("--attach-stdin", o->attach_stdin);
  on(monitor, [](const Options& opt, Context& c) -> Status {
    MonitorArgs args{c.global.root, c.global.run_root, opt.id, opt.attach, opt.attach_stdin, {}, {}, {}};
    // The network first: a user's -v on /etc/hosts then wins, as in docker.
    args.prepare = [root = c.global.root, run_root = c.global.run_root](ContainerState& state,
                                                                        ContainerSpec& spec) -> Status {
      BRICK_TRY(orchestrator::setup_container_network(root, run_root, state, spec));
      ContainerStore store = BRICK_TRY(ContainerStore::open(root, run_root));
      return mount_volumes(root, store.run_dir(state.id), state, spec);
    };
    args.finished = [root = c.global.root, run_root = c.global.run_root](ContainerState& state) {
      // Nowhere to report but the record; the start's own error stays first.
      if (auto s = orchestrator::teardown_container_network(root, run_root, state); !s && state.error.empty())
        state.error = s.error().message();
    };
    args.removed = [root = c.global.root](const ContainerState& state) {
      remove_anonymous_volumes(root, state.anonymous_volumes);
      if (auto s = orchestrator::release_gpus(root, state); !s)
        std::cerr << "brick: warning: " << s.error().full() << "\n";
    };
    const int code = run_monitor(args);
    // All is recorded, reported and removed by now; the rest would be this
    // process's own clean-up (the command tree, static objects), which the
    // exit does anyway.
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    ::_exit(code);
  });
}

}  // namespace brick::cli
