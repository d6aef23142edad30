#include "cli/project_select.hpp"

#include <functional>
#include <set>

namespace brick::cli {

using compose::Project;

Status select_services(Project& project, const std::vector<std::string>& names) {
  if (names.empty()) return {};
  std::set<std::string> keep;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (!keep.insert(name).second) return;
    const compose::Service* s = project.service(name);
    if (!s) return;
    for (const auto& [dep, _] : s->depends_on) visit(dep);
  };
  for (const auto& name : names) {
    if (!project.service(name)) return fail("no such service: " + name);
    visit(name);
  }
  std::erase_if(project.services, [&](const auto& entry) { return !keep.contains(entry.first); });
  return {};
}

void drop_unused_resources(Project& project) {
  std::set<std::string> networks, volumes, secrets, configs;
  for (const auto& [_, s] : project.services) {
    if (s.networks.empty() && !s.network_mode) networks.insert("default");
    for (const auto& [name, _n] : s.networks) networks.insert(name);
    for (const auto& v : s.volumes)
      if (v.type == "volume" && v.source && !v.source->empty()) volumes.insert(*v.source);
    for (const auto& r : s.secrets) secrets.insert(r.source);
    for (const auto& r : s.configs) configs.insert(r.source);
  }
  auto prune = [](auto& objects, const std::set<std::string>& used) {
    std::erase_if(objects, [&](const auto& entry) { return !used.contains(entry.first); });
  };
  prune(project.networks, networks);
  prune(project.volumes, volumes);
  prune(project.secrets, secrets);
  prune(project.configs, configs);
}

std::vector<std::string> dependency_order(const Project& project) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (!seen.insert(name).second) return;
    const compose::Service* s = project.service(name);
    if (!s) return;
    for (const auto& [dep, _] : s->depends_on) visit(dep);
    out.push_back(name);
  };
  for (const auto& [name, _] : project.services) visit(name);
  return out;
}

}  // namespace brick::cli
