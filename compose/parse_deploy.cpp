// deploy:, healthcheck:, gpus: and devices: of a service.
#include <algorithm>
#include <iterator>

#include "compose/parse_parts.hpp"
#include "compose/units.hpp"

namespace brick::compose {

namespace {

// Swarm features a single host has no use for: accepted so stack files
// written for swarm still load, but the user is told they do nothing here.
Field swarm_only(std::string_view key, Reader& r) {
  return Field{key, [&r, key](const Node& v, const std::string& path) {
                 r.warning(v.mark, path, "`" + std::string(key) + "` is a swarm feature brick ignores on one host");
               }};
}

Resources parse_resources(const Node& node, const std::string& path, Reader& r, bool reservations) {
  Resources res;
  std::vector<Field> fields = {
      {"cpus", [&](const Node& v, const std::string& p) { res.cpus = r.cpus(v, p); }},
      {"memory", [&](const Node& v, const std::string& p) { res.memory = r.bytes(v, p); }},
      {"pids", [&](const Node& v, const std::string& p) { res.pids = r.integer(v, p); }},
  };
  if (reservations) {
    fields.push_back({"devices", [&](const Node& v, const std::string& p) {
                        if (v.is_null() || !r.expect_sequence(v, p)) return;
                        for (size_t i = 0; i < v.items.size(); ++i)
                          res.devices.push_back(parse_device_request(v.items[i], index_path(p, i), r, false));
                      }});
    fields.push_back(swarm_only("generic_resources", r));
  }
  if (!node.is_null()) r.dispatch(node, path, fields);
  return res;
}

RestartPolicy parse_restart_policy(const Node& node, const std::string& path, Reader& r) {
  RestartPolicy rp;
  if (node.is_null()) return rp;
  r.dispatch(node, path,
             {
                 {"condition",
                  [&](const Node& v, const std::string& p) {
                    // The spec's schema takes any string here, and docker compose
                    // maps none/no, on-failure, unless-stopped and any/always to
                    // the engine's policies, handing anything else to the engine.
                    // So `config` keeps it; `up` refuses what no engine knows.
                    rp.condition = r.str(v, p);
                    static const char* const known[] = {"none", "on-failure", "any", "no", "always", "unless-stopped"};
                    if (rp.condition && std::find(std::begin(known), std::end(known), *rp.condition) == std::end(known))
                      r.warning(v.mark, p,
                                "`" + *rp.condition +
                                    "` is not a restart condition brick knows (none, on-failure, any, no, always, "
                                    "unless-stopped); starting the service will fail");
                  }},
                 {"delay", [&](const Node& v, const std::string& p) { rp.delay = r.duration(v, p); }},
                 {"max_attempts", [&](const Node& v, const std::string& p) { rp.max_attempts = r.uinteger(v, p); }},
                 {"window", [&](const Node& v, const std::string& p) { rp.window = r.duration(v, p); }},
             });
  return rp;
}

}  // namespace

DeployConfig parse_deploy(const Node& node, const std::string& path, Reader& r) {
  DeployConfig d;
  if (node.is_null()) return d;
  r.dispatch(
      node, path,
      {
          {"mode",
           [&](const Node& v, const std::string& p) {
             d.mode = r.str(v, p);
             if (!d.mode) return;
             if (*d.mode == "global")
               r.warning(v.mark, p, "`mode: global` means one container per swarm node; brick runs one on this host");
             else if (*d.mode != "replicated")
               r.error(v.mark, p, "`" + *d.mode + "` is not a deploy mode (replicated, global)");
           }},
          {"replicas", [&](const Node& v, const std::string& p) { d.replicas = r.uinteger(v, p); }},
          {"labels", [&](const Node& v, const std::string& p) { d.labels = r.string_map(v, p); }},
          {"resources",
           [&](const Node& v, const std::string& p) {
             if (v.is_null()) return;
             r.dispatch(v, p,
                        {
                            {"limits", [&](const Node& lv,
                                           const std::string& lp) { d.limits = parse_resources(lv, lp, r, false); }},
                            {"reservations",
                             [&](const Node& rv, const std::string& rp) {
                               d.reservations = parse_resources(rv, rp, r, true);
                             }},
                        });
           }},
          {"restart_policy",
           [&](const Node& v, const std::string& p) { d.restart_policy = parse_restart_policy(v, p, r); }},
          swarm_only("placement", r),
          swarm_only("update_config", r),
          swarm_only("rollback_config", r),
          swarm_only("endpoint_mode", r),
      });
  return d;
}

Healthcheck parse_healthcheck(const Node& node, const std::string& path, Reader& r) {
  Healthcheck hc;
  if (node.is_null()) return hc;
  r.dispatch(node, path,
             {
                 {"test",
                  [&](const Node& v, const std::string& p) {
                    if (v.is_scalar()) {
                      // A string runs through the container's shell, as docker does.
                      hc.test = {"CMD-SHELL", v.scalar};
                      return;
                    }
                    hc.test = r.string_list(v, p);
                    if (hc.test.empty()) return;
                    const std::string& kind = hc.test.front();
                    // ["NONE"] stays as written (docker compose config keeps
                    // it, without `disable: true`); readers treat both alike.
                    if (kind != "NONE" && kind != "CMD" && kind != "CMD-SHELL")
                      r.error(v.items.front().mark, index_path(p, 0),
                              "a healthcheck test list starts with `CMD`, `CMD-SHELL` or `NONE`, not `" + kind + "`");
                  }},
                 {"interval", [&](const Node& v, const std::string& p) { hc.interval = r.duration(v, p); }},
                 {"timeout", [&](const Node& v, const std::string& p) { hc.timeout = r.duration(v, p); }},
                 {"start_period", [&](const Node& v, const std::string& p) { hc.start_period = r.duration(v, p); }},
                 {"start_interval", [&](const Node& v, const std::string& p) { hc.start_interval = r.duration(v, p); }},
                 {"retries", [&](const Node& v, const std::string& p) { hc.retries = r.uinteger(v, p); }},
                 {"disable",
                  [&](const Node& v, const std::string& p) {
                    if (auto b = r.boolean(v, p)) hc.disable = hc.disable || *b;
                  }},
             });
  return hc;
}

DeviceRequest parse_device_request(const Node& node, const std::string& path, Reader& r, bool gpu) {
  DeviceRequest req;
  req.mark = node.mark;
  const Node* count_node = nullptr;
  r.dispatch(node, path,
             {
                 {"capabilities", [&](const Node& v, const std::string& p) { req.capabilities = r.string_list(v, p); }},
                 {"driver", [&](const Node& v, const std::string& p) { req.driver = r.str(v, p); }},
                 {"count",
                  [&](const Node& v, const std::string& p) {
                    count_node = &v;
                    if (v.is_scalar() && v.scalar == "all") {
                      req.count = -1;
                      return;
                    }
                    req.count = r.integer(v, p);
                    if (req.count && *req.count < 1) {
                      r.error(v.mark, p, "a device count is a positive integer or `all`");
                      req.count.reset();
                    }
                  }},
                 {"device_ids", [&](const Node& v, const std::string& p) { req.device_ids = r.string_list(v, p); }},
                 {"options", [&](const Node& v, const std::string& p) { req.options = r.string_map(v, p); }},
             });
  if (!node.is_mapping()) return req;
  if (count_node && !req.device_ids.empty()) r.error(node.mark, path, "`count` and `device_ids` are exclusive");
  // `gpus:` entries imply the gpu capability; it is left unwritten, as
  // `docker compose config` prints them.
  // A reservation naming neither a count nor devices takes them all, which
  // docker compose config writes as count -1.
  if (!gpu && !count_node && req.device_ids.empty()) req.count = -1;
  if (!gpu && req.capabilities.empty() && !node.find("capabilities"))
    r.error(node.mark, path, "a device reservation needs `capabilities`, e.g. [gpu]");
  return req;
}

std::optional<std::vector<DeviceRequest>> parse_gpus(const Node& node, const std::string& path, Reader& r) {
  if (node.is_null()) return std::nullopt;
  if (node.is_scalar()) {
    if (node.scalar != "all") {
      r.error(node.mark, path, "`gpus` is `all` or a list of device requests, not `" + node.scalar + "`");
      return std::nullopt;
    }
    DeviceRequest all;
    all.count = -1;
    all.mark = node.mark;
    return std::vector<DeviceRequest>{all};
  }
  if (!r.expect_sequence(node, path)) return std::nullopt;
  std::vector<DeviceRequest> out;
  for (size_t i = 0; i < node.items.size(); ++i)
    out.push_back(parse_device_request(node.items[i], index_path(path, i), r, true));
  return out;
}

std::vector<DeviceMapping> parse_devices(const Node& node, const std::string& path, Reader& r) {
  std::vector<DeviceMapping> out;
  if (node.is_null() || !r.expect_sequence(node, path)) return out;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    std::string p = index_path(path, i);
    if (item.is_scalar()) {
      auto dev = parse_device(item.scalar);
      if (!dev)
        r.error(item.mark, p, "`" + item.scalar + "` is not a device: " + dev.error().message());
      else
        out.push_back(*dev);
      continue;
    }
    DeviceMapping dev;
    r.dispatch(item, p,
               {
                   {"source", [&](const Node& v, const std::string& vp) { dev.source = r.str(v, vp).value_or(""); }},
                   {"target", [&](const Node& v, const std::string& vp) { dev.target = r.str(v, vp).value_or(""); }},
                   {"permissions",
                    [&](const Node& v, const std::string& vp) { dev.permissions = r.str(v, vp).value_or("rwm"); }},
               });
    if (!item.is_mapping()) continue;
    if (dev.source.empty()) {
      r.error(item.mark, p, "a device needs a `source`");
      continue;
    }
    if (dev.target.empty()) dev.target = dev.source;
    out.push_back(dev);
  }
  return out;
}

}  // namespace brick::compose
