#include "net/container_network.hpp"

#include <nlohmann/json.hpp>

#include "base/json.hpp"

namespace brick::net {

using nlohmann::json;

namespace {

json hosts_json(const std::vector<HostEntry>& entries) {
  json out = json::array();
  for (const HostEntry& e : entries) out.push_back({{"address", e.address}, {"names", e.names}});
  return out;
}

}  // namespace

json to_json(const ContainerNetworkConfig& c) {
  json networks = json::array();
  for (const NetworkJoin& n : c.networks)
    networks.push_back({{"network", n.network},
                        {"aliases", n.aliases},
                        {"ipv4_address", n.ipv4_address},
                        {"mac_address", n.mac_address},
                        {"gw_priority", n.gw_priority}});
  json ports = json::array();
  for (const PortMapping& p : c.ports)
    ports.push_back({{"host_ip", p.host_ip},
                     {"host_port", p.host_port},
                     {"host_port_last", p.host_port_last},
                     {"container_port", p.container_port},
                     {"protocol", p.protocol}});
  return {{"mode", c.mode},
          {"networks", networks},
          {"ports", ports},
          {"hostname", c.hostname},
          {"domainname", c.domainname},
          {"dns", {{"servers", c.dns.servers}, {"search", c.dns.search}, {"options", c.dns.options}}},
          {"extra_hosts", hosts_json(c.extra_hosts)}};
}

Result<ContainerNetworkConfig> container_network_from_json(const json& j) {
  if (!j.is_object()) return fail("the container's network record is not a JSON object");
  ContainerNetworkConfig c;
  try {
    json_read(j, "mode", c.mode);
    if (auto it = j.find("networks"); it != j.end() && it->is_array())
      for (const json& n : *it) {
        NetworkJoin join;
        json_read(n, "network", join.network);
        json_read(n, "aliases", join.aliases);
        json_read(n, "ipv4_address", join.ipv4_address);
        json_read(n, "mac_address", join.mac_address);
        json_read(n, "gw_priority", join.gw_priority);
        c.networks.push_back(std::move(join));
      }
    if (auto it = j.find("ports"); it != j.end() && it->is_array())
      for (const json& p : *it) {
        PortMapping m;
        json_read(p, "host_ip", m.host_ip);
        json_read(p, "host_port", m.host_port);
        json_read(p, "host_port_last", m.host_port_last);
        json_read(p, "container_port", m.container_port);
        json_read(p, "protocol", m.protocol);
        c.ports.push_back(std::move(m));
      }
    json_read(j, "hostname", c.hostname);
    json_read(j, "domainname", c.domainname);
    if (auto it = j.find("dns"); it != j.end() && it->is_object()) {
      json_read(*it, "servers", c.dns.servers);
      json_read(*it, "search", c.dns.search);
      json_read(*it, "options", c.dns.options);
    }
    if (auto it = j.find("extra_hosts"); it != j.end() && it->is_array())
      for (const json& h : *it) {
        HostEntry e;
        json_read(h, "address", e.address);
        json_read(h, "names", e.names);
        c.extra_hosts.push_back(std::move(e));
      }
  } catch (const json::exception& e) {
    return fail(std::string("the container's network record: ") + e.what());
  }
  if (c.mode != "none" && c.mode != "host" && c.mode != "bridge" && !c.mode.starts_with("container:"))
    return fail("the container's network record: unknown mode `" + c.mode + "`");
  return c;
}

json to_json(const NetworkStatus& s) {
  json endpoints = json::array();
  for (const EndpointStatus& e : s.endpoints)
    endpoints.push_back({{"network", e.network},
                         {"network_id", e.network_id},
                         {"interface", e.interface},
                         {"address", e.address},
                         {"gateway", e.gateway},
                         {"mac", e.mac},
                         {"prefix_length", e.prefix_length},
                         {"aliases", e.aliases},
                         {"gw_priority", e.gw_priority},
                         {"default_route", e.default_route}});
  json ports = json::array();
  for (const PublishedPort& p : s.ports)
    ports.push_back({{"host_ip", p.host_ip},
                     {"host_port", p.host_port},
                     {"container_port", p.container_port},
                     {"protocol", p.protocol}});
  return {{"mode", s.mode},
          {"name", s.name},
          {"hostname", s.hostname},
          {"domainname", s.domainname},
          {"extra_hosts", hosts_json(s.extra_hosts)},
          {"endpoints", endpoints},
          {"ports", ports},
          {"netns", s.netns}};
}

Result<NetworkStatus> network_status_from_json(const json& j) {
  if (!j.is_object()) return fail("the container's network status is not a JSON object");
  NetworkStatus s;
  try {
    json_read(j, "mode", s.mode);
    json_read(j, "name", s.name);
    json_read(j, "hostname", s.hostname);
    json_read(j, "domainname", s.domainname);
    json_read(j, "netns", s.netns);
    if (auto it = j.find("extra_hosts"); it != j.end() && it->is_array())
      for (const json& h : *it) {
        HostEntry e;
        json_read(h, "address", e.address);
        json_read(h, "names", e.names);
        s.extra_hosts.push_back(std::move(e));
      }
    if (auto it = j.find("endpoints"); it != j.end() && it->is_array())
      for (const json& n : *it) {
        EndpointStatus e;
        json_read(n, "network", e.network);
        json_read(n, "network_id", e.network_id);
        json_read(n, "interface", e.interface);
        json_read(n, "address", e.address);
        json_read(n, "gateway", e.gateway);
        json_read(n, "mac", e.mac);
        json_read(n, "prefix_length", e.prefix_length);
        json_read(n, "aliases", e.aliases);
        json_read(n, "gw_priority", e.gw_priority);
        json_read(n, "default_route", e.default_route);
        s.endpoints.push_back(std::move(e));
      }
    if (auto it = j.find("ports"); it != j.end() && it->is_array())
      for (const json& p : *it) {
        PublishedPort port;
        json_read(p, "host_ip", port.host_ip);
        json_read(p, "host_port", port.host_port);
        json_read(p, "container_port", port.container_port);
        json_read(p, "protocol", port.protocol);
        s.ports.push_back(std::move(port));
      }
  } catch (const json::exception& e) {
    return fail(std::string("the container's network status: ") + e.what());
  }
  return s;
}

std::optional<size_t> pick_default_route(const std::vector<NetworkJoin>& networks, const std::vector<bool>& internal) {
  std::optional<size_t> best;
  for (size_t i = 0; i < networks.size(); ++i) {
    if (i < internal.size() && internal[i]) continue;
    // Strictly greater: on a tie the earlier one stays.
    if (!best || networks[i].gw_priority > networks[*best].gw_priority) best = i;
  }
  return best;
}

std::string host_gateway(const NetworkStatus& status) {
  for (const EndpointStatus& e : status.endpoints)
    if (e.default_route) return e.gateway;
  return status.endpoints.empty() ? "" : status.endpoints.front().gateway;
}

std::vector<HostEntry> peer_entries(const NetworkStatus& self, const std::vector<NetworkStatus>& others) {
  std::vector<HostEntry> out;
  for (const EndpointStatus& mine : self.endpoints)
    for (const NetworkStatus& other : others) {
      if (other.name == self.name) continue;
      for (const EndpointStatus& theirs : other.endpoints) {
        if (theirs.network_id != mine.network_id || theirs.address.empty()) continue;
        HostEntry entry{theirs.address, theirs.aliases};
        entry.names.push_back(other.name);
        entry.names.push_back(other.hostname);
        out.push_back(std::move(entry));
      }
    }
  return out;
}

std::string container_hosts_file(const NetworkStatus& self, const std::vector<NetworkStatus>& others) {
  HostsSpec spec;
  spec.hostname = self.hostname;
  spec.domainname = self.domainname;
  spec.extra_hosts = self.extra_hosts;
  for (const EndpointStatus& e : self.endpoints) spec.own.push_back({e.address, {}});
  // Without a network the hostname still resolves, as with podman.
  if (spec.own.empty()) spec.own.push_back({"127.0.0.1", {}});
  spec.peers = peer_entries(self, others);
  return hosts_file(spec);
}

}  // namespace brick::net
