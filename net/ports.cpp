#include "net/ports.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <charconv>
#include <optional>

namespace brick::net {
namespace {

struct Range {
  uint16_t first = 0, last = 0;
  size_t size() const { return static_cast<size_t>(last - first) + 1; }
};

Result<uint16_t> port_number(std::string_view text, const std::string& what) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
    return fail(Error(what + ": `" + std::string(text) + "` is not a port (1..65535)", EINVAL));
  return static_cast<uint16_t>(value);
}

Result<Range> port_range(std::string_view text, const std::string& what) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    uint16_t p = BRICK_TRY(port_number(text, what));
    return Range{p, p};
  }
  uint16_t first = BRICK_TRY(port_number(text.substr(0, dash), what));
  uint16_t last = BRICK_TRY(port_number(text.substr(dash + 1), what));
  if (last < first) return fail(Error(what + ": range `" + std::string(text) + "` ends before it starts", EINVAL));
  return Range{first, last};
}

Result<std::string> protocol_of(std::string_view text, const std::string& what) {
  if (text.empty() || text == "tcp") return std::string("tcp");
  if (text == "udp") return std::string("udp");
  return fail(Error(what + ": protocol `" + std::string(text) + "` is not supported (tcp or udp)", EINVAL));
}

Result<std::string> host_address(std::string_view text, const std::string& what) {
  std::string ip(text);
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  unsigned char buf[16];
  if (::inet_pton(AF_INET, ip.c_str(), buf) != 1 && ::inet_pton(AF_INET6, ip.c_str(), buf) != 1)
    return fail(Error(what + ": `" + ip + "` is not an IP address", EINVAL));
  return ip;
}

Result<std::vector<PortMapping>> combine(const std::string& host_ip, std::optional<Range> host, Range container,
                                         const std::string& protocol, const std::string& what) {
  std::vector<PortMapping> out;
  if (host && host->size() != container.size() && container.size() != 1)
    return fail(Error(what + ": host range and container range differ in length", EINVAL));
  for (size_t i = 0; i < container.size(); ++i) {
    PortMapping m;
    m.host_ip = host_ip;
    m.protocol = protocol;
    m.container_port = static_cast<uint16_t>(container.first + i);
    if (host && container.size() == 1 && host->size() > 1) {
      m.host_port = host->first;
      m.host_port_last = host->last;
    } else if (host) {
      m.host_port = static_cast<uint16_t>(host->first + i);
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

Result<std::vector<PortMapping>> parse_port_spec(std::string_view spec) {
  const std::string what = "port `" + std::string(spec) + "`";
  std::string_view rest = spec;
  std::string protocol = "tcp";
  if (size_t slash = rest.rfind('/'); slash != std::string_view::npos) {
    protocol = BRICK_TRY(protocol_of(rest.substr(slash + 1), what));
    rest = rest.substr(0, slash);
  }
  std::string host_ip;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:...
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return fail(Error(what + ": expected `[ADDRESS]:` before the ports", EINVAL));
    host_ip = BRICK_TRY(host_address(rest.substr(0, close + 1), what));
    rest = rest.substr(close + 2);
    if (rest.find(':') == std::string_view::npos)
      return fail(Error(what + ": expected HOST_PORT:CONTAINER_PORT after the address", EINVAL));
  }
  std::optional<Range> host;
  size_t last_colon = rest.rfind(':');
  std::string_view container_text = rest;
  if (last_colon != std::string_view::npos) {
    container_text = rest.substr(last_colon + 1);
    std::string_view front = rest.substr(0, last_colon);
    std::string_view host_text = front;
    if (size_t colon = front.rfind(':'); colon != std::string_view::npos) {
      if (!host_ip.empty()) return fail(Error(what + ": too many `:`", EINVAL));
      host_ip = BRICK_TRY(host_address(front.substr(0, colon), what));
      host_text = front.substr(colon + 1);
    }
    if (!host_text.empty()) host = BRICK_TRY(port_range(host_text, what));
  }
  Range container = BRICK_TRY(port_range(container_text, what));
  return combine(host_ip, host, container, protocol, what);
}

Result<std::vector<PortMapping>> port_from_long(uint16_t target, std::string_view published, std::string_view host_ip,
                                                std::string_view protocol) {
  const std::string what = "port " + std::to_string(target);
  if (target == 0) return fail(Error(what + ": target is not a port (1..65535)", EINVAL));
  std::string proto = BRICK_TRY(protocol_of(protocol, what));
  std::string ip = host_ip.empty() ? std::string() : BRICK_TRY(host_address(host_ip, what));
  std::optional<Range> host;
  if (!published.empty()) host = BRICK_TRY(port_range(published, what));
  return combine(ip, host, Range{target, target}, proto, what);
}

std::string format_published(const PublishedPort& port) {
  std::string ip = port.host_ip.find(':') != std::string::npos ? "[" + port.host_ip + "]" : port.host_ip;
  return ip + ":" + std::to_string(port.host_port) + "->" + std::to_string(port.container_port) + "/" + port.protocol;
}

}  // namespace brick::net
