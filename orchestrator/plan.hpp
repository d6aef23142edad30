// The pure half of `compose up`: what runs (observed) and what the project
// asks for (desired) in, an ordered plan of steps out, as docker compose's
// convergence decides them. Nothing here touches the host; the executor
// carries a Plan out and `--dry-run` prints it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "compose/project.hpp"

namespace brick::orchestrator {

// What the planner needs to know of a container the runtime has a record of.
// The runtime's records map onto this; labels are the ones translate() set.
enum class ObservedStatus { created, running, paused, restarting, exited, dead };

struct ObservedContainer {
  std::string id;
  std::string name;
  std::map<std::string, std::string> labels;
  ObservedStatus state = ObservedStatus::running;
};

struct ObservedNetwork {
  std::string name;
  std::map<std::string, std::string> labels;
};

struct ObservedVolume {
  std::string name;
  std::map<std::string, std::string> labels;
};

struct Observed {
  std::vector<ObservedContainer> containers;  // of every project: the planner filters by label
  std::vector<ObservedNetwork> networks;
  std::vector<ObservedVolume> volumes;
};

struct PlanOptions {
  std::vector<std::string> services;  // SERVICE... on the command line; empty: all
  bool no_deps = false;               // only the named services, not what they need
  bool force_recreate = false;        // recreate the named services even if unchanged
  bool always_recreate_deps = false;  // ... and force their dependencies too
  bool no_recreate = false;           // never recreate an existing container
  bool remove_orphans = false;
  bool start = true;                      // false: `create`, `up --no-start`
  std::map<std::string, uint64_t> scale;  // --scale SERVICE=N, over scale/deploy.replicas
  // The image ID each service's image resolves to now, when known; a container
  // made from another image is recreated ("image changed").
  std::map<std::string, std::string> image_ids;
};

enum class Action {
  create_network,
  create_volume,
  remove_container,  // an orphan, or a replica beyond the scale
  recreate_container,
  create_container,
  start_container,
};

struct Step {
  Action action;
  std::string name;     // network, volume or container name
  std::string service;  // containers only
  uint64_t number = 0;  // container number
  // The service's start level in the dependency graph; -1 for networks,
  // volumes and orphans, which come first.
  int level = -1;
  std::string reason;        // why: "config hash changed", "scale 3 -> 1", ...
  std::string container_id;  // the existing container a step acts on, if any
};

struct Plan {
  std::string project;
  std::vector<Step> steps;
  std::vector<std::string> orphans;   // container names, whether removed or not
  std::vector<std::string> warnings;  // for stderr, as compose words them
  bool empty() const { return steps.empty(); }
};

// Decides, for the services selected by options (after profiles), which
// networks and volumes to create, which containers to create, recreate,
// start or remove, level by level through the dependency graph. A recreated
// service also recreates the selected services that depend on it with
// `restart: true`. Fails on an external network or volume that does not
// exist, an unknown service, and container_name with more than one replica.
Result<Plan> reconcile(const compose::Project& project, const Observed& observed, const PlanOptions& options);

// One line per step in docker compose's words, e.g.
// `Network demo_default  Create`, `Container demo-web-1  Recreate  (config hash changed)`.
std::string to_string(const Plan& plan);
std::string_view verb(Action action);

}  // namespace brick::orchestrator
