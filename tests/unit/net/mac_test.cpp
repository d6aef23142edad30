// compose `mac_address` / `--mac-address`: what the kernel would take as an
// interface's address, and a clear error for anything else.
#include "net/mac.hpp"

#include <catch2/catch.hpp>

using namespace brick::net;

TEST_CASE("MAC addresses: docker's forms, normalized") {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"02:42:ac:11:00:02", "02:42:ac:11:00:02"},
      {"92:D0:C6:0A:29:33", "92:d0:c6:0a:29:33"},
      {"92-d0-c6-0a-29-33", "92:d0:c6:0a:29:33"},
      {"00:00:5e:00:53:01", "00:00:5e:00:53:01"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto mac = parse_mac(c.text);
    REQUIRE(mac);
    CHECK(format_mac(*mac) == c.want);
  }
}

TEST_CASE("MAC addresses: malformed, multicast and all-zero ones are refused") {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"", "is not a MAC address"},
      {"02:42:ac:11:00", "is not a MAC address"},
      {"02:42:ac:11:00:02:03", "is not a MAC address"},
      {"02:42:ac:11:00:0g", "is not a MAC address"},
      {"02:42-ac:11:00:02", "is not a MAC address"},
      {"0242.ac11.0002", "is not a MAC address"},
      {"2:42:ac:11:00:002", "is not a MAC address"},
      {"01:00:5e:00:00:01", "multicast"},
      {"ff:ff:ff:ff:ff:ff", "multicast"},
      {"03:42:ac:11:00:02", "multicast"},
      {"00:00:00:00:00:00", "all-zero"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto mac = parse_mac(c.text);
    REQUIRE_FALSE(mac);
    CHECK(mac.error().message().find(c.says) != std::string::npos);
    CHECK(mac.error().message().find("`" + std::string(c.text) + "`") != std::string::npos);
  }
}
