// What a container's process may do, computed in the parent and applied by
// the child (spawn or exec) with bare syscalls just before execve: the
// capability sets, the ids, no_new_privs and the seccomp program. Nothing
// here allocates or throws on the child's side.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

struct PrivilegePlan {
  CapabilityMasks caps;
  int last_cap = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  bool no_new_privs = false;
  std::vector<sock_filter> seccomp;  // empty: no filter
};

Result<PrivilegePlan> plan_privileges(const Process& process, const Linux& linux);

enum class PrivilegeStep : int {
  bounding,
  keep_caps,
  setgroups,
  setgid,
  setuid,
  capset,
  ambient,
  no_new_privs,
  seccomp,
};

// In the child, while still root with every capability: drops the bounding
// set, changes the ids keeping the permitted capabilities (as runc does),
// sets effective/permitted/inheritable and ambient. Without no_new_privs the
// seccomp filter is loaded first, while CAP_SYS_ADMIN still allows it (the
// filter must then allow the calls that follow, as docker's does). Returns
// false with errno set and *failed naming the step.
bool apply_identity(const PrivilegePlan& plan, PrivilegeStep* failed) noexcept;

// The last step before execve: no_new_privs, then (with it) the filter.
bool apply_final_privileges(const PrivilegePlan& plan, PrivilegeStep* failed) noexcept;

// ``setting uid 1000`` and so on, for the parent's error message.
std::string describe_privilege_step(const PrivilegePlan& plan, PrivilegeStep step);

}  // namespace brick::runtime
