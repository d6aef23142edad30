// Profiles: which services are active for this run.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "compose/project.hpp"

namespace brick::compose {

// Keeps in `project.services` the services without profiles, those with an
// enabled profile ("*" enables all) and those named in `named_services`
// (naming one activates it, as `docker compose up SERVICE` does); moves the
// rest to `disabled_services`. A service named that does not exist, or an
// active service that requires (depends_on, required) an inactive one, is an
// error naming both.
Status apply_profiles(Project& project, const std::vector<std::string>& enabled_profiles,
                      const std::vector<std::string>& named_services);

}  // namespace brick::compose
