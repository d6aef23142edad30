// Narrowing a loaded Project the way docker compose does before printing or
// running it.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "compose/project.hpp"

namespace brick::cli {

// Keeps `names` and every service they depend on (transitively); an empty
// list keeps all. Fails with `no such service: X` for an unknown name.
Status select_services(compose::Project& project, const std::vector<std::string>& names);

// Drops networks, volumes, secrets and configs no service uses, as compose's
// WithoutUnnecessaryResources does.
void drop_unused_resources(compose::Project& project);

// Service names with each service after the ones it depends on, ties in name
// order: the order `config --services` prints.
std::vector<std::string> dependency_order(const compose::Project& project);

}  // namespace brick::cli
