#include "cli/config_cmd.hpp"

#include <memory>
#include <set>

#include "cli/compose_cmd.hpp"
#include "cli/output.hpp"
#include "cli/project_select.hpp"
#include "compose/graph.hpp"
#include "compose/serialize.hpp"

namespace brick::cli {
namespace {

struct ConfigOptions {
  std::string format = "yaml";
  bool quiet = false;
  bool services = false;
  bool volumes = false;
  bool profiles = false;
  bool images = false;
  bool no_interpolate = false;
  std::string output;
  std::vector<std::string> names;
};

std::string lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += item + "\n";
  return out;
}

// Interpolation has consumed every `$`; the printed file must read back the
// same, so compose doubles them.
std::string escape_dollars(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out += c;
    if (c == '$') out += '$';
  }
  return out;
}

Result<std::string> render(const ConfigOptions& o, compose::Project& project) {
  if (o.services) return lines(dependency_order(project));
  if (o.volumes) {
    std::vector<std::string> names;
    names.reserve(project.volumes.size());
    for (const auto& [name, _] : project.volumes) names.push_back(name);
    return lines(names);
  }
  if (o.profiles) return lines(project.all_profiles());
  if (o.images) {
    std::vector<std::string> images;
    images.reserve(project.services.size());
    for (const auto& [name, s] : project.services) images.push_back(s.image ? *s.image : project.name + "-" + name);
    return lines(images);
  }
  std::string text;
  if (o.format == "json") {
    text = compose::to_json_text(compose::to_json(project, compose::OutputFormat::Json)) + "\n";
  } else {
    text = compose::to_yaml(compose::to_json(project));
  }
  return o.no_interpolate ? text : escape_dollars(text);
}

Status run_config(const ConfigOptions& o, const ComposeOptions& compose_options) {
  // --services, --volumes and --profiles describe the whole project; compose
  // ignores service names there.
  bool listing = o.services || o.volumes;
  std::vector<std::string> names = listing ? std::vector<std::string>{} : o.names;
  compose::LoadOptions load_opts = load_options(compose_options, names);
  load_opts.interpolate = !o.no_interpolate;
  compose::LoadedProject loaded = BRICK_TRY(load(load_opts));
  compose::Project& project = loaded.project;
  // compose refuses a project whose dependencies loop, even just to print it.
  BRICK_TRY(compose::ServiceGraph::build(project));
  if (!o.profiles) BRICK_TRY(select_services(project, names));
  drop_unused_resources(project);

  std::string text = BRICK_TRY(render(o, project));
  if (o.quiet) return {};
  bool whole = !(o.services || o.volumes || o.profiles || o.images);
  return emit(text, whole ? o.output : "");
}

}  // namespace

void add_config_command(CLI::App& compose_cmd, Context& ctx) {
  auto o = std::make_shared<ConfigOptions>();
  CLI::App* cmd = compose_cmd.add_subcommand("config", "Parse, resolve and render compose file in canonical format");
  cmd->add_option("--format", o->format, "Format the output. Values: [yaml | json]")
      ->type_name("string")
      ->check(CLI::IsMember({"yaml", "json"}).description(""));
  cmd->add_flag("-q,--quiet", o->quiet, "Only validate the configuration, don't print anything");
  cmd->add_flag("--services", o->services, "Print the service names, one per line.");
  cmd->add_flag("--volumes", o->volumes, "Print the volume names, one per line.");
  cmd->add_flag("--profiles", o->profiles, "Print the profile names, one per line.");
  cmd->add_flag("--images", o->images, "Print the image names, one per line.");
  cmd->add_flag("--no-interpolate", o->no_interpolate, "Don't interpolate environment variables");
  cmd->add_option("-o,--output", o->output, "Save to file (default to stdout)")->type_name("string");
  cmd->add_option("SERVICE", o->names, "Services to render (and what they depend on)");
  cmd->callback([o, &ctx] { ctx.action = [o, &ctx] { return run_config(*o, ctx.compose); }; });
}

}  // namespace brick::cli
