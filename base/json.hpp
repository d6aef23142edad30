// Reading the optional members of a JSON record the way every reader in
// brick does: a missing or null key leaves `out` as it was (its default).
// nlohmann's own exceptions (a present key of the wrong type) still throw;
// callers catch them at their parse_* edge.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

namespace brick {

template <class T>
void json_read(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) it->get_to(out);
}

template <class T>
void json_read(const nlohmann::json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = it->get<T>();
}

}  // namespace brick
