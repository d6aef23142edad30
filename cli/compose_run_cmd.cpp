// `brick compose run`: a one-off container of a service, in the foreground
// (stdin attached, a terminal when the caller has one) or with -d. Its dependencies,
// networks and volumes come up through the executor as `up` brings them;
// the one-off itself is the service translated with the flags' changes
// (no published ports unless --service-ports or -p), labelled oneoff=True
// and named `<project>-<service>-run-<12 hex>`.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>

#include "base/strings.hpp"
#include "cli/compose_cmd.hpp"
#include "cli/container_cmd.hpp"
#include "cli/foreground.hpp"
#include "compose/paths.hpp"
#include "compose/units.hpp"
#include "images/store.hpp"
#include "orchestrator/gpu_grant.hpp"
#include "orchestrator/lifecycle.hpp"
#include "orchestrator/records.hpp"
#include "orchestrator/release.hpp"
#include "orchestrator/translate.hpp"
#include "runtime/container.hpp"

namespace brick::cli {
namespace {

struct RunOptions {
  bool rm = false, detach = false, no_deps = false, no_tty = false, service_ports = false;
  std::vector<std::string> env, publish, volumes;
  std::optional<std::string> entrypoint;
  std::string name, user, workdir;
  std::vector<std::string> args;  // SERVICE [CMD...]
};

std::string random_suffix() {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 12; ++i) out += "0123456789abcdef"[rd() % 16];
  return out;
}

// --entrypoint's words (compose splits the string as a shell would; brick
// on blanks only).
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& w : split(text, ' '))
    if (!w.empty()) out.push_back(w);
  return out;
}

// The service as the flags change it: command, entrypoint, environment,
// user, working directory, volumes; published ports only with
// --service-ports (the service's) or -p (these), as compose does.
// As compose: in the foreground stdin is attached, and a terminal is
// allocated when the caller's stdin is one, unless -T.
ForegroundOptions foreground(const RunOptions& o) {
  return {!o.detach, !o.detach && !o.no_tty && ::isatty(STDIN_FILENO) == 1};
}

Result<compose::Service> oneoff_service(const compose::Service& base, const RunOptions& o) {
  compose::Service s = base;
  if (o.args.size() > 1) s.command = std::vector<std::string>(o.args.begin() + 1, o.args.end());
  if (o.entrypoint) {
    s.entrypoint = words(*o.entrypoint);
    if (o.args.size() <= 1) s.command = std::vector<std::string>{};
  }
  for (const std::string& e : o.env) {
    auto eq = e.find('=');
    if (eq == 0) return fail("invalid -e `" + e + "`");
    if (eq != std::string::npos) {
      s.environment[e.substr(0, eq)] = e.substr(eq + 1);
    } else if (const char* v = std::getenv(e.c_str())) {
      s.environment[e] = std::string(v);
    }
  }
  if (!o.user.empty()) s.user = o.user;
  if (!o.workdir.empty()) s.working_dir = o.workdir;
  if (!o.service_ports) s.ports.clear();
  for (const std::string& spec : o.publish) {
    auto ports = compose::parse_port_short(spec);
    if (!ports) return fail(std::move(ports).error().context("-p `" + spec + "`"));
    s.ports.insert(s.ports.end(), ports->begin(), ports->end());
  }
  for (const std::string& spec : o.volumes) {
    auto volume = compose::parse_volume_short(spec);
    if (!volume) return fail(std::move(volume).error().context("-v `" + spec + "`"));
    // A relative bind source is the caller's, as with `docker run -v ./x:/y`.
    if (volume->type == "bind" && volume->source) {
      std::error_code ec;
      compose::PathBase cwd{std::filesystem::current_path(ec).string(), {}};
      if (const char* home = std::getenv("HOME")) cwd.home = home;
      volume->source = compose::absolute_path(cwd, *volume->source);
    }
    // Like compose: the flag's mount replaces the service's at that target.
    std::erase_if(s.volumes, [&](const compose::ServiceVolume& v) { return v.target == volume->target; });
    s.volumes.push_back(std::move(*volume));
  }
  s.container_name.reset();
  s.restart.reset();
  const ForegroundOptions fg = foreground(o);
  s.tty = fg.tty;
  s.stdin_open = fg.interactive;
  return s;
}

// Networks, volumes and (unless --no-deps) the dependencies, as `up SERVICE`
// would make them, less the service's own containers.
Status bring_up_dependencies(const compose::Project& project, const RunOptions& o, const Context& ctx) {
  orchestrator::PlanOptions options;
  options.services = {o.args.front()};
  options.no_deps = o.no_deps;
  orchestrator::Observed observed = BRICK_TRY(orchestrator::observe(ctx.global.root, ctx.global.run_root));
  orchestrator::Plan plan = BRICK_TRY(orchestrator::reconcile(project, observed, options));
  std::erase_if(plan.steps, [&](const orchestrator::Step& s) { return s.service == o.args.front(); });
  orchestrator::ExecuteOptions eo;
  eo.root = ctx.global.root;
  eo.run_root = ctx.global.run_root;
  eo.version = BRICK_VERSION;
  eo.parallel = BRICK_TRY(parallel_limit(ctx.compose));
  eo.no_deps = o.no_deps;
  eo.progress = progress_printer();
  return orchestrator::execute(project, plan, eo);
}

