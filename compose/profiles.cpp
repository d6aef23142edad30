#include "compose/profiles.hpp"

#include <algorithm>
#include <set>

#include "compose/graph.hpp"

namespace brick::compose {

namespace {

bool is_active(const Service& svc, const std::set<std::string>& profiles) {
  if (svc.profiles.empty() || profiles.contains("*")) return true;
  return std::any_of(svc.profiles.begin(), svc.profiles.end(),
                     [&](const std::string& p) { return profiles.contains(p); });
}

// "`--profile a`", "`--profile a` or `--profile b`", ...
std::string profile_flags(const std::vector<std::string>& profiles) {
  std::string out;
  for (size_t i = 0; i < profiles.size(); ++i) {
    if (i) out += i + 1 == profiles.size() ? " or " : ", ";
    out += "`--profile " + profiles[i] + "`";
  }
  return out;
}

}  // namespace

Status apply_profiles(Project& project, const std::vector<std::string>& enabled_profiles,
                      const std::vector<std::string>& named_services) {
  // Start again from every service, so applying twice gives the same result.
  std::map<std::string, Service> all = std::move(project.services);
  all.merge(project.disabled_services);
  project.services.clear();
  project.disabled_services.clear();

  std::set<std::string> profiles(enabled_profiles.begin(), enabled_profiles.end());
  // As docker compose does, naming a service turns on its profiles, which
  // also activates the other services of those profiles.
  for (const auto& name : named_services) {
    auto it = all.find(name);
    if (it == all.end()) {
      project.services = std::move(all);  // leave the project whole on error
      return fail("no such service: " + name);
    }
    profiles.insert(it->second.profiles.begin(), it->second.profiles.end());
  }

  for (auto& [name, svc] : all) {
    auto& target = is_active(svc, profiles) ? project.services : project.disabled_services;
    target.emplace(name, std::move(svc));
  }

  for (const auto& edge : dependency_edges(project)) {
    auto disabled = project.disabled_services.find(edge.to);
    if (disabled == project.disabled_services.end()) continue;
    if (!edge.required) {
      // compose drops an optional dependency on a service that will not run.
      project.services.at(edge.from).depends_on.erase(edge.to);
      continue;
    }
    const Service& dep = disabled->second;
    std::string message = "service `" + edge.from + "` " + std::string(edge_verb(edge.kind)) + " service `" + edge.to +
                          "`, which is disabled: " +
                          (dep.profiles.size() == 1 ? "enable its profile with " : "enable one of its profiles with ") +
                          profile_flags(dep.profiles);
    Error error(std::move(message));
    if (std::string where = edge.mark.str(); !where.empty()) error.context(std::move(where));
    return fail(std::move(error));
  }
  return {};
}

}  // namespace brick::compose
