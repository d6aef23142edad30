// TEMPORARY: link stubs while the real implementations are written in
// parallel. Each owner deletes their stub from this file.
#include "compose/dotenv.hpp"
#include "compose/graph.hpp"
#include "compose/interpolate.hpp"
#include "compose/loader.hpp"
#include "compose/parse_project.hpp"
#include "compose/profiles.hpp"
#include "compose/serialize.hpp"
#include "compose/units.hpp"

namespace brick::compose {
// [parse_project]
// [profiles]
Status apply_profiles(Project&, const std::vector<std::string>&, const std::vector<std::string>&) { return fail("not implemented"); }
// [graph]
std::vector<DependencyEdge> dependency_edges(const Project&) { return {}; }
Result<ServiceGraph> ServiceGraph::build(const std::vector<std::string>&, const std::vector<DependencyEdge>&) { return fail("not implemented"); }
Result<ServiceGraph> ServiceGraph::build(const Project&) { return fail("not implemented"); }
std::vector<std::vector<std::string>> ServiceGraph::stop_levels() const { return {}; }
Result<ServiceGraph> ServiceGraph::subgraph(const std::vector<std::string>&, bool) const { return fail("not implemented"); }
std::vector<std::string> ServiceGraph::dependencies(const std::string&) const { return {}; }
std::vector<std::string> ServiceGraph::dependents(const std::string&) const { return {}; }
}  // namespace brick::compose
