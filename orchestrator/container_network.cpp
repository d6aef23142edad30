#include "orchestrator/container_network.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <latch>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "base/file.hpp"
#include "base/json.hpp"
#include "net/attach.hpp"
#include "net/mac.hpp"
#include "net/nat.hpp"
#include "net/netns.hpp"
#include "net/resolv.hpp"
#include "runtime/container.hpp"

namespace brick::orchestrator {
namespace {

using namespace brick::runtime;
using nlohmann::json;

constexpr const char* kStatusFile = "network.json";

std::string run_dir_of(const std::string& run_root, const std::string& id) { return run_root + "/containers/" + id; }

Result<FileLock> lock_peers(const std::string& run_root) {
  return BRICK_TRY_CTX(FileLock::acquire(run_root + "/network.lock"), "locking the containers' hosts files");
}

// ---- peers

struct Peer {
  std::string id;
  net::NetworkStatus status;
};

// Every container whose network is set up now (a status file, a live
// monitor), except `self_id`.
std::vector<Peer> live_peers(const ContainerStore& store, const std::string& self_id) {
  std::vector<Peer> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(store.run_root() + "/containers", ec)) {
    const std::string id = entry.path().filename().string();
    if (id == self_id) continue;
    auto text = read_file(entry.path().string() + "/" + kStatusFile);
    if (!text || !monitor_running(store, id)) continue;
    auto status = net::network_status_from_json(json::parse(*text, nullptr, false));
    if (status) out.push_back({id, std::move(*status)});
  }
  return out;
}

std::vector<net::NetworkStatus> statuses(const std::vector<Peer>& peers) {
  std::vector<net::NetworkStatus> out;
  for (const Peer& p : peers) out.push_back(p.status);
  return out;
}

// Rewrites, in place, the hosts file of every live peer so that it lists
// `self` (joining) or no longer does (leaving). A peer whose file cannot be
// written keeps its old one: that is no reason to fail this container.
void refresh_peers(const ContainerStore& store, const std::string& self_id, const net::NetworkStatus* joining) {
  std::vector<Peer> peers = live_peers(store, self_id);
  std::vector<net::NetworkStatus> all = statuses(peers);
  if (joining) all.push_back(*joining);
  for (const Peer& p : peers) {
    if (p.status.endpoints.empty()) continue;
    (void)net::rewrite_in_place(store.run_dir(p.id) + "/hosts", net::container_hosts_file(p.status, all));
  }
}

// ---- files and mounts

struct EtcFile {
  const char* destination;
  const char* name;
};
constexpr EtcFile kEtcFiles[] = {
    {"/etc/hosts", "hosts"}, {"/etc/hostname", "hostname"}, {"/etc/resolv.conf", "resolv.conf"}};

void bind_file(ContainerSpec& spec, const std::string& destination, const std::string& source, bool read_only) {
  std::erase_if(spec.mounts, [&](const Mount& m) { return m.destination == destination; });
  std::vector<std::string> options = {"bind"};
  if (read_only) options.push_back("ro");
  spec.mounts.push_back({destination, "bind", source, options});
}

// docker binds these from the container's directory, so they can change
// (peers come and go) without touching the image's files.
void bind_etc_files(ContainerSpec& spec, const std::string& dir) {
  for (const EtcFile& f : kEtcFiles) bind_file(spec, f.destination, dir + "/" + f.name, false);
}

Status write_etc_files(const std::string& dir, const net::NetworkStatus& self,
                       const std::vector<net::NetworkStatus>& peers, const net::DnsSpec& dns) {
  auto host_resolv = read_file("/etc/resolv.conf");
  BRICK_TRY(net::rewrite_in_place(dir + "/hosts", net::container_hosts_file(self, peers)));
  BRICK_TRY(net::rewrite_in_place(dir + "/hostname", self.hostname + "\n"));
  BRICK_TRY(net::rewrite_in_place(dir + "/resolv.conf", net::resolv_conf(host_resolv ? *host_resolv : "", dns)));
  return {};
}

void join_netns(ContainerSpec& spec, const std::string& path) {
  for (Namespace& ns : spec.linux.namespaces)
    if (ns.type == "network") {
      ns.path = path;
      return;
    }
  spec.linux.namespaces.push_back({"network", path});
}

net::NetworkStatus base_status(const ContainerState& state, const net::ContainerNetworkConfig& cfg,
                               const ContainerSpec& spec) {
  net::NetworkStatus s;
  s.mode = cfg.mode;
  s.name = state.name;
  s.hostname = spec.hostname.empty() ? state.id.substr(0, 12) : spec.hostname;
  s.domainname = cfg.domainname;
  s.extra_hosts = cfg.extra_hosts;
  return s;
}

void record(ContainerState& state, const net::NetworkStatus& status) {
  state.extensions[net::kNetworkStatusExtension] = net::to_json(status);
}

// ---- mode bridge

// A fresh network namespace, pinned under the run root. unshare is per
// thread: a helper thread makes the namespace and stays in it until the pin
// holds it (/proc/<tid>/ns/net names a thread's namespace).
Result<net::PinnedNetns> fresh_netns(const std::string& run_root, const std::string& id) {
  std::promise<int> made;
  std::future<int> tid = made.get_future();
  std::latch pinned(1);
  std::thread helper([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      made.set_value(-errno);
      return;
    }
    made.set_value(static_cast<int>(::gettid()));
    pinned.wait();
  });
  const int t = tid.get();
  Result<net::PinnedNetns> pin =
      t > 0 ? net::PinnedNetns::pin(run_root, id, t)
            : Result<net::PinnedNetns>(fail(Error::from_errno("creating a network namespace", -t)));
  pinned.count_down();
  helper.join();
  return pin;
}

