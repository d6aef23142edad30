// OCI hooks (runtime spec config.md "POSIX-platform Hooks", runtime.md
// "Lifecycle"): running a spec's hook with the container's state on its
// stdin. spawn_container runs prestart, createRuntime, createContainer and
// startContainer; the monitor runs poststart and poststop.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

// The state JSON a hook reads (runtime.md "State"): ociVersion, id, status
// ("creating", "created", "running", "stopped"), pid (omitted when 0), bundle.
std::string hook_state(const std::string& oci_version, const std::string& id, std::string_view status, pid_t pid,
                       const std::string& bundle);

// Where a hook runs: the caller's namespaces, or those of the process behind
// `pidfd` named by `ns_flags` (setns; with CLONE_NEWNS the hook's root and
// cwd become that mount namespace's root).
struct HookPlace {
  int pidfd = -1;
  int ns_flags = 0;
};

// Runs `hook`: `path` with `args` (or just `path`) and exactly `env`, the
// state on stdin, its stdout and stderr captured. Fails naming `kind` and the
// path when it cannot run, exits non-zero or dies (with the end of what it
// printed), or outlives its timeout (then it is killed).
Status run_hook(const Hook& hook, std::string_view kind, std::string_view state, HookPlace place = {});

// Each of `hooks` in order, up to the first failure.
Status run_hooks(const std::vector<Hook>& hooks, std::string_view kind, std::string_view state, HookPlace place = {});

}  // namespace brick::runtime
