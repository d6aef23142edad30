// Small string helpers shared by the modules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace brick {

std::vector<std::string> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string to_lower(std::string_view s);
// Sets `entry` ("KEY=VALUE") in a process environment: replaces the entry of
// the same KEY in place, or appends it (docker's ReplaceOrAppendEnvValues).
void set_env(std::vector<std::string>& env, std::string_view entry);

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);  // with transpositions

// The candidate closest to `word` if it is close enough to be a plausible
// typo (distance <= max(1, len/3)), or "" if none is.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace brick
