#include "net/network.hpp"

#include <dirent.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/ids.hpp"
#include "base/json.hpp"
#include "base/scope_exit.hpp"
#include "net/nat.hpp"
#include "net/netlink.hpp"

namespace brick::net {
namespace {

// Interface names: at most IFNAMSIZ-1 bytes, no '/', ':' or whitespace
// (the kernel's dev_valid_name), and not "." or "..".
bool valid_ifname(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(), [](char c) { return c == '/' || c == ':' || c <= ' ' || c == 127; });
}

Result<std::map<std::string, std::string>> string_map(const nlohmann::json& json, const char* key) {
  std::map<std::string, std::string> out;
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return out;
  if (!it->is_object()) return fail(std::string("field `") + key + "` is not an object");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return fail(std::string("field `") + key + "." + k + "` is not a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

// The MTU option's value; 0 when absent. docker's range is 68..65535.
Result<int> mtu_option(const std::map<std::string, std::string>& options) {
  auto it = options.find(kMtuOption);
  if (it == options.end()) return 0;
  const std::string& text = it->second;
  int mtu = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mtu);
  if (ec != std::errc() || end != text.data() + text.size() || mtu < 68 || mtu > 65535)
    return fail("option " + std::string(kMtuOption) + "=`" + text + "` is not an MTU (68..65535)");
  return mtu;
}

Result<std::string> string_field(const nlohmann::json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end() || !it->is_string()) return fail(std::string("field `") + key + "` missing or not a string");
  return it->get<std::string>();
}

class KernelHost : public NetworkHost {
 public:
  explicit KernelHost(std::string run_root) : run_root_(std::move(run_root)) {}
  Result<std::vector<Prefix>> prefixes_in_use() override { return BRICK_TRY(netlink())->ipv4_in_use(); }
  Result<bool> link_exists(const std::string& name) override {
    auto index = BRICK_TRY(netlink())->ifindex_of(name);
    if (index) return true;
    if (index.error().errno_value() == ENODEV) return false;
    return fail(index.error());
  }
  Status create_bridge(const std::string& name, int mtu, Ipv4 gateway, const Prefix& subnet) override {
    LinkGuard guard = BRICK_TRY(BRICK_TRY(netlink())->create_bridge(name, mtu, gateway, subnet));
    // The store undoes it through delete_link if a later step fails.
    guard.keep();
    return {};
  }
  Status delete_link(const std::string& name) override {
    Netlink* nl = BRICK_TRY(netlink());
    auto index = nl->ifindex_of(name);
    if (!index) return index.error().errno_value() == ENODEV ? Status{} : fail(index.error());
    return nl->delete_link(*index);
  }
  Status setup_rules(const Network& network) override {
    NetworkNat nat = BRICK_TRY(NetworkNat::setup(run_root_, network));
    // The store undoes it through teardown_rules if a later step fails.
    nat.keep();
    return {};
  }
  Status teardown_rules(const Network& network) override { return teardown_network_nat(run_root_, network.bridge); }

 private:
  std::string run_root_;
  Result<Netlink*> netlink() {
    if (!netlink_) netlink_ = BRICK_TRY_CTX(Netlink::open(), "opening rtnetlink");
    return &*netlink_;
  }
  std::optional<Netlink> netlink_;
};

}  // namespace

Status NetworkHost::write_record(const std::string& path, std::string_view data) {
  return write_file_atomic(path, data);
}

std::shared_ptr<NetworkHost> kernel_host(const std::string& run_root) { return std::make_shared<KernelHost>(run_root); }

