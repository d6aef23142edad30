#include "engine/container_request.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include "base/file.hpp"
#include "engine/spec_options.hpp"
#include "runtime/capabilities.hpp"

namespace brick::engine {

namespace {

// runc's apparmor.IsEnabled: the module says so.
bool apparmor_enabled() {
  auto text = read_file("/sys/module/apparmor/parameters/enabled");
  return text && text->starts_with('Y');
}

// go-selinux's GetEnabled, near enough: selinuxfs is there to ask.
bool selinux_enabled() { return ::access("/sys/fs/selinux/enforce", F_OK) == 0; }

uint64_t bounding_set() {
  uint64_t mask = 0;
  for (int cap = 0; cap <= runtime::last_capability() && cap < 64; ++cap)
    if (::prctl(PR_CAPBSET_READ, cap) == 1) mask |= uint64_t{1} << cap;
  return mask;
}

}  // namespace

HostFacts host_facts() {
  static const HostFacts facts = [] {
    HostFacts f;
    f.hard_limits = host_hard_limits();
    f.bounding = bounding_set();
    f.apparmor = apparmor_enabled();
    f.selinux = selinux_enabled();
    return f;
  }();
  return facts;
}

Result<std::vector<std::string>> apply_request(runtime::ContainerSpec& spec, const ContainerRequest& request,
                                               const std::vector<std::string>& image_env, const HostFacts& host) {
  with_environment(spec, image_env, request);
  with_user(spec, request.user);
  BRICK_TRY(with_ulimits(spec, request.ulimits, host.hard_limits));
  BRICK_TRY(with_capabilities(spec, request, host));
  if (request.privileged) with_privileged(spec);
  BRICK_TRY(with_resources(spec, request.resources));
  std::vector<std::string> warnings = BRICK_TRY(with_security_opts(spec, request, host));
  spec.root.readonly = request.read_only;
  return warnings;
}

}  // namespace brick::engine
