// The untyped document tree every compose stage works on before the typed
// Project exists: what yaml-cpp parsed, with anchors, aliases and merge keys
// already expanded, and every node and key remembering where it came from.
//
// Loading, interpolation, merging, extends and include all transform Node
// trees; validation then turns the final tree into a typed Project.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace brick::compose {

// A position in a source file; line and column are 1-based, 0 when unknown
// (e.g. a value that came from the command line).
struct Mark {
  std::shared_ptr<const std::string> file;
  int line = 0;
  int column = 0;

  // "compose.yaml:14:9", or just the file, or "" when nothing is known.
  std::string str() const;
};

struct Entry;

class Node {
 public:
  enum class Kind { Null, Scalar, Sequence, Mapping };

  Kind kind = Kind::Null;
  Mark mark;
  // Scalar text (as written, unquoted); empty for non-scalars.
  std::string scalar;
  // True when the scalar was quoted (single, double, or a block scalar):
  // `"8080"` is a string, plain `8080` may be read as a number or bool.
  bool quoted = false;
  // The explicit YAML tag, e.g. "!reset" or "!override"; "" when none.
  std::string tag;
  std::vector<Node> items;     // Sequence
  std::vector<Entry> entries;  // Mapping, in document order, keys unique

  static Node null(Mark m = {});
  static Node make_scalar(std::string value, Mark m = {}, bool quoted = false);
  static Node sequence(Mark m = {});
  static Node mapping(Mark m = {});

  bool is_null() const { return kind == Kind::Null; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_sequence() const { return kind == Kind::Sequence; }
  bool is_mapping() const { return kind == Kind::Mapping; }

  // Mapping access; nullptr when absent or when this is not a mapping.
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  const Entry* find_entry(std::string_view key) const;
  // Sets (replacing or appending) a mapping entry.
  Node& set(std::string key, Node value, Mark key_mark = {});
  bool erase(std::string_view key);

  // "mapping", "sequence", "string", "null": for error messages.
  std::string_view kind_name() const;
};

struct Entry {
  std::string key;
  Mark key_mark;
  Node value;
};

// Limits that keep hostile input cheap: an alias bomb ("billion laughs")
// fails fast instead of expanding into gigabytes.
struct YamlLimits {
  // A 200-service stack is ~20k nodes; expansion past this is an attack or
  // a mistake, and failing at 500k keeps the worst case well under a second.
  size_t max_nodes = 500'000;
  size_t max_depth = 500;
};

// Parses the first YAML document of a stream (the rest must still be valid
// YAML). `file` names it in marks and errors ("-" for stdin). Anchors, aliases and merge keys (`<<`) are expanded;
// duplicate keys, non-scalar keys and exceeding `limits` are errors naming file:line:col.
Result<Node> parse_yaml(std::string_view text, const std::string& file, const YamlLimits& limits = {});

// Every document of a `---`-separated stream, in order (at least one: an
// empty stream is one null document). `limits` bound the whole stream; marks
// are lines of the file, not of the document.
Result<std::vector<Node>> parse_yaml_documents(std::string_view text, const std::string& file,
                                               const YamlLimits& limits = {});

}  // namespace brick::compose
