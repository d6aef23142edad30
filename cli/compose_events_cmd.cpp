// `brick compose events`: the project's container events as they happen,
// read from the run root's events file (runtime/events.hpp) since there is
// no daemon to stream them. docker compose's output: with --json one object
// per line, otherwise `2026-12-02 11:00:00.123456 container start ID (k=v, ...)`.
#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "cli/compose_cmd.hpp"
#include "cli/events_cmd.hpp"
#include "orchestrator/translate.hpp"
#include "runtime/log_file.hpp"

namespace brick::cli {
namespace {

struct EventsOptions {
  std::vector<std::string> services;
  bool json = false;
  std::string since, until;
};

std::string attribute(const runtime::Event& e, std::string_view key) {
  auto it = e.attributes.find(std::string(key));
  return it == e.attributes.end() ? "" : it->second;
}

// compose leaves its own labels out of what it prints.
std::map<std::string, std::string> printed_attributes(const runtime::Event& e) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : e.attributes)
    if (!k.starts_with("com.docker.compose.")) out[k] = v;
  return out;
}

std::string format_event(const runtime::Event& e, bool as_json) {
  if (as_json) {
    nlohmann::json j = {{"time", runtime::format_rfc3339_nanos(e.time)},
                        {"type", e.type},
                        {"action", e.action},
                        {"id", e.id},
                        {"service", attribute(e, orchestrator::kServiceLabel)},
                        {"attributes", printed_attributes(e)}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::vector<std::string> attrs;
  for (const auto& [k, v] : printed_attributes(e)) attrs.push_back(k + "=" + v);
  return local_micros(e.time) + " " + e.type + " " + e.action + " " + e.id + " (" + join(attrs, ", ") + ")\n";
}

Status run_events(const EventsOptions& o, Context& ctx) {
  compose::LoadedProject loaded = BRICK_TRY(load(load_options(ctx.compose, o.services)));
  for (const auto& s : o.services)
    if (!loaded.project.services.contains(s)) return fail("no such service: " + s);
  EventStream s;
  BRICK_TRY(parse_event_times(o.since, o.until, s));
  s.wanted = [project = loaded.project.name, services = o.services](const runtime::Event& e) {
    if (e.type != "container" || attribute(e, orchestrator::kProjectLabel) != project) return false;
    if (attribute(e, orchestrator::kOneoffLabel) == "True") return false;  // compose run's, as compose skips them
    const std::string service = attribute(e, orchestrator::kServiceLabel);
    return services.empty() || std::find(services.begin(), services.end(), service) != services.end();
  };
  s.format = [json = o.json](const runtime::Event& e) { return format_event(e, json); };
  return stream_events(s, ctx);
}

}  // namespace

void add_compose_events_command(CLI::App& compose_cmd, Context& ctx) {
  auto o = std::make_shared<EventsOptions>();
  auto* cmd = compose_cmd.add_subcommand("events", "Receive real time events from containers");
  cmd->add_flag("--json", o->json, "Output events as a stream of json objects");
  cmd->add_option("--since", o->since, "Show all events created since timestamp")->type_name("string");
  cmd->add_option("--until", o->until, "Stream events until this timestamp")->type_name("string");
  cmd->add_option("SERVICE", o->services, "Services");
  cmd->callback([o, &ctx] { ctx.action = [o, &ctx] { return run_events(*o, ctx); }; });
}

}  // namespace brick::cli
