#include "orchestrator/lifecycle.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "base/catch_all.hpp"
#include "compose/graph.hpp"
#include "net/container_network.hpp"
#include "net/network.hpp"
#include "orchestrator/container_network.hpp"
#include "orchestrator/records.hpp"
#include "orchestrator/release.hpp"
#include "orchestrator/slots.hpp"
#include "orchestrator/translate.hpp"
#include "runtime/container.hpp"
#include "volumes/volume_store.hpp"

namespace brick::orchestrator {
namespace {

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string label_of(const runtime::ContainerState& c, std::string_view key) {
  auto it = c.labels.find(std::string(key));
  return it == c.labels.end() ? "" : it->second;
}

void emit(const Progress& progress, std::string kind, std::string name, std::string status) {
  if (progress) progress({std::move(kind), std::move(name), std::move(status), ""});
}

// The networks a container's record says it joins.
std::vector<std::string> joined_networks(const runtime::ContainerState& c) {
  std::vector<std::string> out;
  auto it = c.extensions.find(net::kNetworkExtension);
  if (it == c.extensions.end()) return out;
  auto config = net::container_network_from_json(*it);
  if (!config) return out;
  for (const auto& n : config->networks) out.push_back(n.network);
  return out;
}

}  // namespace

Result<Observed> observe(const std::string& root, const std::string& run_root) {
  Observed observed;
  if (exists(root + "/networks")) {
    auto store = BRICK_TRY(net::NetworkStore::open(root, nullptr));
    for (auto& n : BRICK_TRY(store.list())) observed.networks.push_back({n.name, n.labels});
  }
  if (exists(root + "/volumes")) {
    auto store = BRICK_TRY(volumes::VolumeStore::open(root));
    for (auto& v : BRICK_TRY(store.list())) observed.volumes.push_back({v.name, v.labels});
  }
  if (exists(root + "/containers") && exists(run_root)) {
    auto store = BRICK_TRY(runtime::ContainerStore::open(root, run_root));
    for (auto& c : BRICK_TRY(store.list_by_labels({{std::string(kProjectLabel), ""}}))) {
      auto now = runtime::observe_container(store, c.id);
      observed.containers.push_back(observed_container(now ? *now : c));
    }
  }
  return observed;
}

Result<std::vector<runtime::ContainerState>> project_containers(const runtime::ContainerStore& store,
                                                                const std::string& project,
                                                                const std::vector<std::string>& services, bool oneoff) {
  std::vector<runtime::ContainerState> out;
  for (auto& c : BRICK_TRY(store.list_by_labels({{std::string(kProjectLabel), project}}))) {
    if (!oneoff && label_of(c, kOneoffLabel) == "True") continue;
    std::string service = label_of(c, kServiceLabel);
    if (!services.empty() && std::find(services.begin(), services.end(), service) == services.end()) continue;
    auto now = runtime::observe_container(store, c.id);
    out.push_back(now ? std::move(*now) : std::move(c));
  }
  return out;
}

std::vector<std::vector<runtime::ContainerState>> stop_order(const compose::Project& project,
                                                             std::vector<runtime::ContainerState> containers) {
  std::vector<std::vector<runtime::ContainerState>> groups;
  std::vector<std::vector<std::string>> levels;
  if (auto graph = compose::ServiceGraph::build(project)) levels = graph->stop_levels();
  std::set<std::string> known;
  for (const auto& level : levels) known.insert(level.begin(), level.end());
  std::vector<bool> taken(containers.size());
  auto take = [&](auto&& pred) {
    std::vector<runtime::ContainerState> group;
    for (size_t i = 0; i < containers.size(); ++i)
      if (!taken[i] && pred(label_of(containers[i], kServiceLabel))) {
        taken[i] = true;
        group.push_back(std::move(containers[i]));
      }
    std::sort(group.begin(), group.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    if (!group.empty()) groups.push_back(std::move(group));
  };
  take([&](const std::string& s) { return !known.contains(s); });
  for (const auto& level : levels)
    take([&](const std::string& s) { return std::find(level.begin(), level.end(), s) != level.end(); });
  return groups;
}

std::vector<std::vector<runtime::ContainerState>> start_order(const compose::Project& project,
                                                              std::vector<runtime::ContainerState> containers) {
  auto groups = stop_order(project, std::move(containers));
  std::reverse(groups.begin(), groups.end());
  return groups;
}

Status stop_groups(const runtime::ContainerStore& store,
                   const std::vector<std::vector<runtime::ContainerState>>& groups, const StopOptions& o) {
  std::string errors;
  std::mutex mu;
  Slots slots(o.parallel);
  for (const auto& group : groups) {
    std::vector<std::jthread> threads;
    threads.reserve(group.size());
    for (const auto& c : group) {
      threads.emplace_back([&, c] {
        SlotGuard slot(slots);
        Status s = catch_all([&] {
          return o.kill ? runtime::kill_container(store, c.id, o.signal)
                        : runtime::stop_container(store, c.id, o.signal, o.timeout);
        });
        std::lock_guard lock(mu);
        if (!s) {
          errors += (errors.empty() ? "" : "; ") + ("container `" + c.name + "`: " + s.error().full());
          return;
        }
        emit(o.progress, "Container", c.name, o.kill ? "Killed" : "Stopped");
      });
    }
  }
  if (!errors.empty()) return fail(errors);
  return {};
}

Status down(const compose::Project& project, const std::string& root, const std::string& run_root,
            const DownOptions& o) {
  runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(root, run_root));
  std::vector<runtime::ContainerState> all = BRICK_TRY(project_containers(store, project.name, {}, true));
  std::vector<runtime::ContainerState> mine, orphans;
  for (auto& c : all) {
    std::string service = label_of(c, kServiceLabel);
    bool orphan = !project.services.contains(service) && !project.disabled_services.contains(service);
    (orphan && !o.remove_orphans ? orphans : mine).push_back(std::move(c));
  }
  if (!orphans.empty()) {
    std::string names;
    for (const auto& c : orphans) names += (names.empty() ? "" : " ") + c.name;
    emit(o.progress, "Warning", "Found orphan containers ([" + names + "]) for this project", "");
  }
  std::vector<std::string> anonymous;
  auto groups = stop_order(project, mine);
  StopOptions stop;
  stop.timeout = o.timeout;
  stop.parallel = o.parallel;
  stop.progress = o.progress;
  std::vector<std::vector<runtime::ContainerState>> running;
  for (const auto& g : groups) {
    std::vector<runtime::ContainerState> up;
    for (const auto& c : g)
      if (c.running()) up.push_back(c);
    running.push_back(std::move(up));
  }
  Status stopped = stop_groups(store, running, stop);
  std::string errors = stopped ? "" : stopped.error().full();
  {
    // Every container is stopped now: they go all at once, as they stopped.
    std::mutex mu;
    Slots slots(o.parallel);
    std::vector<std::jthread> threads;
    for (const auto& g : groups)
      for (const auto& c : g)
        threads.emplace_back([&, c] {
          SlotGuard slot(slots);
          Status removed = catch_all([&] { return runtime::remove_container(store, c.id, true); });
          // What the container held outside its record (its monitor may
          // have been killed before giving it back).
          runtime::ContainerState gone = c;
          Status released = removed ? catch_all([&] { return release_container(root, run_root, gone); }) : Status{};
          std::lock_guard lock(mu);
          for (const Status* r : {&removed, &released})
            if (!*r) errors += (errors.empty() ? "" : "; ") + ("container `" + c.name + "`: " + r->error().full());
          if (!removed) return;
          anonymous.insert(anonymous.end(), c.anonymous_volumes.begin(), c.anonymous_volumes.end());
          emit(o.progress, "Container", c.name, "Removed");
        });
  }

  // A network or volume that a container still uses stays, with docker
  // compose's warning: the same rule as `network rm` and `volume rm`. Such a
  // container is an orphan left in place, or another project's that shares
  // the resource (external, or declared with the same `name:`).
  std::map<std::string, std::string> network_user, volume_user;  // resource → a container using it
  for (const auto& c : BRICK_TRY(store.list())) {
    for (const auto& n : joined_networks(c)) network_user.emplace(n, c.name);
    for (const auto& v : c.volumes) volume_user.emplace(v, c.name);
  }
  auto in_use = [&](const std::string& kind, const std::string& name, const std::map<std::string, std::string>& users) {
    auto u = users.find(name);
    if (u == users.end()) return false;
    emit(o.progress, kind, name, "Resource is still in use by container " + u->second);
    return true;
  };
  if (exists(root + "/networks")) {
    auto nstore = BRICK_TRY(net::NetworkStore::open(root, net::kernel_host(run_root)));
    for (const auto& n : BRICK_TRY(nstore.list())) {
      auto p = n.labels.find(std::string(kProjectLabel));
      if (p == n.labels.end() || p->second != project.name) continue;
      if (in_use("Network", n.name, network_user)) continue;
      // Checked again under the store's lock, for a container made since.
      auto removed = nstore.remove(n.name, networks_in_use(root, run_root));
      if (!removed && removed.error().errno_value() == EBUSY) {
        emit(o.progress, "Network", n.name, "Resource is still in use");
        continue;
      }
      if (!removed) {
        errors += (errors.empty() ? "" : "; ") + ("network `" + n.name + "`: " + removed.error().full());
        continue;
      }
      emit(o.progress, "Network", n.name, "Removed");
    }
    // A network whose create was killed mid-write has only a temp file.
    if (auto swept = nstore.sweep(); !swept) errors += (errors.empty() ? "" : "; ") + swept.error().full();
  }
  if (o.volumes && exists(root + "/volumes")) {
    auto vstore = BRICK_TRY(volumes::VolumeStore::open(root));
    std::vector<std::string> names = anonymous;
    for (const auto& v : BRICK_TRY(vstore.list({std::string(kProjectLabel) + "=" + project.name})))
      if (std::find(names.begin(), names.end(), v.name) == names.end()) names.push_back(v.name);
    for (const auto& name : names) {
      if (in_use("Volume", name, volume_user)) continue;
      auto removed = vstore.remove(name, false, [&](const std::string& v) {
        auto now = store.list();  // under the volume store's lock, for a container made since
        return !now || std::any_of(now->begin(), now->end(), [&](const runtime::ContainerState& c) {
          return std::find(c.volumes.begin(), c.volumes.end(), v) != c.volumes.end();
        });
      });
      if (!removed && removed.error().errno_value() == EBUSY) {
        emit(o.progress, "Volume", name, "Resource is still in use");
        continue;
      }
      if (!removed) {
        if (removed.error().errno_value() == ENOENT) continue;
        errors += (errors.empty() ? "" : "; ") + ("volume `" + name + "`: " + removed.error().full());
        continue;
      }
      emit(o.progress, "Volume", name, "Removed");
    }
  }
  if (!errors.empty()) return fail(errors);
  return {};
}

}  // namespace brick::orchestrator
