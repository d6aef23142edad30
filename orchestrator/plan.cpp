#include "orchestrator/plan.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "compose/graph.hpp"
#include "orchestrator/translate.hpp"

namespace brick::orchestrator {
namespace {

const std::string* label(const ObservedContainer& c, std::string_view key) {
  auto it = c.labels.find(std::string(key));
  return it == c.labels.end() ? nullptr : &it->second;
}

bool is_oneoff(const ObservedContainer& c) {
  const std::string* v = label(c, kOneoffLabel);
  return v && *v == "True";
}

uint64_t number_of(const ObservedContainer& c) {
  const std::string* v = label(c, kNumberLabel);
  if (!v || v->empty() || v->size() > 18 || !std::all_of(v->begin(), v->end(), ::isdigit)) return 0;
  return std::stoull(*v);
}

enum class Strategy { never, diverged, force };

bool needs_start(ObservedStatus s) {
  return s == ObservedStatus::created || s == ObservedStatus::exited || s == ObservedStatus::dead;
}

// The networks a service joins (none for network_mode), as project keys.
std::vector<std::string> networks_of(const compose::Service& s) {
  std::vector<std::string> out;
  if (s.network_mode) return out;
  if (s.networks.empty()) return {"default"};
  for (const auto& [key, _] : s.networks) out.push_back(key);
  return out;
}

struct Planner {
  const compose::Project& project;
  const Observed& observed;
  const PlanOptions& options;
  Plan plan;

  bool observed_network(const std::string& name, const ObservedNetwork** found = nullptr) const {
    for (const auto& n : observed.networks)
      if (n.name == name) {
        if (found) *found = &n;
        return true;
      }
    return false;
  }

  Status networks(const std::vector<std::string>& services) {
    std::set<std::string> keys;
    for (const auto& name : services)
      for (auto& key : networks_of(*project.service(name))) keys.insert(key);
    for (const auto& key : keys) {
      auto it = project.networks.find(key);
      std::string name = it != project.networks.end() ? it->second.name : project.name + "_" + key;
      bool external = it != project.networks.end() && it->second.external;
      std::string driver = it != project.networks.end() ? it->second.driver.value_or("bridge") : "bridge";
      // host and none are no networks to create; the container shares or lacks one.
      if (driver == "host" || driver == "none") continue;
      const ObservedNetwork* found = nullptr;
      if (observed_network(name, &found)) {
        auto p = found->labels.find(std::string(kProjectLabel));
        if (!external && (p == found->labels.end() || p->second != project.name))
          plan.warnings.push_back("a network with name " + name + " exists but was not created for project \"" +
                                  project.name + "\". Set `external: true` to use an existing network");
        continue;
      }
      if (external) return fail("network " + name + " declared as external, but could not be found");
      plan.steps.push_back({Action::create_network, name, "", 0, -1, "", ""});
    }
    return {};
  }

  Status volumes(const std::vector<std::string>& services) {
    std::set<std::string> keys;
    for (const auto& name : services)
      for (const auto& v : project.service(name)->volumes)
        if (v.type == "volume" && v.source && project.volumes.contains(*v.source)) keys.insert(*v.source);
    for (const auto& key : keys) {
      const compose::Volume& vol = project.volumes.at(key);
      auto found = std::find_if(observed.volumes.begin(), observed.volumes.end(),
                                [&](const ObservedVolume& v) { return v.name == vol.name; });
      if (found != observed.volumes.end()) {
        auto p = found->labels.find(std::string(kProjectLabel));
        if (!vol.external && (p == found->labels.end() || p->second != project.name))
          plan.warnings.push_back("volume \"" + vol.name + "\" already exists but was not created for project \"" +
                                  project.name + "\". Use `external: true` to use an existing volume");
        continue;
      }
      if (vol.external) return fail("external volume \"" + vol.name + "\" not found");
      plan.steps.push_back({Action::create_volume, vol.name, "", 0, -1, "", ""});
    }
    return {};
  }

