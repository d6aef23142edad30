#include "orchestrator/records.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace brick::orchestrator {

ObservedStatus observed_state(const runtime::ContainerState& record) {
  switch (record.status) {
    case runtime::ContainerStatus::created: return ObservedStatus::created;
    case runtime::ContainerStatus::running: return ObservedStatus::running;
    case runtime::ContainerStatus::paused: return ObservedStatus::paused;
    case runtime::ContainerStatus::restarting: return ObservedStatus::restarting;
    case runtime::ContainerStatus::exited: return ObservedStatus::exited;
  }
  return ObservedStatus::dead;
}

ObservedContainer observed_container(const runtime::ContainerState& record) {
  return {record.id, record.name, record.labels, observed_state(record)};
}

ConditionCheck check_condition(const std::string& condition, const runtime::ContainerState& dep) {
  const bool exited = dep.status == runtime::ContainerStatus::exited;
  const std::string code = "exited with code " + std::to_string(dep.exit_code);
  if (condition == "service_completed_successfully") {
    if (!exited) return {};
    if (dep.exit_code == 0) return {Readiness::ready, ""};
    return {Readiness::failed, "didn't complete successfully: " + code};
  }
  if (condition == "service_healthy") {
    if (!dep.healthcheck) return {Readiness::failed, "has no healthcheck configured"};
    if (dep.health && dep.health->status == "healthy") return {Readiness::ready, ""};
    if (dep.health && dep.health->status == "unhealthy") return {Readiness::failed, "is unhealthy"};
    if (exited || dep.status == runtime::ContainerStatus::created) return {Readiness::failed, code};
    return {};
  }
  // service_started: compose's "running or exited" (a finished job counts).
  if (dep.status == runtime::ContainerStatus::created) return {};
  return {Readiness::ready, ""};
}

Result<net::NetworkSpec> network_spec(const compose::Project& project, const compose::Network& n) {
  net::NetworkSpec spec;
  spec.name = n.name;
  spec.driver = n.driver.value_or("bridge");
  if (spec.driver != "bridge")
    return fail("network `" + n.key + "`: driver `" + spec.driver + "` is not supported (only bridge)");
  if (n.enable_ipv6.value_or(false)) return fail("network `" + n.key + "`: IPv6 is not supported yet");
  if (n.ipam && !n.ipam->config.empty()) {
    if (n.ipam->config.size() > 1) return fail("network `" + n.key + "`: more than one ipam pool is not supported yet");
    const compose::IpamPool& pool = n.ipam->config.front();
    spec.subnet = pool.subnet.value_or("");
    spec.gateway = pool.gateway.value_or("");
    spec.ip_range = pool.ip_range.value_or("");
    spec.aux_addresses = pool.aux_addresses;
  }
  spec.internal = n.internal;
  spec.options = n.driver_opts;
  spec.labels = n.labels;
  spec.labels[std::string(kProjectLabel)] = project.name;
  spec.labels[std::string(kNetworkLabel)] = n.key;
  return spec;
}

net::ContainerNetworkConfig network_config(const compose::Project& project, const DesiredContainer& d,
                                           const std::string& domainname) {
  net::ContainerNetworkConfig c;
  const std::string& mode = d.network_mode;
  if (mode.empty() || mode == "bridge") {
    c.mode = "bridge";
    for (const NetworkAttachment& a : d.networks)
      c.networks.push_back({a.name, a.aliases, a.ipv4_address, a.mac_address, a.gw_priority});
  } else if (mode.starts_with("service:")) {
    std::string service = mode.substr(8);
    const compose::Service* s = project.service(service);
    c.mode = "container:" + (s ? container_name(project.name, *s, 1) : project.name + "-" + service + "-1");
  } else {
    c.mode = mode;  // none, host, container:NAME
  }
  c.ports = d.ports;
  c.hostname = d.spec.hostname;
  c.domainname = domainname;
  c.dns = d.dns;
  c.extra_hosts = d.extra_hosts;
  return c;
}

volumes::ContainerMounts container_mounts(const compose::Project& project, const DesiredContainer& d) {
  volumes::ContainerMounts m;
  m.mounts = d.mounts;
  m.declared = d.volume_decls;
  for (auto& [name, decl] : m.declared) {
    for (const auto& [key, v] : project.volumes)
      if (v.name == name) decl.labels[std::string(kVolumeLabel)] = key;
    decl.labels[std::string(kProjectLabel)] = project.name;
  }
  m.secrets = d.secrets;
  m.configs = d.configs;
  m.base_dir = project.working_dir;
  m.labels[std::string(kProjectLabel)] = project.name;
  return m;
}

std::vector<std::string> keep_anonymous_volumes(const runtime::ContainerState& old, DesiredContainer& desired) {
  std::vector<std::string> kept;
  auto it = old.extensions.find(volumes::kMountsExtension);
  if (it == old.extensions.end()) return kept;
  auto record = volumes::container_mounts_from_json(*it);
  if (!record) return kept;
  for (volumes::MountRequest& r : desired.mounts) {
    if (r.kind != volumes::MountKind::volume || !r.source.empty()) continue;
    for (const volumes::MountRequest& was : record->mounts) {
      bool anonymous = std::find(old.anonymous_volumes.begin(), old.anonymous_volumes.end(), was.source) !=
                       old.anonymous_volumes.end();
      if (was.kind != volumes::MountKind::volume || was.target != r.target || !anonymous) continue;
      r.source = was.source;
      kept.push_back(was.source);
      break;
    }
  }
  return kept;
}

runtime::CreateOptions create_options(const compose::Project& project, const DesiredContainer& d) {
  runtime::CreateOptions o;
  o.name = d.name;
  o.image = d.image;
  o.image_id = d.image_id;
  o.labels = d.labels;
  o.spec = d.spec;
  o.restart_policy = {d.restart.name, static_cast<int>(d.restart.max_retries)};
  o.stop_signal = d.stop_signal;
  o.stop_timeout = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(d.stop_grace_period).count());
  o.init = d.init;
  // Both the record and the spec say -t: the monitor allocates the
  // terminal the spec's process expects as its controlling one.
  o.tty = d.tty;
  o.open_stdin = d.stdin_open;
  o.user = d.user;
  o.group_add = d.group_add;
  o.mount_base_dir = project.working_dir;
  for (const volumes::MountRequest& r : d.mounts)
    if (r.kind == volumes::MountKind::volume && !r.source.empty()) o.volumes.push_back(r.source);
  if (d.healthcheck) {
    const HealthcheckSpec& h = *d.healthcheck;
    o.healthcheck = runtime::HealthcheckConfig{h.test,
                                               h.interval.count(),
                                               h.timeout.count(),
                                               h.start_period.count(),
                                               h.start_interval.count(),
                                               static_cast<int>(h.retries)};
  }
  const compose::Service* s = project.service(d.service);
  std::string domainname = s && s->domainname ? *s->domainname : "";
  o.extensions[net::kNetworkExtension] = net::to_json(network_config(project, d, domainname));
  volumes::ContainerMounts mounts = container_mounts(project, d);
  if (!mounts.empty()) o.extensions[volumes::kMountsExtension] = volumes::to_json(mounts);
  return o;
}

}  // namespace brick::orchestrator