// Everything a bridge setup made; undone unless keep().
struct BridgeSetup {
  net::PinnedNetns pin;
  std::vector<net::Attachment> attachments;
  std::optional<net::PortForwards> ports;
  void keep() {
    pin.keep();
    for (net::Attachment& a : attachments) a.keep();
    if (ports) ports->keep();
  }
};

net::EndpointStatus endpoint_of(const net::AttachmentInfo& info, const net::NetworkJoin& join) {
  return {info.network,
          info.network_id,
          info.interface,
          net::format_ipv4(info.address),
          info.gateway ? net::format_ipv4(info.gateway) : "",
          info.mac,
          info.subnet.length,
          join.aliases,
          join.gw_priority,
          info.default_route};
}

Result<net::Attachment> join_network(const net::NetworkStore& store, int netns_fd, const ContainerState& state,
                                     const net::Network& network, const net::NetworkJoin& join, size_t index,
                                     bool default_route) {
  net::AttachOptions o;
  o.network = network.name;
  o.owner = state.name;
  o.interface = "eth" + std::to_string(index);
  if (!join.ipv4_address.empty())
    o.ipv4_address = BRICK_TRY_CTX(net::parse_ipv4(join.ipv4_address), "--ip `" + join.ipv4_address + "`");
  if (!join.mac_address.empty()) o.mac = BRICK_TRY_CTX(net::parse_mac(join.mac_address), "mac_address");
  o.default_route = default_route;
  return net::attach(store, netns_fd, o);
}

Result<BridgeSetup> make_bridge(const std::string& root, const std::string& run_root, const ContainerState& state,
                                const net::ContainerNetworkConfig& cfg, net::NetworkStatus& status) {
  if (cfg.networks.empty()) return fail("network mode `bridge` needs at least one network");
  net::NetworkStore store = BRICK_TRY(net::NetworkStore::open(root, net::kernel_host(run_root)));
  // What a killed monitor left of this container goes first (attach itself
  // removes its own stale veths).
  BRICK_TRY(net::unpin_netns(run_root, state.id));
  BRICK_TRY(net::unpublish_ports(run_root, state.name));
  BridgeSetup made{BRICK_TRY(fresh_netns(run_root, state.id)), {}, std::nullopt};
  UniqueFd netns = BRICK_TRY(made.pin.open());
  // Every network is looked up first: which one carries the default route
  // depends on all of them (gw_priority, internal).
  std::vector<net::Network> networks;
  std::vector<bool> internal;
  for (const net::NetworkJoin& join : cfg.networks) {
    networks.push_back(BRICK_TRY_CTX(store.get(join.network), "joining network `" + join.network + "`"));
    internal.push_back(networks.back().internal);
  }
  const std::optional<size_t> route = net::pick_default_route(cfg.networks, internal);
  for (size_t i = 0; i < cfg.networks.size(); ++i) {
    const net::NetworkJoin& join = cfg.networks[i];
    net::Attachment a = BRICK_TRY_CTX(join_network(store, netns.get(), state, networks[i], join, i, route == i),
                                      "joining network `" + join.network + "`");
    status.endpoints.push_back(endpoint_of(a.info(), join));
    made.attachments.push_back(std::move(a));
  }
  if (!cfg.ports.empty()) {
    const net::AttachmentInfo& first = made.attachments.front().info();
    // Host loopback -> port needs route_localnet, which an internal bridge
    // lacks until something is published on it.
    BRICK_TRY_CTX(net::allow_loopback_publishing(first.bridge), "publishing ports on network `" + first.network + "`");
    made.ports.emplace(BRICK_TRY_CTX(net::PortForwards::publish(run_root, state.name, first.address, cfg.ports),
                                     "publishing ports on network `" + first.network + "`"));
    status.ports = made.ports->ports();
  }
  status.netns = made.pin.path();
  return made;
}