bool valid_network_name(std::string_view name) {
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// A stored record's option was checked when the network was made.
int Network::mtu() const { return mtu_option(options).value_or(0); }

nlohmann::json Network::to_json() const {
  nlohmann::json json = {{"Name", name},     {"Id", id},           {"Created", created},
                         {"Driver", driver}, {"Bridge", bridge},   {"Internal", internal},
                         {"Labels", labels}, {"Options", options}, {"IPAM", ipam ? ipam->to_json() : nlohmann::json()}};
  if (!last_addresses.empty()) {
    nlohmann::json& last = json["LastAddresses"] = nlohmann::json::object();
    for (const auto& [owner, address] : last_addresses) last[owner] = format_ipv4(address);
  }
  return json;
}

Result<Network> Network::from_json(const nlohmann::json& json) {
  if (!json.is_object()) return fail("not a JSON object");
  Network n;
  n.name = BRICK_TRY(string_field(json, "Name"));
  n.id = BRICK_TRY(string_field(json, "Id"));
  n.created = BRICK_TRY(string_field(json, "Created"));
  n.driver = BRICK_TRY(string_field(json, "Driver"));
  n.bridge = BRICK_TRY(string_field(json, "Bridge"));
  auto internal = json.find("Internal");
  n.internal = internal != json.end() && internal->is_boolean() && internal->get<bool>();
  n.labels = BRICK_TRY(string_map(json, "Labels"));
  n.options = BRICK_TRY(string_map(json, "Options"));
  auto ipam = json.find("IPAM");
  if (ipam == json.end()) return fail("field `IPAM` missing");
  n.ipam = BRICK_TRY_CTX(SubnetAllocator::from_json(*ipam), "field `IPAM`");
  for (const auto& [owner, address] : BRICK_TRY(string_map(json, "LastAddresses")))
    n.last_addresses[owner] = BRICK_TRY_CTX(parse_ipv4(address), "field `LastAddresses." + owner + "`");
  return n;
}

nlohmann::json inspect_json(const Network& n) {
  nlohmann::json config = nlohmann::json::object();
  if (n.ipam) {
    nlohmann::json state = n.ipam->to_json();
    config["Subnet"] = n.ipam->subnet().str();
    config["Gateway"] = format_ipv4(n.ipam->gateway());
    if (state.contains("ip_range")) config["IPRange"] = state["ip_range"];
    if (!state["aux_addresses"].empty()) config["AuxiliaryAddresses"] = state["aux_addresses"];
  }
  return {{"Name", n.name},
          {"Id", n.id},
          {"Created", n.created},
          {"Scope", "local"},
          {"Driver", n.driver},
          {"EnableIPv6", false},
          {"IPAM", {{"Driver", "default"}, {"Options", nlohmann::json::object()}, {"Config", {config}}}},
          {"Internal", n.internal},
          {"Attachable", false},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", nlohmann::json::object()},
          {"Options", n.options},
          {"Labels", n.labels}};
}

Result<NetworkStore> NetworkStore::open(const std::string& root, std::shared_ptr<NetworkHost> host,
                                        std::vector<Pool> pools) {
  std::string dir = root + "/networks";
  for (const std::string& d : {root, dir})
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating `" + d + "`");
  if (pools.empty()) pools = default_pools();
  return NetworkStore(std::move(dir), std::move(host), std::move(pools));
}

Result<Network> NetworkStore::read_record(const std::string& name) const {
  std::string path = record_path(name);
  std::string text = BRICK_TRY(read_file(path));
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return fail("reading network record `" + path + "`: not valid JSON; remove it by hand");
  return BRICK_TRY_CTX(Network::from_json(json), "reading network record `" + path + "`");
}

Result<std::vector<Network>> NetworkStore::list() const {
  struct CloseDir {
    void operator()(DIR* d) const { ::closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> d(::opendir(dir_.c_str()));
  if (!d) return fail_errno("listing `" + dir_ + "`");
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d.get())) {
    std::string_view file = e->d_name;
    if (file.size() > 5 && file.ends_with(".json")) names.emplace_back(file.substr(0, file.size() - 5));
  }
  d.reset();
  std::sort(names.begin(), names.end());
  std::vector<Network> out;
  for (const auto& name : names) {
    auto record = read_record(name);
    // A record removed between readdir and read is simply gone.
    if (!record && record.error().errno_value() == ENOENT) continue;
    if (!record) return fail(record.error());
    out.push_back(std::move(*record));
  }
  return out;
}

Result<Network> NetworkStore::get(const std::string& name_or_id) const {
  auto all = BRICK_TRY(list());
  std::vector<const Network*> by_prefix;
  for (const auto& n : all) {
    if (n.name == name_or_id || n.id == name_or_id) return n;
    if (!name_or_id.empty() && n.id.starts_with(name_or_id)) by_prefix.push_back(&n);
  }
  if (by_prefix.size() == 1) return *by_prefix.front();
  if (by_prefix.size() > 1)
    return fail(Error("network ID prefix `" + name_or_id + "` is ambiguous: give more of the ID or the name", EINVAL));
  return fail(Error("network `" + name_or_id + "` not found: `brick network ls` lists them", ENOENT));
}

Result<Network> NetworkStore::plan(const NetworkSpec& spec, const std::vector<Network>& others) {
  if (!valid_network_name(spec.name))
    return fail("invalid network name `" + spec.name +
                "`: use letters, digits, `_`, `.` and `-`, starting with a "
                "letter or digit");
  if (spec.driver != "bridge") return fail("driver `" + spec.driver + "` is not supported: brick has only `bridge`");
  for (const auto& o : others)
    if (o.name == spec.name) return fail(Error("network `" + spec.name + "` already exists", EEXIST));

  Network n;
  n.name = spec.name;
  n.id = BRICK_TRY_CTX(random_hex(32), "choosing a network ID");
  n.created = now_rfc3339();
  n.internal = spec.internal;
  n.labels = spec.labels;
  n.options = spec.options;

  BRICK_TRY(mtu_option(n.options));
  if (auto it = spec.options.find(kBridgeNameOption); it != spec.options.end()) {
    n.bridge = it->second;
    if (!valid_ifname(n.bridge))
      return fail("option " + std::string(kBridgeNameOption) + "=`" + n.bridge +
                  "` is not an interface name (at most 15 characters, no `/`, `:` or spaces)");
    for (const auto& o : others)
      if (o.bridge == n.bridge)
        return fail("bridge `" + n.bridge + "` already belongs to network `" + o.name + "`: choose another name");
  } else {
    n.bridge = "br-" + n.id.substr(0, 12);  // 15 characters: fits IFNAMSIZ
  }

  SubnetConfig config;
  std::vector<Prefix> taken;
  for (const auto& o : others)
    if (o.ipam) taken.push_back(o.ipam->subnet());
  if (spec.subnet.empty()) {
    if (!spec.gateway.empty() || !spec.ip_range.empty() || !spec.aux_addresses.empty())
      return fail("--gateway, --ip-range and --aux-address need --subnet");
    std::vector<Prefix> in_use = taken;
    auto host = BRICK_TRY_CTX(host_->prefixes_in_use(), "listing the host's addresses and routes");
    in_use.insert(in_use.end(), host.begin(), host.end());
    config.subnet = BRICK_TRY_CTX(choose_subnet(pools_, in_use), "choosing a subnet");
  } else {
    config.subnet = BRICK_TRY_CTX(parse_prefix(spec.subnet), "subnet `" + spec.subnet + "`");
    for (const auto& o : others)
      if (o.ipam && overlaps(o.ipam->subnet(), config.subnet))
        return fail("subnet " + config.subnet.str() + " overlaps network `" + o.name + "` (" + o.ipam->subnet().str() +
                    "): choose another subnet");
  }
  if (!spec.gateway.empty()) config.gateway = BRICK_TRY_CTX(parse_ipv4(spec.gateway), "gateway `" + spec.gateway + "`");
  if (!spec.ip_range.empty())
    config.ip_range = BRICK_TRY_CTX(parse_prefix(spec.ip_range), "ip-range `" + spec.ip_range + "`");
  for (const auto& [key, value] : spec.aux_addresses)
    config.aux_addresses[key] = BRICK_TRY_CTX(parse_ipv4(value), "aux address `" + key + "=" + value + "`");
  n.ipam = BRICK_TRY(SubnetAllocator::create(config));
  return n;
}

Result<Network> NetworkStore::create(const NetworkSpec& spec) {
  auto run = [&]() -> Result<Network> {
    FileLock lock = BRICK_TRY(FileLock::acquire(dir_ + "/lock"));
    auto others = BRICK_TRY(list());
    Network n = BRICK_TRY(plan(spec, others));
    const std::string record = json_text(n.to_json(), 2) + "\n";
    if (BRICK_TRY_CTX(host_->link_exists(n.bridge), "looking for bridge `" + n.bridge + "`"))
      return fail(Error("bridge `" + n.bridge +
                            "` already exists but belongs to no brick network: delete it (`ip link del " + n.bridge +
                            "`) or choose another bridge name",
                        EEXIST));
    // The record first: brick killed at any later point leaves a record that
    // names what may exist, so `rm`/`down` remove it and ensure() completes it.
    BRICK_TRY_CTX(host_->write_record(record_path(n.name), record), "writing the record");
    ScopeExit undo_record([&] { ::unlink(record_path(n.name).c_str()); });
    BRICK_TRY_CTX(host_->create_bridge(n.bridge, n.mtu(), n.ipam->gateway(), n.ipam->subnet()),
                  "creating bridge `" + n.bridge + "`");
    // From here on a failure must take the bridge back out (before the record).
    ScopeExit undo([&] { (void)host_->delete_link(n.bridge); });
    BRICK_TRY(host_->setup_rules(n));
    undo.release();
    undo_record.release();
    return n;
  };
  return BRICK_TRY_CTX(run(), "creating network `" + spec.name + "`");
}

void NetworkStore::sweep_locked() const {
  // A brick killed while writing a record (write_file_atomic) left its temp
  // file; every writer holds the lock our caller holds, so none is being
  // written now.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec))
    if (entry.path().filename().string().find(".json.tmp-") != std::string::npos)
      std::filesystem::remove(entry.path(), ec);
}

Status NetworkStore::sweep() {
  FileLock lock = BRICK_TRY(FileLock::acquire(dir_ + "/lock"));
  sweep_locked();
  return {};
}

Status NetworkStore::ensure(const std::string& name_or_id) {
  FileLock lock = BRICK_TRY(FileLock::acquire(dir_ + "/lock"));
  Network n = BRICK_TRY(get(name_or_id));
  const std::string what = "completing network `" + n.name + "`";
  if (BRICK_TRY_CTX(host_->link_exists(n.bridge), what)) return {};
  BRICK_TRY_CTX(host_->create_bridge(n.bridge, n.mtu(), n.ipam->gateway(), n.ipam->subnet()), what);
  ScopeExit undo([&] { (void)host_->delete_link(n.bridge); });
  BRICK_TRY_CTX(host_->setup_rules(n), what);
  undo.release();
  return {};
}

Result<Network> NetworkStore::update(const std::string& name_or_id, const std::function<Status(Network&)>& change) {
  FileLock lock = BRICK_TRY(FileLock::acquire(dir_ + "/lock"));
  Network n = BRICK_TRY(get(name_or_id));
  BRICK_TRY(change(n));
  const std::string record = json_text(n.to_json(), 2) + "\n";
  BRICK_TRY_CTX(host_->write_record(record_path(n.name), record), "writing the record of network `" + n.name + "`");
  return n;
}

Status NetworkStore::remove_locked(const Network& n) {
  // Rules first: while they stand the bridge and record still name them, so a
  // failure here leaves a network `rm` can retry.
  BRICK_TRY(host_->teardown_rules(n));
  BRICK_TRY_CTX(host_->delete_link(n.bridge), "deleting bridge `" + n.bridge + "`");
  std::string path = record_path(n.name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("removing `" + path + "`");
  sweep_locked();
  return {};
}

Result<std::string> NetworkStore::remove(const std::string& name_or_id, const InUse& in_use) {
  auto run = [&]() -> Result<std::string> {
    FileLock lock = BRICK_TRY(FileLock::acquire(dir_ + "/lock"));
    Network n = BRICK_TRY(get(name_or_id));
    if (in_use && in_use(n.name))
      return fail(
          Error("network " + n.name + " has active endpoints: remove the containers attached to it first", EBUSY));
    BRICK_TRY(remove_locked(n));
    return n.name;
  };
  return BRICK_TRY_CTX(run(), "removing network `" + name_or_id + "`");
}

Result<std::vector<std::string>> NetworkStore::prune(const InUse& in_use) {
  FileLock lock = BRICK_TRY(FileLock::acquire(dir_ + "/lock"));
  std::vector<std::string> removed;
  std::vector<Network> all = BRICK_TRY(list());
  for (const auto& n : all) {
    if (in_use && in_use(n.name)) continue;
    BRICK_TRY_CTX(remove_locked(n), "pruning network `" + n.name + "`");
    removed.push_back(n.name);
  }
  return removed;
}

}  // namespace brick::net
