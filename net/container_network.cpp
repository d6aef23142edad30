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
                        {"mac_address", n.mac_address}});
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

}  // namespace brick::net