Status setup_bridge(const std::string& root, const std::string& run_root, ContainerState& state, ContainerSpec& spec,
                    const net::ContainerNetworkConfig& cfg) {
  ContainerStore store = BRICK_TRY(ContainerStore::open(root, run_root));
  const std::string dir = store.run_dir(state.id);
  net::NetworkStatus status = base_status(state, cfg, spec);
  // The namespace, veths, addresses and ports need no peer lock: the
  // network store and the NAT rules have their own, and every name made here
  // is this container's own. Only the hosts files (who lists whom) are
  // serialized, so fifty containers starting at once attach in parallel.
  BridgeSetup made = BRICK_TRY(make_bridge(root, run_root, state, cfg, status));
  BRICK_TRY(net::resolve_host_gateway(status.extra_hosts, net::host_gateway(status)));
  FileLock lock = BRICK_TRY(lock_peers(run_root));
  std::vector<Peer> peers = live_peers(store, state.id);
  BRICK_TRY(write_etc_files(dir, status, statuses(peers), cfg.dns));
  // Written last: from here on peers list this container.
  BRICK_TRY(write_file_atomic(dir + "/" + kStatusFile, json_text(net::to_json(status))));
  made.keep();
  refresh_peers(store, state.id, &status);
  join_netns(spec, status.netns);
  bind_etc_files(spec, dir);
  record(state, status);
  return {};
}

// ---- the other modes

Status setup_container_mode(const std::string& root, const std::string& run_root, ContainerState& state,
                            ContainerSpec& spec, const net::ContainerNetworkConfig& cfg) {
  const std::string target = cfg.mode.substr(std::string_view("container:").size());
  auto run = [&]() -> Status {
    ContainerStore store = BRICK_TRY(ContainerStore::open(root, run_root));
    ContainerState other = BRICK_TRY(observe_container(store, target));
    if (!other.running() || other.pid <= 0) return fail("container `" + other.name + "` is not running");
    net::NetworkStatus status = base_status(state, cfg, spec);
    std::string path = net::pinned_netns_path(run_root, other.id);
    if (::access(path.c_str(), F_OK) != 0) path = "/proc/" + std::to_string(other.pid) + "/ns/net";
    status.netns = path;
    const std::string other_dir = store.run_dir(other.id);
    if (auto theirs = network_status_of(other)) status.hostname = theirs->hostname;
    if (::access((other_dir + "/hosts").c_str(), F_OK) == 0) {
      bind_etc_files(spec, other_dir);
    } else {  // it shares the host's network: so does this one
      bind_file(spec, "/etc/hosts", "/etc/hosts", true);
      bind_file(spec, "/etc/resolv.conf", "/etc/resolv.conf", true);
    }
    join_netns(spec, path);
    record(state, status);
    return {};
  };
  BRICK_TRY_CTX(run(), "network mode `" + cfg.mode + "`");
  return {};
}

