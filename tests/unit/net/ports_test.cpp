// docker -p and compose `ports` syntax.
#include "net/ports.hpp"

#include <catch2/catch.hpp>

using namespace brick::net;

namespace {
PortMapping m(std::string ip, uint16_t host, uint16_t container, std::string proto = "tcp", uint16_t last = 0) {
  return PortMapping{std::move(ip), host, last, container, std::move(proto)};
}
}  // namespace

TEST_CASE("short port syntax", "[ports]") {
  using V = std::vector<PortMapping>;
  CHECK(*parse_port_spec("80") == V{m("", 0, 80)});
  CHECK(*parse_port_spec("8080:80") == V{m("", 8080, 80)});
  CHECK(*parse_port_spec("8080:80/udp") == V{m("", 8080, 80, "udp")});
  CHECK(*parse_port_spec("127.0.0.1:8080:80") == V{m("127.0.0.1", 8080, 80)});
  CHECK(*parse_port_spec("127.0.0.1::80") == V{m("127.0.0.1", 0, 80)});
  CHECK(*parse_port_spec("[::1]:8080:80") == V{m("::1", 8080, 80)});
  CHECK(*parse_port_spec("8000-8001:80-81") == V{m("", 8000, 80), m("", 8001, 81)});
  CHECK(*parse_port_spec("3000-3001") == V{m("", 0, 3000), m("", 0, 3001)});
  CHECK(*parse_port_spec("9090-9091:8080") == V{m("", 9090, 8080, "tcp", 9091)});
  CHECK(*parse_port_spec("1.2.3.4:5000-5001:6000-6001/udp") ==
        V{m("1.2.3.4", 5000, 6000, "udp"), m("1.2.3.4", 5001, 6001, "udp")});
}

TEST_CASE("bad short port syntax names the port and the fault", "[ports]") {
  auto check = [](const char* spec, const std::string& message) {
    auto r = parse_port_spec(spec);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == message + ": Invalid argument");
  };
  check("80:abc", "port `80:abc`: `abc` is not a port (1..65535)");
  check("70000", "port `70000`: `70000` is not a port (1..65535)");
  check("0", "port `0`: `0` is not a port (1..65535)");
  check("80/sctp", "port `80/sctp`: protocol `sctp` is not supported (tcp or udp)");
  check("8000-8002:80-81", "port `8000-8002:80-81`: host range and container range differ in length");
  check("90-80", "port `90-80`: range `90-80` ends before it starts");
  check("nothost:80:80", "port `nothost:80:80`: `nothost` is not an IP address");
  check("", "port ``: `` is not a port (1..65535)");
}

TEST_CASE("long port syntax", "[ports]") {
  using V = std::vector<PortMapping>;
  CHECK(*port_from_long(80, "8080", "", "") == V{m("", 8080, 80)});
  CHECK(*port_from_long(80, "", "127.0.0.1", "udp") == V{m("127.0.0.1", 0, 80, "udp")});
  CHECK(*port_from_long(80, "8000-8010", "", "tcp") == V{m("", 8000, 80, "tcp", 8010)});
  CHECK_FALSE(port_from_long(80, "x", "", ""));
  CHECK_FALSE(port_from_long(0, "80", "", ""));
}

TEST_CASE("published ports print as docker ps does", "[ports]") {
  CHECK(format_published({"0.0.0.0", 8080, 80, "tcp"}) == "0.0.0.0:8080->80/tcp");
  CHECK(format_published({"::1", 53, 53, "udp"}) == "[::1]:53->53/udp");
}
