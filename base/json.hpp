// Reading the optional members of a JSON record the way every reader in
// brick does: a missing or null key leaves `out` as it was (its default).
// nlohmann's own exceptions (a present key of the wrong type) still throw;
// callers catch them at their parse_* edge.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

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

// `j` as text for a record or a reply. The strings in it are the user's and
// the containers' bytes (labels, environment, probe output): what is not
// UTF-8 becomes U+FFFD, where a plain dump() throws type_error 316 (and, on
// a worker thread, ends brick with std::terminate).
template <class Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace brick
