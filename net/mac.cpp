#include "net/mac.hpp"

#include <cstdio>

namespace brick::net {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<Mac> parse_mac(std::string_view text) {
  const std::string quoted = "`" + std::string(text) + "`";
  const std::string malformed = quoted + " is not a MAC address (expected six hex pairs like 02:42:ac:11:00:02)";
  // "xx:xx:xx:xx:xx:xx": 17 characters, one separator kind throughout.
  if (text.size() != 17 || (text[2] != ':' && text[2] != '-')) return fail(malformed);
  Mac mac{};
  for (size_t i = 0; i < mac.size(); ++i) {
    const size_t at = i * 3;
    if (i > 0 && text[at - 1] != text[2]) return fail(malformed);
    int hi = hex_digit(text[at]), lo = hex_digit(text[at + 1]);
    if (hi < 0 || lo < 0) return fail(malformed);
    mac[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  // The kernel refuses both as an interface's own address (EADDRNOTAVAIL).
  if (mac[0] & 0x01) return fail(quoted + " is a multicast MAC address; an interface needs a unicast one");
  if (mac == Mac{}) return fail(quoted + " is the all-zero MAC address");
  return mac;
}

std::string format_mac(const Mac& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return buf;
}

}  // namespace brick::net
