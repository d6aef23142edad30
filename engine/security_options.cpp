// The security part of a request: capabilities, privileged, security_opt
// and the seccomp filter that follows from them.
#include <algorithm>
#include <optional>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/spec_options.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/seccomp.hpp"

namespace brick::engine {

namespace {

bool is_all(const std::string& name) {
  std::string lower = to_lower(name);
  return lower == "all" || lower == "cap_all";
}

// moby's parseSecurityOpt: `key=value`, or the older `key:value` when there
// is no `=`.
std::pair<std::string, std::string> split_option(const std::string& option) {
  size_t pos = option.find('=');
  if (pos == std::string::npos) pos = option.find(':');
  if (pos == std::string::npos) return {option, ""};
  return {option.substr(0, pos), option.substr(pos + 1)};
}

// Go's strconv.ParseBool, which docker reads no-new-privileges with.
std::optional<bool> parse_bool(const std::string& text) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
    if (text == t) return true;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
    if (text == f) return false;
  return std::nullopt;
}

// What `seccomp=` asks for; none of them: docker's default profile.
struct SeccompChoice {
  bool unconfined = false;
  std::optional<runtime::Seccomp> profile;
};

Result<runtime::Seccomp> read_profile(const std::string& option, const std::string& file, const std::string& dir,
                                      const std::vector<std::string>& caps) {
  std::string path = file;
  if (!path.starts_with('/') && !dir.empty()) path = dir + "/" + path;
  std::string text = BRICK_TRY_CTX(read_file(path), "security_opt `" + option + "`");
  return BRICK_TRY_CTX(runtime::parse_docker_seccomp_profile(text, caps),
                       "security_opt `" + option + "`: `" + path + "`");
}

}  // namespace

Status with_capabilities(runtime::ContainerSpec& spec, const ContainerRequest& request, const HostFacts& host) {
  runtime::CapabilityOptions options{request.cap_add, request.cap_drop, request.privileged};
  std::vector<std::string> caps = BRICK_TRY(runtime::effective_capabilities(options));
  // "Every capability" is every one this process can hand on (podman's
  // rule): asking the kernel for one outside the bounding set fails the start.
  if (request.privileged || std::ranges::any_of(request.cap_add, is_all)) {
    std::erase_if(caps, [&](const std::string& name) {
      auto mask = runtime::capability_mask({name});
      return !mask || (*mask & host.bounding) == 0;
    });
  }
  spec.process.capabilities.bounding = caps;
  spec.process.capabilities.effective = caps;
  spec.process.capabilities.permitted = caps;
  spec.process.capabilities.inheritable.clear();
  spec.process.capabilities.ambient.clear();
  return {};
}

void with_privileged(runtime::ContainerSpec& spec) {
  spec.linux.resources.devices = {runtime::DeviceRule{true, 'a', -1, -1, "rwm"}};
  spec.linux.masked_paths.clear();
  spec.linux.readonly_paths.clear();
  for (runtime::Mount& m : spec.mounts)
    if (m.destination == "/sys") std::erase(m.options, "ro");
}

Result<std::vector<std::string>> with_security_opts(runtime::ContainerSpec& spec, const ContainerRequest& request,
                                                    const HostFacts& host) {
  std::vector<std::string> warnings;
  const std::vector<std::string>& caps = spec.process.capabilities.bounding;
  SeccompChoice seccomp;
  for (const std::string& option : request.security_opt) {
    auto refuse = [&](const std::string& why) {
      std::string message = "security_opt `";
      message += option;
      message += "`: ";
      message += why;
      return fail(std::move(message));
    };
    // docker's bare forms.
    if (option == "no-new-privileges") {
      spec.process.no_new_privileges = true;
      continue;
    }
    if (option == "disable") continue;  // label=disable: brick applies no SELinux label
    auto [key, value] = split_option(option);
    if (key == "seccomp") {
      if (value.empty()) return refuse("seccomp needs `unconfined`, `builtin` or a profile file");
      if (value == "unconfined") {
        seccomp = {true, std::nullopt};
      } else if (value == "builtin") {
        seccomp = {};
      } else {
        // Read and checked even for a privileged container, as docker's
        // client reads it before the daemon drops it.
        seccomp = {false, BRICK_TRY(read_profile(option, value, request.security_opt_dir, caps))};
      }
    } else if (key == "no-new-privileges") {
      std::optional<bool> on = value.empty() ? std::optional<bool>(true) : parse_bool(value);
      if (!on) return refuse("no-new-privileges takes true or false");
      spec.process.no_new_privileges = *on;
    } else if (key == "apparmor") {
      if (value.empty()) return refuse("apparmor needs a profile name");
      if (value == "unconfined") continue;  // what brick gives every container
      // docker applies a profile only where AppArmor is enabled
      // (saveAppArmorConfig); brick never loads one.
      if (host.apparmor)
        return refuse(
            "AppArmor is enabled on this host and brick does not apply AppArmor profiles (only `unconfined`)");
      warnings.push_back("security_opt `" + option +
                         "`: AppArmor is not enabled on this host, so the profile is not applied (as docker)");
    } else if (key == "label") {
      if (value.empty()) return refuse("label needs a value");
      if (value == "disable") continue;
      // docker's SELinux labels are a no-op where SELinux is disabled.
      if (host.selinux)
        return refuse("SELinux is enabled on this host and brick does not apply SELinux labels (only `disable`)");
      warnings.push_back("security_opt `" + option +
                         "`: SELinux is not enabled on this host, so the label is not applied (as docker)");
    } else if (key == "systempaths") {
      if (value != "unconfined") return refuse("systempaths takes only `unconfined`");
      spec.linux.masked_paths.clear();
      spec.linux.readonly_paths.clear();
    } else {
      return fail("security_opt `" + option + "` is not supported");
    }
  }
  // docker's WithSeccomp: none when unconfined or privileged, else the
  // profile asked for, else the default one for these capabilities.
  if (seccomp.unconfined || request.privileged)
    spec.linux.seccomp.reset();
  else if (seccomp.profile)
    spec.linux.seccomp = std::move(seccomp.profile);
  else
    spec.linux.seccomp = runtime::default_seccomp(caps);
  return warnings;
}

}  // namespace brick::engine
