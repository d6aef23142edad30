// Merging Node trees by the Compose Specification's rules (13-merge.md), as
// docker compose (compose-go override/merge.go) applies them: between the
// files given with -f and between a service and the one it `extends`.
#pragma once

#include <string>
#include <vector>

#include "compose/node.hpp"

namespace brick::compose {

// Merges `over` on top of `base`. `path` is where both sit in the document
// ({} for the root, {"services", "web"} for a service): the exceptions to
// "mappings merge, sequences append, scalars replace" depend on it.
// A `!reset` value in `over` removes the key; `!override` replaces the value
// instead of merging it.
Node merge_nodes(const Node& base, const Node& over, const std::vector<std::string>& path = {});

// Merges an extending service over its base (`extends`), with the same rules.
Node merge_service(const Node& base, const Node& over);

// Once no further merge follows: removes the entries still tagged `!reset`
// and clears `!override` tags, so later stages never see either.
void finalize_tags(Node& node);

// Structural equality, ignoring marks and quoting.
bool same_tree(const Node& a, const Node& b);

}  // namespace brick::compose
