// The service dependency graph: edges from depends_on, network_mode
// service:X, volumes_from, links, ipc/pid service:X; start levels for
// parallel start, the reverse for stopping, sub-graphs for `up SERVICE...`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "compose/node.hpp"
#include "compose/project.hpp"

namespace brick::compose {

struct DependencyEdge {
  std::string from;  // the dependent service
  std::string to;    // the service it needs
  std::string kind;  // "depends_on", "network_mode", "volumes_from", "links", "ipc", "pid"
  bool required = true;
  Mark mark;
};

// Every dependency edge the project's active services declare, in a stable order.
std::vector<DependencyEdge> dependency_edges(const Project& project);

// How an edge of `kind` makes one service need another, for messages:
// "depends on", "uses the network of", "mounts volumes from", "links to", ...
std::string_view edge_verb(std::string_view kind);

class ServiceGraph {
 public:
  // Fails on an edge to an unknown service, and on a cycle, printed as
  // `depends_on cycle: a -> b -> c -> a`.
  static Result<ServiceGraph> build(const std::vector<std::string>& services, const std::vector<DependencyEdge>& edges);
  static Result<ServiceGraph> build(const Project& project);

  // Topological layers: level 0 needs nothing, level N only needs lower levels.
  // Services within a level are sorted by name.
  const std::vector<std::vector<std::string>>& start_levels() const { return levels_; }
  // Reverse start order, for stopping: dependents before what they need.
  std::vector<std::vector<std::string>> stop_levels() const;
  // `selected` plus, unless `no_deps`, everything they transitively need.
  Result<ServiceGraph> subgraph(const std::vector<std::string>& selected, bool no_deps) const;
  // Direct dependencies / dependents of one service.
  std::vector<std::string> dependencies(const std::string& service) const;
  std::vector<std::string> dependents(const std::string& service) const;
  const std::vector<std::string>& services() const { return services_; }

 private:
  std::vector<std::string> services_;
  std::vector<DependencyEdge> edges_;
  std::vector<std::vector<std::string>> levels_;
};

}  // namespace brick::compose
