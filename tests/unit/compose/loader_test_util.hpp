// Helpers shared by the loader, merge, extends and include tests.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "compose/node.hpp"

namespace brick::compose::testing {

// A canonical one-line rendering of a tree, ignoring marks and quoting, so
// two trees compare as strings and a failure shows both.
inline std::string dump(const Node& n) {
  switch (n.kind) {
    case Node::Kind::Null: return "~";
    case Node::Kind::Scalar: return n.scalar;
    case Node::Kind::Sequence: {
      std::string out = "[";
      for (size_t i = 0; i < n.items.size(); ++i) out += (i ? ", " : "") + dump(n.items[i]);
      return out + "]";
    }
    case Node::Kind::Mapping: {
      std::string out = "{";
      for (size_t i = 0; i < n.entries.size(); ++i)
        out += (i ? ", " : "") + n.entries[i].key + ": " + dump(n.entries[i].value);
      return out + "}";
    }
  }
  return "?";
}

inline Node yaml(std::string_view text) {
  auto n = parse_yaml(text, "test.yaml");
  INFO(text);
  REQUIRE(n.has_value());
  return *n;
}

// Writes `content` to dir/rel, creating parent directories.
inline void write(const std::string& dir, const std::string& rel, std::string_view content) {
  std::filesystem::path p = std::filesystem::path(dir) / rel;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << content;
}

}  // namespace brick::compose::testing
