// A Project printed back as `docker compose config` prints it: the canonical
// long form, as JSON or YAML.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "compose/project.hpp"

namespace brick::compose {

nlohmann::ordered_json to_json(const Project& project);
std::string to_yaml(const nlohmann::ordered_json& value);

}  // namespace brick::compose
