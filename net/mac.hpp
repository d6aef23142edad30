// Ethernet (MAC) addresses as compose's `mac_address` and `brick run
// --mac-address` give them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace brick::net {

using Mac = std::array<uint8_t, 6>;

// "02:42:0a:c9:00:02": six two-digit hex groups separated by ':' or '-'
// (docker's net.ParseMAC forms for Ethernet), any case. Refuses what the
// kernel would refuse for an interface (EADDRNOTAVAIL, is_valid_ether_addr):
// a multicast address (low bit of the first octet) and all zeros. The error
// names the text and why.
Result<Mac> parse_mac(std::string_view text);

// Lower-case, colon-separated.
std::string format_mac(const Mac& mac);

}  // namespace brick::net
