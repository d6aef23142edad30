#include "compose/graph.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <set>
#include <string_view>

namespace brick::compose {

namespace {

constexpr std::string_view kServicePrefix = "service:";

// "service:X" -> "X"; anything else (host, none, container:X, ...) -> "".
std::string service_reference(const std::optional<std::string>& value) {
  if (!value || !value->starts_with(kServicePrefix)) return {};
  return value->substr(kServicePrefix.size());
}

// volumes_from takes "X", "X:ro", "X:rw", the v1 spelling "service:X[:mode]",
// and "container:X[:mode]", which names a container outside the project and
// so orders nothing.
std::string volumes_from_service(std::string_view entry) {
  if (entry.starts_with("container:")) return {};
  if (entry.starts_with(kServicePrefix)) entry.remove_prefix(kServicePrefix.size());
  return std::string(entry.substr(0, entry.find(':')));
}

Error with_mark(Error error, const Mark& mark) {
  std::string where = mark.str();
  if (!where.empty()) error.context(std::move(where));
  return error;
}

// Services as indices into the sorted name list, so index order is name
// order. Each service's dependencies are sorted and unique, with the kind that
// links them (depends_on preferred when several kinds do: it is what the user
// most likely wrote and can change).
struct Link {
  size_t to;
  std::string_view kind;
};
using Adjacency = std::vector<std::vector<Link>>;

Adjacency adjacency(const std::vector<std::string>& names, const std::vector<DependencyEdge>& edges) {
  auto index_of = [&](const std::string& name) {
    return static_cast<size_t>(std::lower_bound(names.begin(), names.end(), name) - names.begin());
  };
  Adjacency adj(names.size());
  for (const auto& e : edges) adj[index_of(e.from)].push_back({index_of(e.to), e.kind});
  for (auto& links : adj) {
    std::stable_sort(links.begin(), links.end(), [](const Link& x, const Link& y) {
      if (x.to != y.to) return x.to < y.to;
      return x.kind == "depends_on" && y.kind != "depends_on";
    });
    links.erase(std::unique(links.begin(), links.end(), [](const Link& x, const Link& y) { return x.to == y.to; }),
                links.end());
  }
  return adj;
}

// Tarjan's strongly connected components over the services flagged in
// `nodes`, written with an explicit stack: a hostile file can chain thousands
// of services, and recursion that deep would overflow the thread's stack.
std::vector<std::vector<size_t>> strongly_connected(const Adjacency& adj, const std::vector<bool>& nodes) {
  constexpr size_t kUnvisited = SIZE_MAX;
  std::vector<size_t> index(adj.size(), kUnvisited), low(adj.size(), 0);
  std::vector<bool> on_stack(adj.size(), false);
  std::vector<size_t> stack;
  std::vector<std::vector<size_t>> components;
  size_t counter = 0;
  struct Frame {
    size_t v;
    size_t next;  // the next of v's links to look at
  };
  std::vector<Frame> frames;
  auto enter = [&](size_t v) {
    index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack[v] = true;
    frames.push_back({v, 0});
  };
  for (size_t root = 0; root < adj.size(); ++root) {
    if (!nodes[root] || index[root] != kUnvisited) continue;
    enter(root);
    while (!frames.empty()) {
      size_t v = frames.back().v;
      if (frames.back().next < adj[v].size()) {
        size_t w = adj[v][frames.back().next++].to;
        if (!nodes[w]) continue;
        if (index[w] == kUnvisited)
          enter(w);
        else if (on_stack[w])
          low[v] = std::min(low[v], index[w]);
        continue;
      }
      if (low[v] == index[v]) {
        std::vector<size_t> component;
        size_t w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component.push_back(w);
        } while (w != v);
        components.push_back(std::move(component));
      }
      frames.pop_back();
      if (!frames.empty()) low[frames.back().v] = std::min(low[frames.back().v], low[v]);
    }
  }
  return components;
}

// Names one actual cycle among `remaining` (services Kahn could not place).
// Starts at the alphabetically smallest service on any cycle and takes the
// shortest way back to it, so the message is the same on every run.
std::string describe_cycle(const std::vector<std::string>& names, const Adjacency& adj,
                           const std::vector<bool>& remaining) {
  auto self_loop = [&](size_t v) {
    return std::any_of(adj[v].begin(), adj[v].end(), [&](const Link& l) { return l.to == v; });
  };
  size_t start = SIZE_MAX;
  std::vector<bool> component(adj.size(), false);
  for (auto& c : strongly_connected(adj, remaining)) {
    if (c.size() == 1 && !self_loop(c.front())) continue;
    size_t smallest = *std::min_element(c.begin(), c.end());
    if (smallest < start) {
      start = smallest;
      std::fill(component.begin(), component.end(), false);
      for (size_t v : c) component[v] = true;
    }
  }
  if (start == SIZE_MAX) return "dependency cycle";  // unreachable: Kahn left services, so a cycle exists

  // Breadth-first from start inside its component, back to start.
  std::vector<size_t> parent(adj.size(), SIZE_MAX);
  std::deque<size_t> queue{start};
  size_t last = SIZE_MAX;
  while (!queue.empty() && last == SIZE_MAX) {
    size_t v = queue.front();
    queue.pop_front();
    for (const Link& l : adj[v]) {
      if (l.to == start) {
        last = v;
        break;
      }
      if (!component[l.to] || parent[l.to] != SIZE_MAX) continue;
      parent[l.to] = v;
      queue.push_back(l.to);
    }
  }
  std::vector<size_t> path{start};
  for (size_t v = last; v != start; v = parent[v]) path.push_back(v);
  path.push_back(start);
  std::reverse(path.begin(), path.end());

  std::string chain;
  std::string other_kinds;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) chain += " -> ";
    chain += names[path[i]];
    if (i + 1 == path.size()) break;
    auto link =
        std::find_if(adj[path[i]].begin(), adj[path[i]].end(), [&](const Link& l) { return l.to == path[i + 1]; });
    if (link->kind == "depends_on") continue;
    other_kinds += other_kinds.empty() ? "" : ", ";
    other_kinds += names[path[i]] + " -> " + names[path[i + 1]] + " via " + std::string(link->kind);
  }
  if (other_kinds.empty()) return "depends_on cycle: " + chain;
  return "dependency cycle: " + chain + " (" + other_kinds + ")";
}

}  // namespace

