// Capabilities by name (libcap's table, so every capability the kernel knows
// is accepted) and docker's `cap_add` / `cap_drop` / `privileged` rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

// "CAP_CHOWN", "chown" and "cap_chown" all name CAP_CHOWN; "ALL" is not a
// capability here. The result is the spec's spelling ("CAP_CHOWN").
Result<std::string> normalize_capability(std::string_view name);

// The bit mask of `names` (normalized as above); an unknown name is an error.
Result<uint64_t> capability_mask(const std::vector<std::string>& names);

// Every capability this kernel supports, by name, in number order.
const std::vector<std::string>& all_capabilities();

// The highest capability number this kernel supports.
int last_capability();

struct CapabilityOptions {
  std::vector<std::string> add;   // names or "ALL"
  std::vector<std::string> drop;  // names or "ALL"
  bool privileged = false;
};

// docker's rules (moby TweakCapabilities): privileged or `cap_add: [ALL]`
// gives every capability (less cap_drop for ALL); `cap_drop: [ALL]` keeps only
// cap_add; otherwise docker's default set less cap_drop plus cap_add. The
// result goes to the bounding, effective and permitted sets; inheritable and
// ambient stay empty, as docker leaves them for a root process.
Result<std::vector<std::string>> effective_capabilities(const CapabilityOptions& options);

// What a container's process gets, as masks, computed before clone. The
// child applies it with raw syscalls (apply_capabilities in privileges.hpp).
struct CapabilityMasks {
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};
Result<CapabilityMasks> capability_masks(const Capabilities& caps);

}  // namespace brick::runtime
