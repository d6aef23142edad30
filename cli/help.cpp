#include "cli/help.hpp"

#include <algorithm>
#include <iostream>
#include <sstream>

namespace brick::cli {
namespace {

std::string option_label(const CLI::Option* opt) {
  std::string out = opt->get_snames().empty() ? "      " : "  -" + opt->get_snames().front() + ", ";
  if (!opt->get_lnames().empty()) out += "--" + opt->get_lnames().front();
  if (opt->get_items_expected_max() > 0) {
    std::string type = opt->get_type_name();
    if (!type.empty()) out += " " + type;
  }
  return out;
}

std::string positional_usage(const CLI::App* app) {
  std::string out;
  for (const CLI::Option* opt : app->get_options([](const CLI::Option* o) { return o->get_positional(); })) {
    std::string name = opt->get_name();
    out += opt->get_items_expected_max() > 1 ? " [" + name + "...]" : " [" + name + "]";
  }
  return out;
}

}  // namespace

std::string DockerStyleFormatter::make_help(const CLI::App* app, std::string name, CLI::AppFormatMode) const {
  auto subcommands = app->get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
  std::ostringstream out;
  out << "\nUsage:  " << name << " [OPTIONS]";
  if (!subcommands.empty())
    out << " COMMAND";
  else
    out << positional_usage(app);
  out << "\n\n" << app->get_description() << "\n";

  auto options = app->get_options([app](const CLI::Option* o) {
    return o->nonpositional() && o != app->get_help_ptr() && !o->get_group().empty();
  });
  if (!options.empty()) {
    std::vector<std::pair<std::string, std::string>> rows;
    size_t width = 0;
    for (const CLI::Option* opt : options) {
      rows.emplace_back(option_label(opt), opt->get_description());
      width = std::max(width, rows.back().first.size());
    }
    out << "\nOptions:\n";
    for (const auto& [label, desc] : rows) out << label << std::string(width - label.size() + 3, ' ') << desc << "\n";
  }
  if (!subcommands.empty()) {
    size_t width = 0;
    for (const CLI::App* sub : subcommands) width = std::max(width, sub->get_name().size());
    out << "\nCommands:\n";
    for (const CLI::App* sub : subcommands)
      out << "  " << sub->get_name() << std::string(width - sub->get_name().size() + 4, ' ') << sub->get_description()
          << "\n";
    out << "\nRun '" << name << " COMMAND --help' for more information on a command.\n";
  }
  return out.str();
}

void show_help_without_subcommand(CLI::App* group, Context& ctx) {
  group->callback([group, &ctx] {
    if (!group->get_subcommands().empty()) return;
    ctx.action = [group]() -> Status {
      std::cout << group->help("brick");
      return {};
    };
  });
}

}  // namespace brick::cli