std::string_view edge_verb(std::string_view kind) {
  if (kind == "network_mode") return "uses the network of";
  if (kind == "volumes_from") return "mounts volumes from";
  if (kind == "links") return "links to";
  if (kind == "ipc") return "shares the IPC namespace of";
  if (kind == "pid") return "shares the PID namespace of";
  return "depends on";
}

std::vector<DependencyEdge> dependency_edges(const Project& project) {
  std::vector<DependencyEdge> edges;
  for (const auto& [name, svc] : project.services) {
    auto add = [&](std::string to, std::string kind, bool required, const Mark& mark) {
      if (to.empty()) return;
      edges.push_back({name, std::move(to), std::move(kind), required, mark});
    };
    for (const auto& [dep, how] : svc.depends_on) add(dep, "depends_on", how.required, how.mark);
    add(service_reference(svc.network_mode), "network_mode", true, svc.mark);
    for (const auto& entry : svc.volumes_from) add(volumes_from_service(entry), "volumes_from", true, svc.mark);
    for (const auto& link : svc.links) add(link.substr(0, link.find(':')), "links", true, svc.mark);
    add(service_reference(svc.ipc), "ipc", true, svc.mark);
    add(service_reference(svc.pid), "pid", true, svc.mark);
  }
  return edges;
}