Result<runtime::ContainerState> create_oneoff(const compose::Project& project, const RunOptions& o,
                                              const Context& ctx) {
  const std::string& name = o.args.front();
  compose::Service service = BRICK_TRY(oneoff_service(*project.service(name), o));
  if (!service.image) return fail("service `" + name + "` has no image: building images is not supported");
  images::Store images = BRICK_TRY(images::Store::open(ctx.global.root));
  images::ImageInfo image = BRICK_TRY_CTX(images.resolve(*service.image), "service `" + name + "`");
  orchestrator::TranslateInput in;
  in.project = &project;
  in.service = &service;
  in.image = &image.config;
  in.image_id = image.id;
  in.oneoff = true;
  in.hard_limits = orchestrator::host_hard_limits();
  in.version = BRICK_VERSION;
  orchestrator::DesiredContainer d = BRICK_TRY_CTX(orchestrator::translate(in), "service `" + name + "`");
  for (const std::string& w : d.warnings) std::cerr << "WARN: " << w << "\n";
  d.name = o.name.empty() ? project.name + "-" + name + "-run-" + random_suffix() : o.name;
  // translate named the holder after the service's own first container,
  // which may exist and hold GPUs of its own: this one holds its own.
  for (gpu::GpuRequest& g : d.gpus) g.holder = project.name + "/" + d.name;
  runtime::CreateOptions options = orchestrator::create_options(project, d);
  options.layers = image.layer_dirs;
  runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
  runtime::ContainerState state = BRICK_TRY(runtime::create_container(store, options));
  BRICK_TRY_CTX(orchestrator::grant_container_devices(ctx.global.root, ctx.global.run_root, store, d, state),
                "service `" + name + "`");
  return state;
}

Status remove_oneoff(const Context& ctx, const runtime::ContainerStore& store, const std::string& id) {
  runtime::ContainerState state = BRICK_TRY(store.load(id));
  BRICK_TRY(runtime::remove_container(store, id, true));
  BRICK_TRY(orchestrator::release_container(ctx.global.root, ctx.global.run_root, state));
  remove_anonymous_volumes(ctx.global.root, state.anonymous_volumes);
  return {};
}

Status run_run(const RunOptions& o, Context& ctx) {
  if (o.args.empty()) return fail("\"brick compose run\" requires at least 1 argument: SERVICE [COMMAND...]");
  if (o.rm && o.detach) return fail("--rm and -d cannot be combined");
  compose::LoadedProject loaded = BRICK_TRY(load(load_options(ctx.compose, {o.args.front()})));
  const compose::Project& project = loaded.project;
  if (!project.services.contains(o.args.front())) return fail("no such service: " + o.args.front());
  runtime::ContainerState c;
  {
    FileLock lock = BRICK_TRY(orchestrator::lock_project(ctx.global.run_root, project.name));
    BRICK_TRY(bring_up_dependencies(project, o, ctx));
    c = BRICK_TRY(create_oneoff(project, o, ctx));
  }
  runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
  if (o.detach) {
    auto started = runtime::start_container(store, c.id, {});
    if (!started || started->code != 0) {
      ctx.error_exit_code = started ? started->code : 125;
      return fail((started ? Error(started->error) : std::move(started).error()).context("starting `" + c.name + "`"));
    }
    std::cout << c.name << "\n";
    return {};
  }
  Status ran = run_in_foreground(store, c.id, foreground(o), ctx);
  if (!ran) ran = fail(std::move(ran).error().context("starting `" + c.name + "`"));
  if (o.rm) {
    Status removed = remove_oneoff(ctx, store, c.id);
    if (!removed && ran) return fail(std::move(removed).error().context("removing `" + c.name + "`"));
  }
  return ran;
}

}  // namespace

void add_compose_run_command(CLI::App& compose_cmd, Context& ctx) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = compose_cmd.add_subcommand("run", "Run a one-off command on a service");
  cmd->add_flag("--rm", o->rm, "Automatically remove the container when it exits");
  cmd->add_flag("-d,--detach", o->detach, "Run container in background and print container ID");
  cmd->add_flag("--no-deps", o->no_deps, "Don't start linked services");
  cmd->add_flag("-T,--no-TTY", o->no_tty, "Disable pseudo-TTY allocation (default: auto-detected)");
  cmd->add_option("-e,--env", o->env, "Set environment variables")->type_name("stringArray")->allow_extra_args(false);
  cmd->add_option("--entrypoint", o->entrypoint, "Override the entrypoint of the image")->type_name("string");
  cmd->add_option("--name", o->name, "Assign a name to the container")->type_name("string");
  cmd->add_option("-u,--user", o->user, "Run as specified username or uid")->type_name("string");
  cmd->add_option("-w,--workdir", o->workdir, "Working directory inside the container")->type_name("string");
  cmd->add_option("-p,--publish", o->publish, "Publish a container's port(s) to the host")
      ->type_name("stringArray")
      ->allow_extra_args(false);
  cmd->add_flag("-P,--service-ports", o->service_ports,
                "Run command with all service's ports enabled and mapped to the host");
  cmd->add_option("-v,--volume", o->volumes, "Bind mount a volume")->type_name("stringArray")->allow_extra_args(false);
  cmd->prefix_command();
  cmd->callback([o, cmd, &ctx] {
    o->args = cmd->remaining();
    ctx.action = [o, &ctx] { return run_run(*o, ctx); };
  });
}

}  // namespace brick::cli
