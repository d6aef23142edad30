#include "compose/project.hpp"

#include <set>

namespace brick::compose {

uint64_t Service::replicas() const {
  if (scale) return *scale;
  if (deploy && deploy->replicas) return *deploy->replicas;
  return 1;
}

const Service* Project::service(const std::string& name) const {
  auto it = services.find(name);
  return it == services.end() ? nullptr : &it->second;
}

std::vector<std::string> Project::service_names() const {
  std::vector<std::string> out;
  out.reserve(services.size());
  for (const auto& [name, _] : services) out.push_back(name);
  return out;
}

std::vector<std::string> Project::all_profiles() const {
  std::set<std::string> out;
  for (const auto* group : {&services, &disabled_services})
    for (const auto& [_, svc] : *group) out.insert(svc.profiles.begin(), svc.profiles.end());
  return {out.begin(), out.end()};
}

}  // namespace brick::compose
