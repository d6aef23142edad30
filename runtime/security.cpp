#include "runtime/security.hpp"

#include <sys/stat.h>

#include "base/file.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/seccomp.hpp"

namespace brick::runtime {

namespace {

// docker accepts both "key=value" and the older "key:value".
std::pair<std::string, std::string> split_option(const std::string& option) {
  size_t pos = option.find_first_of("=:");
  if (pos == std::string::npos) return {option, ""};
  return {option.substr(0, pos), option.substr(pos + 1)};
}

// The network namespace a spec joins by path (`container:NAME`, a compose
// `service:X`) is the host's when NAME itself runs with host networking:
// the joined file is then the same namespace as the one brick runs in.
bool joins_callers_netns(const ContainerSpec& spec) {
  for (const Namespace& ns : spec.linux.namespaces) {
    if (ns.type != "network" || ns.path.empty()) continue;
    struct stat joined {};
    struct stat mine {};
    if (::stat(ns.path.c_str(), &joined) != 0 || ::stat("/proc/self/ns/net", &mine) != 0) return false;
    return joined.st_dev == mine.st_dev && joined.st_ino == mine.st_ino;
  }
  return false;
}

}  // namespace

Status apply_security_options(ContainerSpec& spec, const SecurityOptions& options) {
  CapabilityOptions caps_options{options.cap_add, options.cap_drop, options.privileged};
  std::vector<std::string> caps = BRICK_TRY(effective_capabilities(caps_options));
  spec.process.capabilities.bounding = caps;
  spec.process.capabilities.effective = caps;
  spec.process.capabilities.permitted = caps;
  spec.process.capabilities.inheritable.clear();
  spec.process.capabilities.ambient.clear();

  std::optional<Seccomp> seccomp = default_seccomp(caps);
  if (options.privileged) {
    seccomp.reset();
    spec.linux.masked_paths.clear();
    spec.linux.readonly_paths.clear();
  }
  for (const std::string& option : options.security_opt) {
    auto [key, value] = split_option(option);
    if (key == "seccomp") {
      if (value.empty()) return fail("security_opt `" + option + "`: seccomp needs `unconfined` or a profile file");
      if (value == "unconfined") {
        seccomp.reset();
      } else if (!options.privileged) {  // docker ignores a profile for a privileged container
        std::string text = BRICK_TRY_CTX(read_file(value), "security_opt `" + option + "`");
        seccomp = BRICK_TRY_CTX(parse_docker_seccomp_profile(text, caps), "security_opt `" + option + "`");
      }
    } else if (key == "no-new-privileges") {
      if (value.empty() || value == "true")
        spec.process.no_new_privileges = true;
      else if (value == "false")
        spec.process.no_new_privileges = false;
      else
        return fail("security_opt `" + option + "`: no-new-privileges takes true or false");
    } else if (key == "apparmor" || key == "label") {
      if (value != "unconfined" && value != "disable")
        return fail("security_opt `" + option + "`: brick does not manage " + key + " profiles");
    } else {
      return fail("security_opt `" + option + "` is not supported");
    }
  }
  spec.linux.seccomp = std::move(seccomp);
  return {};
}

Status check_sysctl(const ContainerSpec& spec, std::string_view key) {
  auto refuse = [&](const std::string& why) { return fail("sysctl `" + std::string(key) + "` " + why); };
  static constexpr std::string_view kIpc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                              "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                              "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (std::string_view name : kIpc)
    if (key == name) return spec.has_namespace("ipc") ? Status{} : refuse("needs the container's own ipc namespace");
  if (key.starts_with("fs.mqueue."))
    return spec.has_namespace("ipc") ? Status{} : refuse("needs the container's own ipc namespace");
  if (key.starts_with("net.")) {
    if (!spec.has_namespace("network")) return refuse("needs the container's own network namespace");
    if (joins_callers_netns(spec))
      return refuse("needs the container's own network namespace: the one it joins is the host's");
    return {};
  }
  if (key == "kernel.hostname" || key == "kernel.domainname")
    return spec.has_namespace("uts") ? Status{} : refuse("needs the container's own uts namespace");
  return refuse("is not namespaced: setting it would change the host");
}

}  // namespace brick::runtime
