// The process part of a request: environment, user and resource limits.
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>

#include "base/strings.hpp"
#include "engine/spec_options.hpp"
#include "runtime/rlimits.hpp"

namespace brick::engine {

namespace {

constexpr std::string_view kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<int64_t> parse_limit(const std::string& text) {
  if (text.empty() || text.find_first_not_of("-0123456789") != std::string::npos || text.size() > 19)
    return fail("invalid ulimit: '" + text + "'");
  try {
    return std::stoll(text);
  } catch (...) {
    return fail("invalid ulimit: '" + text + "'");
  }
}

// docker reads -1 as "unlimited" (it becomes RLIM_INFINITY as a uint64).
uint64_t as_rlim(int64_t value) { return value < 0 ? RLIM_INFINITY : static_cast<uint64_t>(value); }

}  // namespace

void with_environment(runtime::ContainerSpec& spec, const std::vector<std::string>& image_env,
                      const ContainerRequest& request) {
  std::string path(kDefaultPath);
  for (const std::string& e : spec.process.env)
    if (e.starts_with("PATH=")) path = e;
  std::vector<std::string> env = {path};
  if (!request.hostname.empty()) env.push_back("HOSTNAME=" + request.hostname);
  if (request.tty) env.push_back("TERM=xterm");
  for (const std::string& e : image_env) set_env(env, e);
  for (const std::string& e : request.env) set_env(env, e);
  spec.process.env = std::move(env);
}

std::vector<std::string> process_args(const std::vector<std::string>& image_entrypoint,
                                      const std::vector<std::string>& image_cmd, const ContainerRequest& request) {
  std::optional<std::vector<std::string>> entrypoint = request.entrypoint;
  std::vector<std::string> cmd = request.cmd.value_or(std::vector<std::string>{});
  if (!entrypoint || entrypoint->empty()) {
    if (cmd.empty()) cmd = image_cmd;
    if (!entrypoint) entrypoint = image_entrypoint;
  }
  if (entrypoint->size() == 1 && entrypoint->front().empty()) entrypoint->clear();
  std::vector<std::string> args = std::move(*entrypoint);
  args.insert(args.end(), cmd.begin(), cmd.end());
  return args;
}

Status with_working_dir(runtime::ContainerSpec& spec, const std::string& image_working_dir,
                        const ContainerRequest& request) {
  std::string cwd = !request.working_dir.empty() ? request.working_dir
                    : !image_working_dir.empty() ? image_working_dir
                                                 : "/";
  if (!cwd.starts_with('/'))
    return fail("the working directory '" + cwd + "' is invalid, it needs to be an absolute path");
  spec.process.cwd = std::move(cwd);
  return {};
}

void with_user(runtime::ContainerSpec& spec, const std::string& user) {
  auto parts = split(user, ':');
  if (parts.empty() || parts.size() > 2 || !all_digits(parts[0]) || parts[0].size() > 10) return;
  if (parts.size() == 2 && (!all_digits(parts[1]) || parts[1].size() > 10)) return;
  if (std::stoull(parts[0]) > std::numeric_limits<uint32_t>::max()) return;
  if (parts.size() == 2 && std::stoull(parts[1]) > std::numeric_limits<uint32_t>::max()) return;
  spec.process.user.uid = static_cast<uint32_t>(std::stoul(parts[0]));
  if (parts.size() == 2) spec.process.user.gid = static_cast<uint32_t>(std::stoul(parts[1]));
}

Status with_ulimits(runtime::ContainerSpec& spec, const std::vector<Ulimit>& ulimits, const HardLimits& hard_limits) {
  for (const Ulimit& u : ulimits) {
    const std::string what = "ulimits." + u.name;
    const runtime::RlimitName* known = runtime::rlimit_by_docker_name(u.name);
    if (!known) return fail(what + ": unknown resource `" + u.name + "`");
    if (u.soft < -1 || u.hard < -1) return fail(what + ": a limit cannot be negative (-1 is unlimited)");
    if (as_rlim(u.soft) > as_rlim(u.hard))
      return fail(what + ": soft limit " + std::to_string(u.soft) + " is above the hard limit " +
                  std::to_string(u.hard));
    const std::string type(known->spec);
    auto cap = hard_limits.find(type);
    if (cap != hard_limits.end() && as_rlim(u.hard) > cap->second)
      return fail(what + ": " + std::to_string(u.hard) + " is above brick's own hard limit " +
                  std::to_string(cap->second) + " (raising it needs CAP_SYS_RESOURCE)");
    std::erase_if(spec.process.rlimits, [&](const runtime::Rlimit& r) { return r.type == type; });
    spec.process.rlimits.push_back({type, as_rlim(u.hard), as_rlim(u.soft)});
  }
  return {};
}

Result<Ulimit> parse_ulimit(std::string_view text_view) {
  const std::string text(text_view);
  size_t eq = text.find('=');
  if (eq == std::string::npos) return fail("invalid ulimit argument: " + text);
  std::string name = to_lower(text.substr(0, eq));
  if (!runtime::rlimit_by_docker_name(name)) return fail("invalid ulimit type: " + text.substr(0, eq));
  std::string values = text.substr(eq + 1);
  size_t colon = values.find(':');
  int64_t soft = BRICK_TRY(parse_limit(values.substr(0, colon)));
  int64_t hard = colon == std::string::npos ? soft : BRICK_TRY(parse_limit(values.substr(colon + 1)));
  if (as_rlim(soft) > as_rlim(hard)) return fail("ulimit soft limit must be less than or equal to hard limit: " + text);
  return Ulimit{name, soft, hard};
}

HardLimits host_hard_limits() {
  HardLimits out;
  for (const runtime::RlimitName& r : runtime::rlimit_names()) {
    struct rlimit rl {};
    if (::getrlimit(static_cast<__rlimit_resource>(r.resource), &rl) == 0 && rl.rlim_max != RLIM_INFINITY)
      out[std::string(r.spec)] = rl.rlim_max;
  }
  return out;
}

}  // namespace brick::engine