Status setup_none(const std::string& root, const std::string& run_root, ContainerState& state, ContainerSpec& spec,
                  const net::ContainerNetworkConfig& cfg) {
  ContainerStore store = BRICK_TRY(ContainerStore::open(root, run_root));
  const std::string dir = store.run_dir(state.id);
  net::NetworkStatus status = base_status(state, cfg, spec);
  BRICK_TRY_CTX(net::resolve_host_gateway(status.extra_hosts, ""), "network mode `none`");
  BRICK_TRY(write_etc_files(dir, status, {}, cfg.dns));
  bind_etc_files(spec, dir);
  record(state, status);
  return {};
}

void setup_host(ContainerSpec& spec) {
  std::erase_if(spec.linux.namespaces, [](const Namespace& ns) { return ns.type == "network"; });
  for (const char* file : {"/etc/hosts", "/etc/resolv.conf"})
    if (::access(file, F_OK) == 0) bind_file(spec, file, file, true);
}

}  // namespace

Result<net::ContainerNetworkConfig> network_config_of(const ContainerState& state) {
  auto it = state.extensions.find(net::kNetworkExtension);
  if (it == state.extensions.end()) return net::ContainerNetworkConfig{};
  return net::container_network_from_json(*it);
}

std::optional<net::NetworkStatus> network_status_of(const ContainerState& state) {
  auto it = state.extensions.find(net::kNetworkStatusExtension);
  if (it == state.extensions.end()) return std::nullopt;
  auto status = net::network_status_from_json(*it);
  if (!status) return std::nullopt;
  return std::move(*status);
}

Status setup_container_network(const std::string& root, const std::string& run_root, ContainerState& state,
                               ContainerSpec& spec) {
  // A record without a network entry keeps what its spec says (as before
  // there was one): nothing to set up.
  if (!state.extensions.contains(net::kNetworkExtension)) return {};
  net::ContainerNetworkConfig cfg = BRICK_TRY(network_config_of(state));
  if (!cfg.hostname.empty() && spec.has_namespace("uts")) spec.hostname = cfg.hostname;
  if (cfg.mode == "host") {
    setup_host(spec);
    return {};
  }
  if (cfg.mode == "none") return setup_none(root, run_root, state, spec, cfg);
  if (cfg.mode == "bridge") return setup_bridge(root, run_root, state, spec, cfg);
  return setup_container_mode(root, run_root, state, spec, cfg);
}

Status teardown_container_network(const std::string& root, const std::string& run_root, ContainerState& state) {
  state.extensions.erase(net::kNetworkStatusExtension);
  net::ContainerNetworkConfig cfg = BRICK_TRY(network_config_of(state));
  if (cfg.mode != "bridge") return {};
  Status result;
  auto note = [&result](Status s) {
    if (!s && result) result = fail(std::move(s).error());
  };
  {
    auto lock = lock_peers(run_root);
    note(lock ? Status{} : Status(fail(lock.error())));
    // Peers list this container only while its status file exists: once it
    // is gone (the monitor's own teardown ran), they no longer do.
    const bool listed = ::unlink((run_dir_of(run_root, state.id) + "/" + kStatusFile).c_str()) == 0;
    if (listed)
      if (auto store = ContainerStore::open(root, run_root)) refresh_peers(*store, state.id, nullptr);
  }
  note(net::unpublish_ports(run_root, state.name));
  if (auto store = net::NetworkStore::open(root, net::kernel_host(run_root))) {
    for (const net::NetworkJoin& join : cfg.networks) {
      Status s = net::detach(*store, join.network, state.name);
      // A network removed meanwhile took the veth and the address with it.
      if (!s && s.error().errno_value() != ENOENT) note(std::move(s));
    }
  } else {
    note(fail(store.error()));
  }
  note(net::unpin_netns(run_root, state.id));
  if (!result) return fail(std::move(result).error().context("tearing down the network of `" + state.name + "`"));
  return {};
}

net::InUse networks_in_use(const std::string& root, const std::string& run_root) {
  return [root, run_root](const std::string& network) {
    auto store = ContainerStore::open(root, run_root);
    if (!store) return false;
    auto all = store->list();
    if (!all) return false;
    for (const ContainerState& c : *all) {
      auto cfg = network_config_of(c);
      if (!cfg || cfg->mode != "bridge") continue;
      for (const net::NetworkJoin& join : cfg->networks)
        if (join.network == network) return true;
    }
    return false;
  };
}

}  // namespace brick::orchestrator
