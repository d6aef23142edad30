#include "net/nat.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "base/scope_exit.hpp"
#include "base/strings.hpp"
#include "base/unique_fd.hpp"
#include "net/lazy_nftables.hpp"

namespace brick::net {
namespace {

std::string hash12(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a: stable across processes
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, 12);
}

std::string network_chain(const std::string& bridge, const char* suffix) {
  return "n_" + hash12(bridge) + "_" + suffix;
}
std::string ports_chain(const std::string& owner, const char* suffix) { return "p_" + hash12(owner) + "_" + suffix; }

// One libnftables context; commands run as one transaction per call.
class Nft {
 public:
  static Result<Nft> open() {
    BRICK_TRY(libnftables().load());
    std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx(nft_ctx_new(NFT_CTX_DEFAULT), nft_ctx_free);
    if (!ctx) return fail(Error("creating an nftables context", ENOMEM));
    if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0)
      return fail(Error("buffering nftables output", ENOMEM));
    return Nft(std::move(ctx));
  }
  Result<std::string> run(const std::string& commands, bool json = false) {
    nft_ctx_output_set_flags(ctx_.get(), json ? NFT_CTX_OUTPUT_JSON : 0);
    if (nft_run_cmd_from_buffer(ctx_.get(), commands.c_str()) != 0) {
      std::string err = trim(nft_ctx_get_error_buffer(ctx_.get())).data();
      return fail(Error("nftables: " + std::string(trim(err))));
    }
    return std::string(nft_ctx_get_output_buffer(ctx_.get()));
  }

 private:
  explicit Nft(std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx) : ctx_(std::move(ctx)) {}
  std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx_;
};

// What the brick table holds now.
struct TableState {
  bool exists = false;
  std::set<std::string> chains;
  std::set<std::string> bridges;  // elements of the `bridges` set
};

Result<TableState> table_state(Nft& nft) {
  std::string text = BRICK_TRY(nft.run("list ruleset ip", true));
  TableState state;
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.contains("nftables")) return state;
  for (const auto& item : json["nftables"]) {
    if (auto t = item.find("table"); t != item.end() && t->value("name", "") == kNatTable) state.exists = true;
    if (auto c = item.find("chain"); c != item.end() && c->value("table", "") == kNatTable)
      state.chains.insert(c->value("name", ""));
    if (auto s = item.find("set"); s != item.end() && s->value("table", "") == kNatTable && s->contains("elem"))
      for (const auto& e : (*s)["elem"])
        if (e.is_string()) state.bridges.insert(e.get<std::string>());
  }
  return state;
}

// Deletes chains (and a bridge's set element) that exist, then the table
// when no chain is left. Caller holds the lock.
Status delete_chains(Nft& nft, const std::vector<std::string>& chains, const std::string& bridge = {}) {
  TableState state = BRICK_TRY(table_state(nft));
  if (!state.exists) return {};
  std::string batch;
  for (const auto& c : chains)
    if (state.chains.erase(c)) batch += "flush chain ip brick " + c + "\ndelete chain ip brick " + c + "\n";
  if (!bridge.empty() && state.bridges.count(bridge))
    batch += "delete element ip brick bridges { \"" + bridge + "\" }\n";
  if (state.chains.empty()) batch += "delete table ip brick\n";
  if (!batch.empty()) BRICK_TRY(nft.run(batch));
  return {};
}

Result<FileLock> nat_lock(const std::string& run_root) {
  if (::mkdir(run_root.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating `" + run_root + "`");
  return FileLock::acquire(run_root + "/nat.lock");
}

Status write_sysctl(const std::string& path, const char* value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), value, std::strlen(value)) < 0) return fail_errno("writing `" + path + "`");
  return {};
}

// Bridge names go into nft's grammar inside quotes.
Status check_ifname(const std::string& name) {
  if (name.empty() || name.find_first_of("\"\\ \t\n") != std::string::npos)
    return fail("bridge name `" + name + "` cannot be used in an nftables rule");
  return {};
}

// --- published ports ---

struct Reservation {
  std::string file;
  std::string owner;
  PublishedPort port;
  std::string container;  // its address
};

std::string ports_dir(const std::string& run_root) { return run_root + "/ports"; }

