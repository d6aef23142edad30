#include "net/resolv.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/strings.hpp"
#include "base/unique_fd.hpp"

namespace brick::net {
namespace {

void add_line(std::string& out, const HostEntry& entry) {
  std::vector<std::string> names;
  for (const auto& name : entry.names)
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  if (names.empty() || entry.address.empty()) return;
  out += entry.address + "\t" + join(names, " ") + "\n";
}

bool valid_address(std::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool loopback(std::string_view address) {
  // A scoped IPv6 address ("fe80::1%eth0") is link-local to the host and no
  // more reachable from a container than loopback is.
  if (address.find('%') != std::string_view::npos) return true;
  std::string s(address);
  unsigned char buf[16];
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1) return buf[0] == 127;
  if (::inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::equal(buf, buf + 16, one);
  }
  return false;
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  for (auto& w : split(line, ' '))
    for (auto& v : split(w, '\t'))
      if (!v.empty()) out.push_back(v);
  return out;
}

std::string option_key(const std::string& option) { return option.substr(0, option.find(':')); }

}  // namespace

std::string hosts_file(const HostsSpec& spec) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  for (const auto& e : spec.extra_hosts) add_line(out, e);
  bool first = true;
  for (const auto& e : spec.own) {
    HostEntry entry = e;
    if (first && !spec.hostname.empty()) {
      std::vector<std::string> names;
      if (!spec.domainname.empty()) names.push_back(spec.hostname + "." + spec.domainname);
      names.push_back(spec.hostname);
      entry.names.insert(entry.names.begin(), names.begin(), names.end());
    }
    first = false;
    add_line(out, entry);
  }
  for (const auto& e : spec.peers) add_line(out, e);
  return out;
}

Result<HostEntry> parse_extra_host(std::string_view text, std::string_view host_gateway) {
  const std::string what = "extra host `" + std::string(text) + "`";
  size_t sep = text.find('=');
  if (sep == std::string_view::npos) sep = text.find(':');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 >= text.size())
    return fail(Error(what + ": expected NAME:ADDRESS or NAME=ADDRESS", EINVAL));
  std::string name(trim(text.substr(0, sep)));
  std::string address(trim(text.substr(sep + 1)));
  // docker accepts "name:[::1]".
  if (address.size() > 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  if (name.empty() || name.find_first_of(" \t\n#") != std::string::npos)
    return fail(Error(what + ": `" + name + "` is not a host name", EINVAL));
  if (address == kHostGateway) {
    if (host_gateway.empty()) return fail(Error(what + ": no host gateway address is known here", EINVAL));
    if (host_gateway == kHostGateway) return HostEntry{address, {name}};
    address = std::string(host_gateway);
  }
  if (!valid_address(address)) return fail(Error(what + ": `" + address + "` is not an IP address", EINVAL));
  return HostEntry{address, {name}};
}

bool needs_host_gateway(const std::vector<HostEntry>& entries) {
  return std::any_of(entries.begin(), entries.end(), [](const HostEntry& e) { return e.address == kHostGateway; });
}

Status resolve_host_gateway(std::vector<HostEntry>& entries, std::string_view gateway) {
  for (HostEntry& e : entries) {
    if (e.address != kHostGateway) continue;
    const std::string name = e.names.empty() ? std::string() : e.names.front();
    if (gateway.empty())
      return fail("extra host `" + name +
                  ":host-gateway`: the container has no network whose gateway stands for the host");
    e.address = std::string(gateway);
  }
  return {};
}

std::string resolv_conf(std::string_view host_resolv, const DnsSpec& dns) {
  std::vector<std::string> servers, search, options, dropped;
  for (const auto& raw : split(host_resolv, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    auto w = words(line);
    if (w.empty()) continue;
    if (w[0] == "nameserver" && w.size() >= 2) {
      if (loopback(w[1]))
        dropped.push_back(w[1]);
      else
        servers.push_back(w[1]);
    } else if ((w[0] == "search" || w[0] == "domain") && w.size() >= 2) {
      // The last search or domain line wins, as in resolv.conf(5).
      search.assign(w.begin() + 1, w.end());
    } else if (w[0] == "options") {
      options.insert(options.end(), w.begin() + 1, w.end());
    }
  }
  if (!dns.servers.empty()) servers = dns.servers;
  if (!dns.search.empty()) search = dns.search;
  for (const auto& opt : dns.options) {
    std::erase_if(options, [&](const std::string& o) { return option_key(o) == option_key(opt); });
    options.push_back(opt);
  }
  std::string out = "# Generated by brick from the host's resolv.conf\n";
  if (servers.empty()) {
    out += "# No nameserver: the host's (" + (dropped.empty() ? std::string("none") : join(dropped, ", ")) +
           ") are on its loopback, which a container cannot reach. Set `dns:` to name one.\n";
  }
  if (!search.empty()) out += "search " + join(search, " ") + "\n";
  for (const auto& s : servers) out += "nameserver " + s + "\n";
  if (!options.empty()) out += "options " + join(options, " ") + "\n";
  return out;
}

Status rewrite_in_place(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) return fail_errno("opening `" + path + "`");
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd.get(), data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("writing `" + path + "`");
    done += static_cast<size_t>(n);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(data.size())) != 0) return fail_errno("truncating `" + path + "`");
  return {};
}

}  // namespace brick::net
