#include "cli/run_spec.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/spec_options.hpp"

namespace brick::cli {

Status apply_env_flag(std::vector<std::string>& env, const std::string& entry) {
  if (entry.empty() || entry[0] == '=') return fail("invalid environment variable: " + entry);
  size_t eq = entry.find('=');
  std::string key = entry.substr(0, eq);
  std::string full = entry;
  if (eq == std::string::npos) {
    const char* v = ::getenv(key.c_str());
    if (v == nullptr) return {};
    full = key + "=" + v;
  }
  set_env(env, full);
  return {};
}

Result<int64_t> parse_bytes(const std::string& text) {
  std::string s = to_lower(trim(text));
  size_t end = 0;
  double value = 0;
  try {
    value = std::stod(s, &end);
  } catch (...) {
    return fail("invalid size: '" + text + "'");
  }
  std::string unit = s.substr(end);
  if (!unit.empty() && unit.back() == 'b' && unit.size() > 1) unit.pop_back();
  if (unit == "ib" || unit.ends_with("ib")) unit = unit.substr(0, unit.size() - 2);
  double scale = 1;
  if (unit.empty() || unit == "b")
    scale = 1;
  else if (unit == "k")
    scale = 1024;
  else if (unit == "m")
    scale = 1024.0 * 1024;
  else if (unit == "g")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "t")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else
    return fail("invalid size: '" + text + "'");
  if (value < 0) return fail("invalid size: '" + text + "'");
  return static_cast<int64_t>(value * scale);
}

Result<int64_t> parse_int(const std::string& text, const std::string& what) {
  if (text.empty() || text.find_first_not_of("-0123456789") != std::string::npos)
    return fail("invalid " + what + ": '" + text + "'");
  return std::stoll(text);
}

Result<engine::ContainerRequest> run_request(const RunOptions& o, const images::ImageConfig& image) {
  engine::ContainerRequest r;
  for (const std::string& file : o.env_files) {
    std::string text = BRICK_TRY(read_file(file));
    for (const std::string& line : split(text, '\n')) {
      std::string_view t = trim(line);
      if (t.empty() || t[0] == '#') continue;
      BRICK_TRY_CTX(apply_env_flag(r.env, std::string(t)), "env file `" + file + "`");
    }
  }
  for (const std::string& e : o.env) BRICK_TRY(apply_env_flag(r.env, e));
  // --entrypoint X is [X]; --entrypoint "" is [""], which resets the image's.
  if (o.entrypoint) r.entrypoint = std::vector<std::string>{*o.entrypoint};
  if (o.command.size() > 1) r.cmd = std::vector<std::string>(o.command.begin() + 1, o.command.end());
  r.working_dir = o.workdir;
  r.hostname = o.hostname;  // empty: the monitor names it after the short id
  r.tty = o.tty;
  r.user = !o.user.empty() ? o.user : image.user;
  for (const std::string& u : o.ulimits) r.ulimits.push_back(BRICK_TRY(engine::parse_ulimit(u)));
  r.cap_add = o.cap_add;
  r.cap_drop = o.cap_drop;
  r.privileged = o.privileged;
  r.security_opt = o.security_opt;
  r.read_only = o.read_only;
  for (const std::string& d : o.devices) r.devices.push_back(BRICK_TRY(engine::parse_device(d)));
  engine::Resources& res = r.resources;
  if (!o.memory.empty()) res.memory = BRICK_TRY(parse_bytes(o.memory));
  if (!o.memory_swap.empty()) res.memory_swap = o.memory_swap == "-1" ? -1 : BRICK_TRY(parse_bytes(o.memory_swap));
  if (o.cpus != 0) res.cpus = o.cpus;
  if (o.pids_limit != 0) res.pids_limit = o.pids_limit;
  if (!o.shm_size.empty()) {
    res.shm_size = BRICK_TRY(parse_bytes(o.shm_size));
    if (*res.shm_size <= 0) return fail("invalid --shm-size: '" + o.shm_size + "'");
  }
  return r;
}

Result<RunSpec> run_spec(const RunOptions& o, const images::ImageConfig& cfg, const engine::HostFacts& host) {
  RunSpec out;
  runtime::ContainerSpec& spec = out.spec;
  spec = runtime::default_spec();
  engine::ContainerRequest request = BRICK_TRY(run_request(o, cfg));
  out.warnings = BRICK_TRY(engine::apply_request(spec, request, cfg.env, host));
  BRICK_TRY(engine::with_devices(spec, request.devices));

  spec.process.args = engine::process_args(cfg.entrypoint, cfg.cmd, request);
  if (spec.process.args.empty()) return fail("no command specified");
  BRICK_TRY(engine::with_working_dir(spec, cfg.working_dir, request));
  spec.process.terminal = o.tty;
  spec.hostname = o.hostname;  // empty: the monitor uses the short id
  return out;
}

}  // namespace brick::cli
