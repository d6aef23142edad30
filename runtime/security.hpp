// Checks on a finished ContainerSpec's security settings. The rules that
// make them (capabilities, seccomp, security_opt, privileged) are
// engine/spec_options.hpp's, the same for `brick run` and compose.
#pragma once

#include <string_view>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

// A sysctl may only change the container's own namespaces (docker's rule):
// net.* with a network namespace, kernel.msg*/sem/shm*/fs.mqueue.* with an
// ipc namespace, kernel.hostname/domainname with a uts namespace. Anything
// else would reach the host and is refused with a message naming it, as is
// a key that is not a name (a `/`, an empty part).
Status check_sysctl(const ContainerSpec& spec, std::string_view key);

}  // namespace brick::runtime
