// compose/docker's privilege options applied to a ContainerSpec: what
// `brick run --cap-add/--cap-drop/--privileged/--security-opt` and compose's
// cap_add, cap_drop, privileged and security_opt turn into.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

struct SecurityOptions {
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  bool privileged = false;
  // "seccomp=unconfined", "seccomp=/path/profile.json" (or `seccomp:`),
  // "no-new-privileges[=|:true|false]", "apparmor=..." / "label=..." (no LSM
  // is managed by brick: accepted only as "unconfined"/"disable").
  std::vector<std::string> security_opt;
};

// Sets the capability sets (docker's rules, see effective_capabilities), the
// seccomp filter (docker's default for the resulting capabilities unless
// security_opt names another or unconfined) and no_new_privileges. Like
// docker, privileged also drops the filter and the masked and read-only
// paths (the cgroup device list is the caller's: allow all). A seccomp
// profile file is read here, on the host.
Status apply_security_options(ContainerSpec& spec, const SecurityOptions& options);

// A sysctl may only change the container's own namespaces (docker's rule):
// net.* with a network namespace, kernel.msg*/sem/shm*/fs.mqueue.* with an
// ipc namespace, kernel.hostname/domainname with a uts namespace. Anything
// else would reach the host and is refused with a message naming it.
Status check_sysctl(const ContainerSpec& spec, std::string_view key);

}  // namespace brick::runtime
