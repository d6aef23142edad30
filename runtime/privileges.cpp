#include "runtime/privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/seccomp.hpp"

namespace brick::runtime {

Result<PrivilegePlan> plan_privileges(const Process& process, const Linux& linux) {
  PrivilegePlan plan;
  plan.caps = BRICK_TRY(capability_masks(process.capabilities));
  plan.last_cap = last_capability();
  plan.uid = process.user.uid;
  plan.gid = process.user.gid;
  plan.groups.assign(process.user.additional_gids.begin(), process.user.additional_gids.end());
  plan.no_new_privs = process.no_new_privileges;
  if (linux.seccomp) plan.seccomp = BRICK_TRY(compile_seccomp(*linux.seccomp));
  return plan;
}

namespace {

bool load_seccomp(const PrivilegePlan& plan) noexcept {
  if (plan.seccomp.empty()) return true;
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(plan.seccomp.size());
  prog.filter = const_cast<sock_filter*>(plan.seccomp.data());
  return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

bool failed_at(PrivilegeStep* failed, PrivilegeStep step) noexcept {
  *failed = step;
  return false;
}

}  // namespace

bool apply_identity(const PrivilegePlan& plan, PrivilegeStep* failed) noexcept {
  for (int cap = 0; cap <= plan.last_cap; ++cap) {
    if (plan.caps.bounding & (uint64_t{1} << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return failed_at(failed, PrivilegeStep::bounding);
  }
  if (!plan.no_new_privs && !load_seccomp(plan)) return failed_at(failed, PrivilegeStep::seccomp);
  // A uid change away from 0 clears the permitted set unless KEEPCAPS is on.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return failed_at(failed, PrivilegeStep::keep_caps);
  if (::setgroups(plan.groups.size(), plan.groups.data()) < 0) return failed_at(failed, PrivilegeStep::setgroups);
  if (::setresgid(plan.gid, plan.gid, plan.gid) < 0) return failed_at(failed, PrivilegeStep::setgid);
  if (::setresuid(plan.uid, plan.uid, plan.uid) < 0) return failed_at(failed, PrivilegeStep::setuid);
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return failed_at(failed, PrivilegeStep::keep_caps);

  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  __user_cap_data_struct data[2]{};
  auto split = [&](uint64_t mask, __u32 __user_cap_data_struct::*field) {
    data[0].*field = static_cast<__u32>(mask);
    data[1].*field = static_cast<__u32>(mask >> 32);
  };
  split(plan.caps.effective, &__user_cap_data_struct::effective);
  split(plan.caps.permitted, &__user_cap_data_struct::permitted);
  split(plan.caps.inheritable, &__user_cap_data_struct::inheritable);
  if (::syscall(SYS_capset, &header, data) < 0) return failed_at(failed, PrivilegeStep::capset);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return failed_at(failed, PrivilegeStep::ambient);
  for (int cap = 0; cap <= plan.last_cap; ++cap)
    if ((plan.caps.ambient & (uint64_t{1} << cap)) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return failed_at(failed, PrivilegeStep::ambient);
  return true;
}

bool apply_final_privileges(const PrivilegePlan& plan, PrivilegeStep* failed) noexcept {
  if (!plan.no_new_privs) return true;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return failed_at(failed, PrivilegeStep::no_new_privs);
  if (!load_seccomp(plan)) return failed_at(failed, PrivilegeStep::seccomp);
  return true;
}

std::string describe_privilege_step(const PrivilegePlan& plan, PrivilegeStep step) {
  switch (step) {
    case PrivilegeStep::bounding: return "dropping capabilities from the bounding set";
    case PrivilegeStep::keep_caps: return "keeping capabilities across the uid change";
    case PrivilegeStep::setgroups: return "setting additional groups";
    case PrivilegeStep::setgid: return "setting gid " + std::to_string(plan.gid);
    case PrivilegeStep::setuid: return "setting uid " + std::to_string(plan.uid);
    case PrivilegeStep::capset: return "setting capabilities";
    case PrivilegeStep::ambient: return "setting ambient capabilities";
    case PrivilegeStep::no_new_privs: return "setting no_new_privs";
    case PrivilegeStep::seccomp: return "loading the seccomp filter";
  }
  return "an unknown step";
}

}  // namespace brick::runtime
