#include "gpu/edits.hpp"

#include <algorithm>

#include "base/strings.hpp"

namespace brick::gpu {

namespace {
template <class T>
void add_unique(std::vector<T>& into, const std::vector<T>& from) {
  for (const T& item : from)
    if (std::find(into.begin(), into.end(), item) == into.end()) into.push_back(item);
}
}  // namespace

void ContainerEdits::append(const ContainerEdits& other) {
  // A later KEY= replaces an earlier one, as in a process environment.
  for (const std::string& e : other.env) set_env(env, e);
  add_unique(device_nodes, other.device_nodes);
  add_unique(mounts, other.mounts);
  add_unique(hooks, other.hooks);
  add_unique(additional_gids, other.additional_gids);
  add_unique(ldconfig_dirs, other.ldconfig_dirs);
}

bool ContainerEdits::empty() const {
  return env.empty() && device_nodes.empty() && mounts.empty() && hooks.empty() && additional_gids.empty() &&
         ldconfig_dirs.empty();
}

}  // namespace brick::gpu