Result<std::vector<Reservation>> read_reservations(const std::string& run_root) {
  std::vector<Reservation> out;
  std::string dir = ports_dir(run_root);
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) {
    if (errno == ENOENT) return out;
    return fail_errno("listing `" + dir + "`");
  }
  while (dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name.find(".tmp") != std::string::npos) continue;
    auto text = read_file(dir + "/" + name);
    if (!text) continue;  // removed meanwhile
    auto json = nlohmann::json::parse(*text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) continue;
    Reservation r;
    r.file = dir + "/" + name;
    r.owner = json.value("owner", "");
    r.port.host_ip = json.value("host_ip", "");
    r.port.host_port = json.value("host_port", 0);
    r.port.container_port = json.value("container_port", 0);
    r.port.protocol = json.value("protocol", "tcp");
    r.container = json.value("container", "");
    out.push_back(std::move(r));
  }
  return out;
}

bool clashes(const PublishedPort& a, const PublishedPort& b) {
  return a.protocol == b.protocol && a.host_port == b.host_port &&
         (a.host_ip == b.host_ip || a.host_ip == "0.0.0.0" || b.host_ip == "0.0.0.0");
}

// Whether a process on the host could take the port now: a socket bound to
// it. SO_REUSEADDR for TCP so a connection in TIME_WAIT does not count.
// Returns the bound port (for port 0: the kernel's choice) or the errno.
Result<uint16_t> try_bind(const std::string& ip, uint16_t port, const std::string& protocol) {
  UniqueFd fd(::socket(AF_INET, (protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("creating a socket");
  int one = 1;
  if (protocol == "tcp") ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return fail(Error::from_errno("host port " + ip + ":" + std::to_string(port) + "/" + protocol));
  socklen_t len = sizeof sa;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0) return fail_errno("getsockname");
  return ntohs(sa.sin_port);
}

// Why `port` cannot be taken, or "" when it can.
std::string unavailable(const PublishedPort& port, const std::vector<Reservation>& held) {
  for (const auto& r : held)
    if (clashes(port, r.port))
      return "host port " + std::to_string(port.host_port) + "/" + port.protocol + " is already published by `" +
             r.owner + "` (" + format_published(r.port) + ")";
  auto bound = try_bind(port.host_ip, port.host_port, port.protocol);
  if (!bound) {
    if (bound.error().errno_value() == EADDRINUSE)
      return "host port " + port.host_ip + ":" + std::to_string(port.host_port) + "/" + port.protocol +
             " is already in use by another program";
    return bound.error().message();
  }
  return "";
}

Status remove_ports_locked(Nft& nft, const std::string& run_root, const std::string& owner) {
  BRICK_TRY(delete_chains(nft, {ports_chain(owner, "pre"), ports_chain(owner, "out")}));
  for (const auto& r : BRICK_TRY(read_reservations(run_root)))
    if (r.owner == owner && ::unlink(r.file.c_str()) != 0 && errno != ENOENT)
      return fail_errno("removing `" + r.file + "`");
  return {};
}

}  // namespace

// --- networks ---

Result<NetworkNat> NetworkNat::setup(const std::string& run_root, const Network& n) {
  const std::string what = "setting up NAT for network `" + n.name + "`";
  auto rules = [&]() -> Status {
    BRICK_TRY(check_ifname(n.bridge));
    if (!n.ipam) return fail("the network has no subnet");
    FileLock lock = BRICK_TRY(nat_lock(run_root));
    Nft nft = BRICK_TRY(Nft::open());
    const std::string b = "\"" + n.bridge + "\"";
    const std::string post = network_chain(n.bridge, "post"), fwd = network_chain(n.bridge, "fwd"),
                      raw = network_chain(n.bridge, "raw");
    // One transaction: it applies whole or not at all. `add` of what exists
    // is a no-op and the flushes drop an earlier setup's rules, so running
    // it twice leaves one copy.
    std::string batch = "add table ip brick\n";
    batch += "add set ip brick bridges { type ifname; }\n";
    batch += "add element ip brick bridges { " + b + " }\n";
    batch += "add chain ip brick " + post + " { type nat hook postrouting priority 100; policy accept; }\n";
    batch += "flush chain ip brick " + post + "\n";
    batch += "add chain ip brick " + fwd + " { type filter hook forward priority 0; policy accept; }\n";
    batch += "flush chain ip brick " + fwd + "\n";
    batch += "add chain ip brick " + raw + " { type filter hook prerouting priority raw; policy accept; }\n";
    batch += "flush chain ip brick " + raw + "\n";
    // CVE-2020-8558: with route_localnet=1 the host accepts packets from the
    // bridge to and from 127.0.0.0/8, and a container with NET_RAW can send
    // them, reaching every host service bound to 127.0.0.1. Nothing from a
    // container legitimately carries a loopback address: replies to a
    // published port's loopback client are addressed to the gateway (the
    // masquerade below) and only conntrack turns them back into 127.0.0.1,
    // in the nat hook at -100, after this chain at raw (-300).
    batch += "add rule ip brick " + raw + " iifname " + b + " ip daddr 127.0.0.0/8 drop\n";
    batch += "add rule ip brick " + raw + " iifname " + b + " ip saddr 127.0.0.0/8 drop\n";
    if (!n.internal)
      batch +=
          "add rule ip brick " + post + " ip saddr " + n.ipam->subnet().str() + " oifname != " + b + " masquerade\n";
    batch += "add rule ip brick " + post + " oifname " + b + " ip saddr 127.0.0.0/8 masquerade\n";
    if (n.internal) {
      batch += "add rule ip brick " + fwd + " iifname " + b + " oifname != " + b + " drop\n";
      batch += "add rule ip brick " + fwd + " oifname " + b + " iifname != " + b + " drop\n";
    } else {
      batch += "add rule ip brick " + fwd + " iifname " + b + " oifname != " + b + " oifname @bridges drop\n";
    }
    BRICK_TRY(nft.run(batch));
    return {};
  };
  BRICK_TRY_CTX(rules(), what);
  // Made after the lock is gone: its destructor takes the lock itself.
  NetworkNat owner(run_root, n.bridge);
  // An internal network turns it on only when a port is published on it
  // (allow_loopback_publishing): less to guard where nothing needs it.
  if (!n.internal) {
    BRICK_TRY_CTX(allow_loopback_publishing(n.bridge), what);
    BRICK_TRY_CTX(write_sysctl("/proc/sys/net/ipv4/ip_forward", "1"), what);
  }
  return owner;
}

Status allow_loopback_publishing(const std::string& bridge) {
  if (bridge.empty() || bridge == "." || bridge == ".." || bridge.find('/') != std::string::npos)
    return fail("bridge name `" + bridge + "` is not an interface name");
  return write_sysctl("/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet", "1");
}

NetworkNat::NetworkNat(NetworkNat&& other) noexcept
    : run_root_(std::move(other.run_root_)),
      bridge_(std::move(other.bridge_)),
      active_(std::exchange(other.active_, false)) {}

NetworkNat::~NetworkNat() { (void)remove(); }

Status NetworkNat::remove() {
  if (!active_) return {};
  active_ = false;
  return teardown_network_nat(run_root_, bridge_);
}

Status teardown_network_nat(const std::string& run_root, const std::string& bridge) {
  auto run = [&]() -> Status {
    FileLock lock = BRICK_TRY(nat_lock(run_root));
    Nft nft = BRICK_TRY(Nft::open());
    return delete_chains(
        nft, {network_chain(bridge, "post"), network_chain(bridge, "fwd"), network_chain(bridge, "raw")}, bridge);
  };
  BRICK_TRY_CTX(run(), "removing NAT rules of bridge `" + bridge + "`");
  return {};
}

// --- ports ---

Result<PortForwards> PortForwards::publish(const std::string& run_root, const std::string& owner, Ipv4 container,
                                           const std::vector<PortMapping>& mappings) {
  PortForwards result(run_root, owner);
  auto run = [&]() -> Status {
    FileLock lock = BRICK_TRY(nat_lock(run_root));
    Nft nft = BRICK_TRY(Nft::open());
    std::vector<Reservation> held = BRICK_TRY(read_reservations(run_root));
    std::erase_if(held, [&](const Reservation& r) { return r.owner == owner; });  // a stale earlier run
    BRICK_TRY(remove_ports_locked(nft, run_root, owner));
    std::vector<PublishedPort> ports;
    for (const auto& m : mappings) {
      PublishedPort p;
      p.host_ip = m.host_ip.empty() ? "0.0.0.0" : m.host_ip;
      p.container_port = m.container_port;
      p.protocol = m.protocol;
      in_addr probe{};
      if (::inet_pton(AF_INET, p.host_ip.c_str(), &probe) != 1)
        return fail("host address `" + p.host_ip + "`: only IPv4 addresses can be published");
      if (m.host_port == 0) {
        // The kernel's ephemeral choice, checked against brick's own.
        std::string why = "no free port";
        for (int attempt = 0; attempt < 64 && p.host_port == 0; ++attempt) {
          PublishedPort candidate = p;
          candidate.host_port = BRICK_TRY(try_bind(p.host_ip, 0, p.protocol));
          why = unavailable(candidate, held);
          if (why.empty()) p.host_port = candidate.host_port;
        }
        if (p.host_port == 0) return fail("choosing a random host port: " + why);
      } else {
        uint16_t last = std::max(m.host_port, m.host_port_last);
        std::string why;
        for (uint32_t port = m.host_port; port <= last && p.host_port == 0; ++port) {
          PublishedPort candidate = p;
          candidate.host_port = static_cast<uint16_t>(port);
          why = unavailable(candidate, held);
          if (why.empty()) p.host_port = candidate.host_port;
        }
        if (p.host_port == 0)
          return fail(Error(last == m.host_port ? why
                                                : "no free port in " + std::to_string(m.host_port) + "-" +
                                                      std::to_string(last) + ": " + why,
                            EADDRINUSE));
      }
      held.push_back(Reservation{"", owner, p, format_ipv4(container)});
      ports.push_back(p);
    }

    // Reservations, then the rules; a failure takes both back out.
    ScopeExit undo([&] { (void)remove_ports_locked(nft, run_root, owner); });
    if (::mkdir(ports_dir(run_root).c_str(), 0700) != 0 && errno != EEXIST)
      return fail_errno("creating `" + ports_dir(run_root) + "`");
    for (const auto& p : ports) {
      nlohmann::json json = {{"owner", owner},           {"host_ip", p.host_ip},
                             {"host_port", p.host_port}, {"container_port", p.container_port},
                             {"protocol", p.protocol},   {"container", format_ipv4(container)}};
      std::string file = ports_dir(run_root) + "/" + p.protocol + "-" + p.host_ip + "-" + std::to_string(p.host_port);
      BRICK_TRY(write_file_atomic(file, json.dump() + "\n", 0600));
    }
    const std::string pre = ports_chain(owner, "pre"), out = ports_chain(owner, "out");
    std::string batch = "add table ip brick\nadd chain ip brick " + pre +
                        " { type nat hook prerouting priority -100; policy accept; }\n"
                        "add chain ip brick " +
                        out + " { type nat hook output priority -100; policy accept; }\n";
    for (const auto& p : ports) {
      std::string match = p.host_ip == "0.0.0.0" ? "fib daddr type local" : "ip daddr " + p.host_ip;
      std::string rule = match + " " + p.protocol + " dport " + std::to_string(p.host_port) + " dnat to " +
                         format_ipv4(container) + ":" + std::to_string(p.container_port) + "\n";
      batch += "add rule ip brick " + pre + " " + rule;
      batch += "add rule ip brick " + out + " " + rule;
    }
    BRICK_TRY(nft.run(batch));
    undo.release();
    result.ports_ = std::move(ports);
    return {};
  };
  auto done = run();
  if (!done) {
    result.active_ = false;  // run() undid what it made
    return fail(done.error().context("publishing ports of `" + owner + "`"));
  }
  return result;
}

PortForwards::PortForwards(PortForwards&& other) noexcept
    : run_root_(std::move(other.run_root_)),
      owner_(std::move(other.owner_)),
      ports_(std::move(other.ports_)),
      active_(std::exchange(other.active_, false)) {}

PortForwards::~PortForwards() { (void)remove(); }

Status PortForwards::remove() {
  if (!active_) return {};
  active_ = false;
  return unpublish_ports(run_root_, owner_);
}

Status unpublish_ports(const std::string& run_root, const std::string& owner) {
  auto run = [&]() -> Status {
    FileLock lock = BRICK_TRY(nat_lock(run_root));
    // publish() writes the reservations before it makes the chains, and
    // removal deletes the chains first: an owner without reservations has no
    // chains either. Most containers publish nothing, so this skips loading
    // libnftables and listing the ruleset under the lock on every start
    // and stop.
    std::vector<Reservation> held = BRICK_TRY(read_reservations(run_root));
    if (std::none_of(held.begin(), held.end(), [&](const Reservation& r) { return r.owner == owner; })) return {};
    Nft nft = BRICK_TRY(Nft::open());
    return remove_ports_locked(nft, run_root, owner);
  };
  BRICK_TRY_CTX(run(), "removing published ports of `" + owner + "`");
  return {};
}

Result<std::vector<PublishedPort>> published_ports(const std::string& run_root, const std::string& owner) {
  std::vector<PublishedPort> out;
  for (const auto& r : BRICK_TRY(read_reservations(run_root)))
    if (r.owner == owner) out.push_back(r.port);
  std::sort(out.begin(), out.end(), [](const PublishedPort& a, const PublishedPort& b) {
    return std::tie(a.container_port, a.protocol, a.host_ip) < std::tie(b.container_port, b.protocol, b.host_ip);
  });
  return out;
}

Result<std::string> nat_table_text() {
  Nft nft = BRICK_TRY(Nft::open());
  TableState state = BRICK_TRY(table_state(nft));
  if (!state.exists) return std::string();
  return nft.run("list table ip brick");
}

}  // namespace brick::net
