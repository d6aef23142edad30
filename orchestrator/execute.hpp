// Carries out a Plan (plan.hpp): networks and volumes first, orphans removed,
// then one task per service, in parallel up to a limit, each waiting for the
// services it depends on and for their depends_on conditions before it
// starts. A service that fails leaves its dependents unstarted; what already
// runs keeps running.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/file.hpp"
#include "compose/project.hpp"
#include "orchestrator/plan.hpp"

namespace brick::orchestrator {

// One line of progress: `Container demo-web-1  Started`.
struct Event {
  std::string kind;    // Network, Volume, Container
  std::string name;    // as printed: `demo_default`, `"demo_data"`, `demo-web-1`
  std::string status;  // Created, Recreated, Started, Healthy, Exited, Removed, Stopped, Error, ...
  std::string detail;  // why, for Error
};
using Progress = std::function<void(const Event&)>;

struct ExecuteOptions {
  std::string root, run_root;
  std::string monitor_binary;  // "": this executable (see runtime::StartOptions)
  std::string version;         // for com.docker.compose.version
  size_t parallel = 0;         // container operations at once; 0: no limit
  std::optional<int> timeout;  // -t: seconds to stop a container being recreated or removed
  bool no_deps = false;        // dependencies outside the plan with no container are not waited for
  // -V: a recreated container gets new anonymous volumes; the old ones go
  // with the container they belonged to.
  bool renew_anon_volumes = false;
  // How long a dependent waits for a depends_on condition.
  std::chrono::seconds dependency_timeout = std::chrono::minutes(10);
  Progress progress;  // called from several threads, one event at a time
};

// Fails naming every service that failed and why (`service `init` didn't
// complete successfully: exited with code 1`).
Status execute(const compose::Project& project, const Plan& plan, const ExecuteOptions& options);

// `<run_root>/compose/<project>.lock`, held by up, down and friends for the
// whole operation: two of them on one project serialize.
Result<FileLock> lock_project(const std::string& run_root, const std::string& project);

}  // namespace brick::orchestrator
