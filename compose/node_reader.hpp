// Typed reads over the untyped Node tree for parse_project. Every getter
// reports a wrong value to Diagnostics (with the value's mark and key path)
// and returns nullopt/empty, so parsing goes on and the user sees every
// problem in one run. Private to compose/.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compose/diagnostics.hpp"
#include "compose/node.hpp"
#include "compose/project.hpp"

namespace brick::compose {

// "services" + "web" → "services.web"; "" + "services" → "services".
std::string key_path(const std::string& parent, std::string_view key);
// "services.web.ports" + 1 → "services.web.ports[1]".
std::string index_path(const std::string& parent, size_t index);

// One known key of a mapping and what to do with its value.
struct Field {
  std::string_view key;
  std::function<void(const Node& value, const std::string& path)> handle;
};

class Reader {
 public:
  explicit Reader(Diagnostics& diags) : diags_(diags) {}

  Diagnostics& diags() { return diags_; }
  void error(const Mark& mark, const std::string& path, std::string message) {
    diags_.error(mark, path, std::move(message));
  }
  void warning(const Mark& mark, const std::string& path, std::string message) {
    diags_.warning(mark, path, std::move(message));
  }

  // Reports (and returns false) when `n` is not a mapping / sequence.
  bool expect_mapping(const Node& n, const std::string& path);
  bool expect_sequence(const Node& n, const std::string& path);

  // Calls each entry's Field handler; `x-*` keys are extensions and skipped;
  // any other key is an error with a did-you-mean suggestion.
  void dispatch(const Node& map, const std::string& path, const std::vector<Field>& fields);
  void unknown_key(const Entry& entry, const std::string& path, const std::vector<std::string>& known);

  // Scalars. Null means "not set" and yields nullopt without an error.
  std::optional<std::string> str(const Node& n, const std::string& path);
  // true/false in any case (YAML 1.2; quoted too, since interpolation makes
  // strings and compose casts them). yes/no/on/off are rejected with a hint.
  std::optional<bool> boolean(const Node& n, const std::string& path);
  std::optional<int64_t> integer(const Node& n, const std::string& path);
  std::optional<uint64_t> uinteger(const Node& n, const std::string& path);
  std::optional<double> number(const Node& n, const std::string& path);
  // A byte size: a YAML integer (bytes) or a string like "512m".
  std::optional<int64_t> bytes(const Node& n, const std::string& path);
  std::optional<Duration> duration(const Node& n, const std::string& path);
  std::optional<double> cpus(const Node& n, const std::string& path);
  // A file mode: a plain YAML number is its value (0440 is YAML octal), a
  // quoted string is octal, as in chmod, as compose-go reads them.
  std::optional<uint32_t> file_mode(const Node& n, const std::string& path);

  // A sequence of scalars.
  std::vector<std::string> string_list(const Node& n, const std::string& path);
  // A scalar (one element) or a sequence of scalars.
  std::vector<std::string> string_or_list(const Node& n, const std::string& path);
  // `["K=V", "K"]` or `{K: V, K: ~}`; a key without value maps to nullopt.
  OptionalStringMap list_or_dict(const Node& n, const std::string& path);
  // As list_or_dict, with a missing value read as "" (labels, sysctls).
  StringMap string_map(const Node& n, const std::string& path);

 private:
  Diagnostics& diags_;
};

// Splits a command line as compose-go does (mattn/go-shellwords): blanks
// separate words, single quotes are literal, double quotes and backslashes
// escape. Fails on an unterminated quote.
Result<std::vector<std::string>> split_shell_words(std::string_view text);

}  // namespace brick::compose
