// `.env` files and service `env_file:` files, parsed as docker compose does
// (comments, quotes, `export` prefix, multi-line double-quoted values,
// interpolation of earlier keys and the environment).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "compose/node.hpp"
#include "compose/project.hpp"

namespace brick::compose {

struct DotenvEntry {
  std::string key;
  // nullopt for a bare `KEY` line whose variable is not set in `lookup`.
  std::optional<std::string> value;
  Mark mark;
};

// Parses dotenv text. `file_name` names it in errors (`FILE:LINE: ...`).
// `lookup` supplies variables for `${VAR}` in unquoted and double-quoted
// values (entries defined earlier in the same file win over it).
Result<std::vector<DotenvEntry>> parse_dotenv(std::string_view text, const std::string& file_name,
                                              const StringMap& lookup);

// Reads and parses a file; entries later in the file override earlier ones.
Result<StringMap> read_dotenv_file(const std::string& path, const StringMap& lookup);

}  // namespace brick::compose