  // compose's isOrphaned: a service the project no longer has (profiles do not
  // make orphans), or a finished one-off container.
  void orphans(const std::vector<const ObservedContainer*>& mine) {
    std::vector<const ObservedContainer*> found;
    for (const ObservedContainer* c : mine) {
      const std::string* service = label(*c, kServiceLabel);
      bool orphan =
          is_oneoff(*c)
              ? (c->state == ObservedStatus::exited || c->state == ObservedStatus::dead)
              : (!service || (!project.services.contains(*service) && !project.disabled_services.contains(*service)));
      if (orphan) found.push_back(c);
    }
    std::sort(found.begin(), found.end(), [](auto* a, auto* b) { return a->name < b->name; });
    for (const ObservedContainer* c : found) plan.orphans.push_back(c->name);
    if (found.empty()) return;
    if (options.remove_orphans) {
      for (const ObservedContainer* c : found) {
        const std::string* service = label(*c, kServiceLabel);
        plan.steps.push_back(
            {Action::remove_container, c->name, service ? *service : "", number_of(*c), -1, "orphan", c->id});
      }
    } else {
      std::string names;
      for (const auto& n : plan.orphans) names += (names.empty() ? "" : " ") + n;
      plan.warnings.push_back("Found orphan containers ([" + names +
                              "]) for this project. If you removed or renamed this service in your compose file, "
                              "you can run this command with the --remove-orphans flag to clean it up.");
    }
  }
};

}  // namespace

std::string_view verb(Action action) {
  switch (action) {
    case Action::create_network:
    case Action::create_volume:
    case Action::create_container: return "Create";
    case Action::recreate_container: return "Recreate";
    case Action::start_container: return "Start";
    case Action::remove_container: return "Remove";
  }
  return "?";
}

Result<Plan> reconcile(const compose::Project& project, const Observed& observed, const PlanOptions& options) {
  Planner p{project, observed, options, {}};
  p.plan.project = project.name;

  compose::ServiceGraph graph = BRICK_TRY(compose::ServiceGraph::build(project));
  for (const auto& name : options.services)
    if (!project.services.contains(name)) return fail("no such service: " + name);
  for (const auto& [name, _] : options.scale)
    if (!project.services.contains(name)) return fail("--scale: no such service: " + name);
  std::vector<std::vector<std::string>> levels = graph.start_levels();
  if (!options.services.empty()) {
    compose::ServiceGraph sub = BRICK_TRY(graph.subgraph(options.services, options.no_deps));
    levels = sub.start_levels();
  }
  std::vector<std::string> selected;
  for (const auto& level : levels) selected.insert(selected.end(), level.begin(), level.end());
  auto named = [&](const std::string& service) {
    return options.services.empty() ||
           std::find(options.services.begin(), options.services.end(), service) != options.services.end();
  };

  BRICK_TRY(p.networks(selected));
  BRICK_TRY(p.volumes(selected));

  std::vector<const ObservedContainer*> mine;
  for (const auto& c : observed.containers) {
    const std::string* proj = label(c, kProjectLabel);
    if (proj && *proj == project.name) mine.push_back(&c);
  }
  p.orphans(mine);

  std::set<std::string> recreated;
  for (size_t level = 0; level < levels.size(); ++level) {
    std::vector<Step> starts;
    for (const auto& name : levels[level]) {
      const compose::Service& s = *project.service(name);
      auto scale = options.scale.find(name);
      uint64_t expected = scale != options.scale.end() ? scale->second : s.replicas();
      if (s.container_name && expected > 1)
        return fail("service `" + name + "`: container_name `" + *s.container_name +
                    "` cannot be used with more than one replica: a container name must be unique");
      Strategy strategy = Strategy::diverged;
      if (options.no_recreate)
        strategy = Strategy::never;
      else if (named(name) ? options.force_recreate : options.always_recreate_deps)
        strategy = Strategy::force;

      std::vector<const ObservedContainer*> existing;
      for (const ObservedContainer* c : mine) {
        const std::string* service = label(*c, kServiceLabel);
        if (service && *service == name && !is_oneoff(*c)) existing.push_back(c);
      }
      std::sort(existing.begin(), existing.end(), [](auto* a, auto* b) {
        return number_of(*a) != number_of(*b) ? number_of(*a) < number_of(*b) : a->name < b->name;
      });
      uint64_t next = 1;
      for (const ObservedContainer* c : existing) next = std::max(next, number_of(*c) + 1);

      // Scale down: the highest numbers go first.
      std::string scale_reason = "scale " + std::to_string(existing.size()) + " -> " + std::to_string(expected);
      for (size_t i = existing.size(); i > expected; --i) {
        const ObservedContainer* c = existing[i - 1];
        p.plan.steps.push_back(
            {Action::remove_container, c->name, name, number_of(*c), static_cast<int>(level), scale_reason, c->id});
      }
      if (existing.size() > expected) existing.resize(expected);

      std::string hash = config_hash(s);
      auto image = options.image_ids.find(name);
      std::string restart_dep;
      for (const auto& [dep, d] : s.depends_on)
        if (d.restart && recreated.contains(dep) && restart_dep.empty()) restart_dep = dep;

      for (const ObservedContainer* c : existing) {
        std::string reason;
        if (strategy == Strategy::force) {
          reason = "forced";
        } else if (strategy == Strategy::diverged) {
          const std::string* h = label(*c, kConfigHashLabel);
          const std::string* img = label(*c, kImageLabel);
          if (!h || *h != hash)
            reason = "config hash changed";
          else if (image != options.image_ids.end() && (!img || *img != image->second))
            reason = "image changed";
          else if (!restart_dep.empty())
            reason = "dependency `" + restart_dep + "` recreated (restart: true)";
        }
        Step step{Action::recreate_container, c->name, name, number_of(*c), static_cast<int>(level), reason, c->id};
        if (!reason.empty()) {
          p.plan.steps.push_back(step);
          recreated.insert(name);
          if (options.start)
            starts.push_back({Action::start_container, c->name, name, step.number, step.level, "", ""});
        } else if (options.start && needs_start(c->state)) {
          starts.push_back({Action::start_container, c->name, name, step.number, step.level, "", c->id});
        }
      }
      for (uint64_t i = existing.size(); i < expected; ++i, ++next) {
        std::string cname = container_name(project.name, s, next);
        p.plan.steps.push_back({Action::create_container, cname, name, next, static_cast<int>(level), "", ""});
        if (options.start)
          starts.push_back({Action::start_container, cname, name, next, static_cast<int>(level), "", ""});
      }
    }
    p.plan.steps.insert(p.plan.steps.end(), starts.begin(), starts.end());
  }
  return std::move(p.plan);
}

std::string to_string(const Plan& plan) {
  std::string out;
  for (const Step& step : plan.steps) {
    switch (step.action) {
      case Action::create_network: out += "Network " + step.name; break;
      case Action::create_volume: out += "Volume \"" + step.name + "\""; break;
      default: out += "Container " + step.name; break;
    }
    out += "  ";
    out += verb(step.action);
    if (!step.reason.empty()) out += "  (" + step.reason + ")";
    out += "\n";
  }
  return out;
}

}  // namespace brick::orchestrator
