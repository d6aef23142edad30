// The compose subcommands that reach into a service's running containers or
// describe them: exec, port, top, pause, unpause, images, wait, and ls (every
// project on the host, from the container records' labels).
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "cli/compose_cmd.hpp"
#include "cli/container_cmd.hpp"
#include "cli/exec_cmd.hpp"
#include "cli/output.hpp"
#include "images/store.hpp"
#include "orchestrator/container_network.hpp"
#include "orchestrator/lifecycle.hpp"
#include "orchestrator/translate.hpp"
#include "runtime/container.hpp"

namespace brick::cli {
namespace {

struct ServiceOptions {
  std::vector<std::string> services;
  int index = 0;  // 0: not given
  bool no_tty = false, detach = false, privileged = false;
  std::string user, workdir;
  std::vector<std::string> env;
  std::string protocol = "tcp";
  bool all = false, quiet = false;
  std::string format;
};

std::string label_of(const runtime::ContainerState& c, std::string_view key) {
  auto it = c.labels.find(std::string(key));
  return it == c.labels.end() ? "" : it->second;
}

struct Loaded {
  compose::LoadedProject loaded;
  runtime::ContainerStore store;
};

Result<Loaded> open_services(const std::vector<std::string>& services, const Context& ctx) {
  compose::LoadedProject loaded = BRICK_TRY(load(load_options(ctx.compose, services)));
  for (const auto& s : services)
    if (!loaded.project.services.contains(s)) return fail("no such service: " + s);
  runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
  return Loaded{std::move(loaded), std::move(store)};
}

// The project's containers of `services` (all when empty), by name.
Result<std::vector<runtime::ContainerState>> containers_of(const Loaded& p, const std::vector<std::string>& services) {
  auto containers = BRICK_TRY(orchestrator::project_containers(p.store, p.loaded.project.name, services));
  std::sort(containers.begin(), containers.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return containers;
}

// Container number `index` (1 when 0) of `service`, which must be running.
Result<runtime::ContainerState> running_container(const Loaded& p, const std::string& service, int index) {
  auto containers = BRICK_TRY(containers_of(p, {service}));
  const std::string number = std::to_string(index == 0 ? 1 : index);
  for (const auto& c : containers)
    if (label_of(c, orchestrator::kNumberLabel) == number && c.running()) return c;
  if (index == 0 && std::any_of(containers.begin(), containers.end(), [](const auto& c) { return c.running(); }))
    return fail("service \"" + service + "\" has no container number 1 running");
  if (index != 0) return fail("service \"" + service + "\" is not running container #" + number);
  return fail("service \"" + service + "\" is not running");
}

Status run_exec(const ServiceOptions& o, const std::vector<std::string>& args, Context& ctx) {
  if (args.size() < 2) return fail("\"brick compose exec\" requires at least 2 arguments: SERVICE COMMAND...");
  if (o.privileged) return fail("--privileged is not supported by brick compose exec");
  Loaded p = BRICK_TRY(open_services({args.front()}, ctx));
  runtime::ContainerState c = BRICK_TRY(running_container(p, args.front(), o.index));
  ExecRequest r;
  // docker compose: stdin is always attached; a terminal unless -T or stdin is none.
  r.interactive = true;
  r.tty = !o.no_tty && ::isatty(STDIN_FILENO) == 1;
  r.detach = o.detach;
  r.env = o.env;
  r.workdir = o.workdir;
  r.user = o.user;
  r.args.assign(args.begin() + 1, args.end());
  return exec_in(c.id, r, ctx);
}

// docker compose port: `127.0.0.1:8080` for one private port of one container.
Status run_port(const ServiceOptions& o, Context& ctx) {
  if (o.services.size() != 2) return fail("\"brick compose port\" requires 2 arguments: SERVICE PRIVATE_PORT");
  if (o.protocol != "tcp" && o.protocol != "udp") return fail("invalid --protocol `" + o.protocol + "`");
  Loaded p = BRICK_TRY(open_services({o.services[0]}, ctx));
  runtime::ContainerState c = BRICK_TRY(running_container(p, o.services[0], o.index));
  const std::string& wanted = o.services[1];
  auto status = orchestrator::network_status_of(c);
  if (status)
    for (const net::PublishedPort& port : status->ports) {
      if (std::to_string(port.container_port) != wanted || port.protocol != o.protocol) continue;
      std::string ip = port.host_ip.empty() ? "0.0.0.0" : port.host_ip;
      if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
      std::cout << ip << ":" << port.host_port << "\n";
      return {};
    }
  return fail("no port " + wanted + "/" + o.protocol + " for container " + c.name);
}

Status run_top(const ServiceOptions& o, Context& ctx) {
  Loaded p = BRICK_TRY(open_services(o.services, ctx));
  auto containers = BRICK_TRY(containers_of(p, o.services));
  for (const auto& c : containers) {
    if (!c.running()) continue;
    std::cout << c.name << "\n" << top_table(c) << "\n";
  }
  return {};
}

Status pause_or_unpause(const ServiceOptions& o, Context& ctx, bool pause) {
  Loaded p = BRICK_TRY(open_services(o.services, ctx));
  auto progress = progress_printer();
  auto containers = BRICK_TRY(containers_of(p, o.services));
  for (const auto& c : containers) {
    if (pause ? c.status != runtime::ContainerStatus::running : c.status != runtime::ContainerStatus::paused) continue;
    if (pause)
      BRICK_TRY_CTX(runtime::pause_container(p.store, c.id), "pausing `" + c.name + "`");
    else
      BRICK_TRY_CTX(runtime::unpause_container(p.store, c.id), "unpausing `" + c.name + "`");
    progress({"Container", c.name, pause ? "Paused" : "Unpaused", ""});
  }
  return {};
}

// The image a container was made from, as `brick images` lists it; an image
// since removed or retagged: the container's own reference.
images::ImageSummary image_of(const std::vector<images::ImageSummary>& all, const runtime::ContainerState& c) {
  const images::ImageSummary* found = nullptr;
  for (const auto& i : all) {
    if (i.id != c.image_id) continue;
    if (!found || i.name == c.image || i.repository + ":" + i.tag == c.image) found = &i;
  }
  if (found) return *found;
  images::ImageSummary s;
  s.id = c.image_id;
  auto colon = c.image.rfind(':');
  bool tagged = colon != std::string::npos && c.image.find('/', colon) == std::string::npos;
  s.repository = tagged ? c.image.substr(0, colon) : c.image;
  s.tag = tagged ? c.image.substr(colon + 1) : "latest";
  return s;
}

Status run_images(const ServiceOptions& o, Context& ctx) {
  Loaded p = BRICK_TRY(open_services(o.services, ctx));
  images::Store store = BRICK_TRY(images::Store::open(ctx.global.root));
  auto all = BRICK_TRY(store.list());
  std::vector<std::vector<std::string>> rows = {{"CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"}};
  auto containers = BRICK_TRY(containers_of(p, o.services));
  for (const auto& c : containers) {
    images::ImageSummary i = image_of(all, c);
    std::string id = i.id.starts_with("sha256:") ? i.id.substr(7, 12) : i.id.substr(0, 12);
    rows.push_back({c.name, i.repository, i.tag, id, human_size(static_cast<double>(i.size))});
  }
  std::cout << table(rows);
  return {};
}

// Blocks until every container of `services` has exited, printing each exit
// code; brick exits with the first one's.
Status run_wait(const ServiceOptions& o, Context& ctx) {
  if (o.services.empty()) return fail("\"brick compose wait\" requires at least 1 argument: SERVICE...");
  Loaded p = BRICK_TRY(open_services(o.services, ctx));
  auto containers = BRICK_TRY(containers_of(p, o.services));
  if (containers.empty()) return fail("no containers for service(s) " + join(o.services, ", "));
  bool first = true;
  for (const auto& c : containers) {
    int code = BRICK_TRY_CTX(runtime::wait_container(p.store, c.id), "waiting for `" + c.name + "`");
    std::cout << code << "\n";
    std::cout.flush();
    if (first) ctx.exit_code = code;
    first = false;
  }
  return {};
}

struct ProjectSummary {
  std::map<std::string, int> states;  // docker's state name -> containers
  std::string config_files;
};

// docker compose ls's STATUS: `exited(1), running(2)`, states in name order.
std::string combined_status(const ProjectSummary& s) {
  std::vector<std::string> parts;
  for (const auto& [state, n] : s.states) parts.push_back(state + "(" + std::to_string(n) + ")");
  return join(parts, ", ");
}

Status run_ls(const ServiceOptions& o, Context& ctx) {
  runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
  std::map<std::string, ProjectSummary> projects;
  auto all = BRICK_TRY(store.list());
  for (const auto& c : all) {
    std::string project = label_of(c, orchestrator::kProjectLabel);
    // docker compose ls: only running containers (so projects) unless -a.
    if (project.empty() || (!o.all && c.status != runtime::ContainerStatus::running)) continue;
    ProjectSummary& s = projects[project];
    s.states[std::string(runtime::to_string(c.status))]++;
    if (s.config_files.empty()) s.config_files = label_of(c, orchestrator::kConfigFilesLabel);
  }
  std::string out;
  if (o.quiet) {
    for (const auto& [name, s] : projects) out += name + "\n";
  } else if (o.format == "json") {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& [name, s] : projects)
      j.push_back({{"Name", name}, {"Status", combined_status(s)}, {"ConfigFiles", s.config_files}});
    out = j.dump() + "\n";
  } else if (!o.format.empty() && o.format != "table") {
    return fail("unsupported --format `" + o.format + "` (use table or json)");
  } else {
    std::vector<std::vector<std::string>> rows = {{"NAME", "STATUS", "CONFIG FILES"}};
    for (const auto& [name, s] : projects) rows.push_back({name, combined_status(s), s.config_files});
    out = table(rows);
  }
  std::cout << out;
  return {};
}

}  // namespace

void add_compose_service_commands(CLI::App& compose_cmd, Context& ctx) {
  auto on = [&ctx](CLI::App* sub, std::shared_ptr<ServiceOptions> o, Status (*fn)(const ServiceOptions&, Context&)) {
    sub->callback([o, &ctx, fn] { ctx.action = [o, &ctx, fn] { return fn(*o, ctx); }; });
  };
  auto services = [](CLI::App* sub, ServiceOptions& o) { sub->add_option("SERVICE", o.services, "Services"); };

  auto exec = std::make_shared<ServiceOptions>();
  auto* cmd = compose_cmd.add_subcommand("exec", "Execute a command in a running container");
  cmd->add_flag("-d,--detach", exec->detach, "Detached mode: Run command in the background");
  cmd->add_option("-e,--env", exec->env, "Set environment variables")
      ->type_name("stringArray")
      ->allow_extra_args(false);
  cmd->add_option("--index", exec->index, "Index of the container if service has multiple replicas")->type_name("int");
  cmd->add_flag("-T,--no-TTY", exec->no_tty,
                "Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY");
  cmd->add_flag("--privileged", exec->privileged, "Give extended privileges to the process (not supported)");
  cmd->add_option("-u,--user", exec->user, "Run the command as this user")->type_name("string");
  cmd->add_option("-w,--workdir", exec->workdir, "Path to workdir directory for this command")->type_name("string");
  // Everything from SERVICE on is the command's: `compose exec web sh -c 'exit 3'`.
  cmd->prefix_command();
  cmd->callback([exec, cmd, &ctx] {
    auto args = std::make_shared<std::vector<std::string>>(cmd->remaining());
    ctx.action = [exec, args, &ctx] { return run_exec(*exec, *args, ctx); };
  });

  auto port = std::make_shared<ServiceOptions>();
  cmd = compose_cmd.add_subcommand("port", "Print the public port for a port binding");
  cmd->add_option("--index", port->index, "Index of the container if service has multiple replicas")->type_name("int");
  cmd->add_option("--protocol", port->protocol, "tcp or udp")->type_name("string");
  cmd->add_option("SERVICE", port->services, "SERVICE PRIVATE_PORT");
  on(cmd, port, run_port);

  auto top = std::make_shared<ServiceOptions>();
  cmd = compose_cmd.add_subcommand("top", "Display the running processes");
  services(cmd, *top);
  on(cmd, top, run_top);

  auto pause = std::make_shared<ServiceOptions>();
  cmd = compose_cmd.add_subcommand("pause", "Pause services");
  services(cmd, *pause);
  on(cmd, pause, [](const ServiceOptions& o, Context& c) { return pause_or_unpause(o, c, true); });

  auto unpause = std::make_shared<ServiceOptions>();
  cmd = compose_cmd.add_subcommand("unpause", "Unpause services");
  services(cmd, *unpause);
  on(cmd, unpause, [](const ServiceOptions& o, Context& c) { return pause_or_unpause(o, c, false); });

  auto images = std::make_shared<ServiceOptions>();
  cmd = compose_cmd.add_subcommand("images", "List images used by the created containers");
  services(cmd, *images);
  on(cmd, images, run_images);

  auto wait = std::make_shared<ServiceOptions>();
  cmd = compose_cmd.add_subcommand("wait", "Block until containers of all (or specified) services stop.");
  services(cmd, *wait);
  on(cmd, wait, run_wait);

  auto ls = std::make_shared<ServiceOptions>();
  cmd = compose_cmd.add_subcommand("ls", "List running compose projects");
  cmd->add_flag("-a,--all", ls->all, "Show all stopped Compose projects");
  cmd->add_flag("-q,--quiet", ls->quiet, "Only display project names");
  cmd->add_option("--format", ls->format, "Format the output. Values: [table | json]")->type_name("string");
  on(cmd, ls, run_ls);
}

}  // namespace brick::cli
