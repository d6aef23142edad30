#include "cli/events_cmd.hpp"

#include <signal.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/strings.hpp"
#include "runtime/container_store.hpp"
#include "runtime/log_file.hpp"

namespace brick::cli {
namespace {

volatile sig_atomic_t g_interrupted = 0;
extern "C" void note_interrupt(int) { g_interrupted = 1; }

struct EventsOptions {
  std::string since, until, format;
  std::vector<std::string> filters;
};

std::string attribute(const runtime::Event& e, const std::string& key) {
  auto it = e.attributes.find(key);
  return it == e.attributes.end() ? "" : it->second;
}

// docker's --filter: values of one key are alternatives, keys all must match.
Result<std::function<bool(const runtime::Event&)>> event_filter(const std::vector<std::string>& filters) {
  std::map<std::string, std::vector<std::string>> by_key;
  for (const std::string& f : filters) {
    size_t eq = f.find('=');
    if (eq == std::string::npos) return fail("bad format of filter (expected name=value): " + f);
    std::string key = f.substr(0, eq);
    if (key != "container" && key != "event" && key != "label" && key != "type" && key != "image")
      return fail("invalid filter '" + key + "'");
    by_key[key].push_back(f.substr(eq + 1));
  }
  return [by_key](const runtime::Event& e) {
    auto one = [&e](const std::string& key, const std::string& v) {
      if (key == "container") return e.id.starts_with(v) || attribute(e, "name") == v;
      if (key == "event") return e.action == v || e.action.starts_with(v + ": ");
      if (key == "type") return e.type == v;
      if (key == "image") return attribute(e, "image") == v;
      size_t eq = v.find('=');  // label=KEY or label=KEY=VALUE
      if (eq == std::string::npos) return e.attributes.contains(v);
      return attribute(e, v.substr(0, eq)) == v.substr(eq + 1);
    };
    for (const auto& [key, values] : by_key) {
      bool any = false;
      for (const auto& v : values) any = any || one(key, v);
      if (!any) return false;
    }
    return true;
  };
}

// docker's events message, as `docker events --format '{{json .}}'` prints it.
std::string docker_json(const runtime::Event& e) {
  nlohmann::json j = {{"status", e.action},
                      {"id", e.id},
                      {"from", attribute(e, "image")},
                      {"Type", e.type},
                      {"Action", e.action},
                      {"Actor", {{"ID", e.id}, {"Attributes", e.attributes}}},
                      {"scope", "local"},
                      {"time", e.time / 1000000000},
                      {"timeNano", e.time}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string docker_text(const runtime::Event& e) {
  std::vector<std::string> attrs;
  for (const auto& [k, v] : e.attributes) attrs.push_back(k + "=" + v);
  return runtime::format_rfc3339_nanos(e.time) + " " + e.type + " " + e.action + " " + e.id + " (" + join(attrs, ", ") +
         ")\n";
}

Status run_events(const EventsOptions& o, Context& ctx) {
  EventStream s;
  BRICK_TRY(parse_event_times(o.since, o.until, s));
  s.wanted = BRICK_TRY(event_filter(o.filters));
  if (o.format == "json" || o.format == "{{json .}}")
    s.format = docker_json;
  else if (o.format.empty())
    s.format = docker_text;
  else
    return fail("unsupported --format `" + o.format + "` (use json)");
  return stream_events(s, ctx);
}

}  // namespace

std::string local_micros(int64_t unix_nanos) {
  time_t secs = static_cast<time_t>(unix_nanos / 1000000000);
  struct tm tm {};
  ::localtime_r(&secs, &tm);
  char text[64];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%06lld", static_cast<long long>(unix_nanos % 1000000000 / 1000));
  return text;
}

Status parse_event_times(const std::string& since, const std::string& until, EventStream& s) {
  const int64_t now = runtime::now_unix_nanos();
  if (!since.empty()) s.since = BRICK_TRY_CTX(runtime::parse_since(since, now), "--since");
  if (!until.empty()) s.until = BRICK_TRY_CTX(runtime::parse_since(until, now), "--until");
  return {};
}

Status stream_events(const EventStream& s, Context& ctx) {
  // Opening the store makes the run root, so there is a directory to watch.
  BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
  runtime::EventTail tail = BRICK_TRY(runtime::EventTail::open(ctx.global.run_root, s.since.has_value()));
  struct sigaction sa {};
  sa.sa_handler = note_interrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM}) ::sigaction(sig, &sa, nullptr);
  for (;;) {
    for (const runtime::Event& e : tail.read()) {
      if (s.since && e.time < *s.since) continue;
      if (s.until && e.time > *s.until) continue;
      if (s.wanted(e)) std::cout << s.format(e);
    }
    std::cout.flush();
    if (g_interrupted) {
      ctx.exit_code = 130;
      return {};
    }
    if (s.until && runtime::now_unix_nanos() > *s.until) return {};
    // A signal cuts the wait short; its timeout only bounds how late --until ends.
    tail.wait(1000);
  }
}

void add_events_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<EventsOptions>();
  auto* cmd = app.add_subcommand("events", "Get real time events from brick's containers");
  cmd->add_option("-f,--filter", o->filters, "Filter output based on conditions provided")->type_name("filter");
  cmd->add_option("--format", o->format, "Format output using a custom template: 'json'")->type_name("string");
  cmd->add_option("--since", o->since, "Show all events created since timestamp")->type_name("string");
  cmd->add_option("--until", o->until, "Stream events until this timestamp")->type_name("string");
  cmd->callback([o, &ctx] { ctx.action = [o, &ctx] { return run_events(*o, ctx); }; });
}

}  // namespace brick::cli