Result<ServiceGraph> ServiceGraph::build(const std::vector<std::string>& services,
                                         const std::vector<DependencyEdge>& edges) {
  ServiceGraph graph;
  std::set<std::string> known(services.begin(), services.end());
  graph.services_.assign(known.begin(), known.end());

  for (const auto& e : edges) {
    // Edges of services outside the graph (e.g. ones a sub-graph left out)
    // order nothing here.
    if (!known.contains(e.from)) continue;
    if (!known.contains(e.to)) {
      // compose drops an optional dependency on a service that is not there.
      if (e.kind == "depends_on" && !e.required) continue;
      std::string message =
          "service `" + e.from + "` " + std::string(edge_verb(e.kind)) + " undefined service `" + e.to + "`";
      return fail(with_mark(Error(std::move(message)), e.mark));
    }
    graph.edges_.push_back(e);
  }

  // Kahn's algorithm, one level at a time.
  const auto& names = graph.services_;
  Adjacency adj = adjacency(names, graph.edges_);
  std::vector<size_t> pending(names.size());  // unplaced dependencies per service
  std::vector<std::vector<size_t>> needed_by(names.size());
  for (size_t v = 0; v < adj.size(); ++v) {
    pending[v] = adj[v].size();
    for (const Link& l : adj[v]) needed_by[l.to].push_back(v);
  }
  std::vector<size_t> ready;
  for (size_t v = 0; v < names.size(); ++v)
    if (pending[v] == 0) ready.push_back(v);
  size_t placed = 0;
  while (!ready.empty()) {
    std::sort(ready.begin(), ready.end());  // index order is name order
    std::vector<size_t> next;
    std::vector<std::string> level;
    for (size_t v : ready) {
      level.push_back(names[v]);
      for (size_t dependent : needed_by[v])
        if (--pending[dependent] == 0) next.push_back(dependent);
    }
    placed += ready.size();
    graph.levels_.push_back(std::move(level));
    ready = std::move(next);
  }

  if (placed != names.size()) {
    std::vector<bool> remaining(names.size());
    for (size_t v = 0; v < names.size(); ++v) remaining[v] = pending[v] > 0;
    return fail(describe_cycle(names, adj, remaining));
  }
  return graph;
}

Result<ServiceGraph> ServiceGraph::build(const Project& project) {
  return build(project.service_names(), dependency_edges(project));
}

std::vector<std::vector<std::string>> ServiceGraph::stop_levels() const { return {levels_.rbegin(), levels_.rend()}; }

Result<ServiceGraph> ServiceGraph::subgraph(const std::vector<std::string>& selected, bool no_deps) const {
  std::set<std::string> keep;
  std::vector<std::string> todo;
  for (const auto& s : selected) {
    if (!std::binary_search(services_.begin(), services_.end(), s)) return fail("no such service: " + s);
    if (keep.insert(s).second) todo.push_back(s);
  }
  while (!no_deps && !todo.empty()) {
    std::string s = std::move(todo.back());
    todo.pop_back();
    for (auto& dep : dependencies(s))
      if (keep.insert(dep).second) todo.push_back(std::move(dep));
  }
  // Edges between two kept services still order them, even with no_deps:
  // `up --no-deps web db` starts db first when web needs it.
  std::vector<DependencyEdge> kept_edges;
  for (const auto& e : edges_)
    if (keep.contains(e.from) && keep.contains(e.to)) kept_edges.push_back(e);
  return build({keep.begin(), keep.end()}, kept_edges);
}

std::vector<std::string> ServiceGraph::dependencies(const std::string& service) const {
  std::set<std::string> out;
  for (const auto& e : edges_)
    if (e.from == service) out.insert(e.to);
  return {out.begin(), out.end()};
}

std::vector<std::string> ServiceGraph::dependents(const std::string& service) const {
  std::set<std::string> out;
  for (const auto& e : edges_)
    if (e.to == service) out.insert(e.from);
  return {out.begin(), out.end()};
}

}  // namespace brick::compose
