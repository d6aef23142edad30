// A container's /etc/hosts and /etc/resolv.conf: pure functions that build
// their text, and a writer that rewrites a file in place, because the files
// are bind-mounted into the container and a rename would leave the container
// looking at the old inode.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace brick::net {

// One /etc/hosts line: an address and the names that resolve to it.
struct HostEntry {
  std::string address;
  std::vector<std::string> names;
  bool operator==(const HostEntry&) const = default;
};

struct HostsSpec {
  std::string hostname;
  std::string domainname;  // compose `domainname`: adds hostname.domainname
  // The container's own addresses, one per network: the first one carries
  // the hostname (and any names given with it).
  std::vector<HostEntry> own;
  // Every other container on the container's networks: its address on the
  // shared network and its service name, aliases, container name and hostname.
  std::vector<HostEntry> peers;
  std::vector<HostEntry> extra_hosts;  // compose `extra_hosts`, parse_extra_host
};

// The file: docker's localhost and IPv6 lines, extra_hosts (first, so they
// win, as in docker), the container's own addresses with its hostname, then
// the peers. Duplicate names on one line are dropped; an entry without names
// is left out.
std::string hosts_file(const HostsSpec& spec);

// compose `extra_hosts` / `--add-host`: "name:address" or "name=address"
// (IPv6 addresses keep their colons: "name:::1", "name=::1"); the special
// address `host-gateway` is replaced by `host_gateway` (empty: an error;
// kHostGateway: kept as the word, for resolve_host_gateway once the
// container's networks are joined).
Result<HostEntry> parse_extra_host(std::string_view text, std::string_view host_gateway = {});

// The address that stands for the host as the container sees it.
inline constexpr std::string_view kHostGateway = "host-gateway";

// Whether any entry still has the address `host-gateway`.
bool needs_host_gateway(const std::vector<HostEntry>& entries);
// Replaces the address `host-gateway` by `gateway`; fails, naming the entry,
// when `gateway` is empty (a container without a network).
Status resolve_host_gateway(std::vector<HostEntry>& entries, std::string_view gateway);

struct DnsSpec {
  std::vector<std::string> servers;  // compose `dns`: replaces the host's nameservers
  std::vector<std::string> search;   // `dns_search`: replaces the host's search
  std::vector<std::string> options;  // `dns_opt`: replaces same-named host options, adds others
  bool operator==(const DnsSpec&) const = default;
};

// resolv.conf for a container from the host's text: nameservers on loopback
// (127.0.0.0/8, ::1, as systemd-resolved's 127.0.0.53) cannot be reached from
// another network namespace and are dropped; when none remain the file says
// so in a comment and has no nameserver (brick never invents a public one).
std::string resolv_conf(std::string_view host_resolv, const DnsSpec& dns);

// Replaces the contents of an existing file without replacing its inode:
// writes from offset 0, then truncates to the new length, so a reader sees
// the old text, the new text, or the new text with an old tail, never an
// empty file. Creates the file (mode 0644) when missing.
Status rewrite_in_place(const std::string& path, std::string_view data);

}  // namespace brick::net
