// The resource limits a container may set, by every name brick reads them
// under: docker's and compose's (`nofile`), the OCI spec's (`RLIMIT_NOFILE`)
// and the kernel's number. The one table of them for the whole program.
#pragma once

#include <span>
#include <string_view>

namespace brick::runtime {

struct RlimitName {
  std::string_view docker;  // "nofile", as `--ulimit` and compose's `ulimits` write it
  std::string_view spec;    // "RLIMIT_NOFILE", as ContainerSpec's process.rlimits
  int resource;             // RLIMIT_NOFILE
};

// Every resource setrlimit(2) knows, in docker's (go-units') order.
std::span<const RlimitName> rlimit_names();

// nullptr for a name that is not one of them (matched exactly: the spec's
// names are upper case, docker's lower).
const RlimitName* rlimit_by_docker_name(std::string_view name);
const RlimitName* rlimit_by_spec_name(std::string_view name);

}  // namespace brick::runtime
