#include "compose/units.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace brick;
using namespace brick::compose;
using namespace std::chrono_literals;

namespace {

template <class T>
std::string error_of(const Result<T>& r) {
  return r ? std::string("<ok>") : r.error().message();
}

}  // namespace

TEST_CASE("parse_duration accepts Go duration syntax", "[units]") {
  struct Case {
    const char* text;
    int64_t ns;
  };
  const Case cases[] = {
      {"0", 0},
      {"+0", 0},
      {"-0", 0},
      {"0s", 0},
      {"10s", 10'000'000'000},
      {"1m30s", 90'000'000'000},
      {"1.5h", 5'400'000'000'000},
      {"300ms", 300'000'000},
      {"2us", 2'000},
      {"2\xc2\xb5s", 2'000},  // micro sign
      {"2\xce\xbcs", 2'000},  // Greek mu
      {"10ns", 10},
      {"1h2m3.5s", 3'723'500'000'000},
      {"-1.5s", -1'500'000'000},
      {"+5m", 300'000'000'000},
      {".5s", 500'000'000},
      {"1.s", 1'000'000'000},
      {"1.0000000001s", 1'000'000'000},
      {"100.00100s", 100'001'000'000},
      {"0.3333333333333333333h", 1'200'000'000'000},
      {"9223372036854775807ns", std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808ns", std::numeric_limits<int64_t>::min()},
      {"2562047h47m16.854775807s", std::numeric_limits<int64_t>::max()},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto d = parse_duration(c.text);
    REQUIRE(d);
    CHECK(d->count() == c.ns);
  }
}

TEST_CASE("parse_duration rejects what Go rejects, saying why", "[units]") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"10", "`10` has no unit; write `10s` for seconds (units: ns, us, ms, s, m, h)"},
      {"1.5", "`1.5` has no unit; write `1.5s` for seconds (units: ns, us, ms, s, m, h)"},
      {"-10", "`-10` has no unit; write `-10s` for seconds (units: ns, us, ms, s, m, h)"},
      {"1s2", "`1s2` is missing a unit (ns, us, ms, s, m, h)"},
      {"", "`` is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"},
      {"-", "`-` is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"},
      {"s", "`s` is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"},
      {".s", "`.s` is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"},
      {" 1s", "` 1s` is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"},
      {"1s ", "unknown unit `s ` in duration `1s ` (units: ns, us, ms, s, m, h)"},
      {"3d", "unknown unit `d` in duration `3d` (units: ns, us, ms, s, m, h)"},
      {"1S", "unknown unit `S` in duration `1S` (units: ns, us, ms, s, m, h)"},
      {"9223372036854775808ns", "`9223372036854775808ns` is too long a duration"},
      {"9223372036854775.808us", "`9223372036854775.808us` is too long a duration"},
      {"3000000h", "`3000000h` is too long a duration"},
      {"99999999999999999999s", "`99999999999999999999s` is too long a duration"},
      {"2562047h47m16.854775808s", "`2562047h47m16.854775808s` is too long a duration"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(error_of(parse_duration(c.text)) == c.error);
  }
}

TEST_CASE("format_duration prints as Go's Duration.String", "[units]") {
  struct Case {
    int64_t ns;
    const char* text;
  };
  const Case cases[] = {
      {0, "0s"},
      {1, "1ns"},
      {1'100, "1.1\xc2\xb5s"},
      {2'200'000, "2.2ms"},
      {300'000'000, "300ms"},
      {1'500'000'000, "1.5s"},
      {10'000'000'000, "10s"},
      {90'000'000'000, "1m30s"},
      {3'600'000'000'000, "1h0m0s"},
      {4'000'000'000'001, "1h6m40.000000001s"},
      {-1'500'000'000, "-1.5s"},
      {-1, "-1ns"},
      {std::numeric_limits<int64_t>::max(), "2562047h47m16.854775807s"},
      {std::numeric_limits<int64_t>::min(), "-2562047h47m16.854775808s"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(format_duration(Duration{c.ns}) == c.text);
    // What Go prints, Go parses back to the same value.
    auto back = parse_duration(c.text);
    REQUIRE(back);
    CHECK(back->count() == c.ns);
  }
}

TEST_CASE("parse_bytes follows docker's RAMInBytes", "[units]") {
  struct Case {
    const char* text;
    int64_t bytes;
  };
  const Case cases[] = {
      {"0", 0},
      {"100", 100},
      {"100 ", 100},  // the regex allows the space with no unit
      {"100b", 100},
      {"100B", 100},
      {"2k", 2048},
      {"2K", 2048},
      {"2kb", 2048},
      {"2KiB", 2048},
      {"2kib", 2048},
      {"2ki", 2048},
      {"512m", 512LL << 20},
      {"512 MB", 512LL << 20},
      {"1gb", 1LL << 30},
      {"1.5g", 3LL << 29},
      {"1.5G", 3LL << 29},
      {"0.5k", 512},
      {"1.7b", 1},  // truncated, as Go's int64() conversion does
      {"3t", 3LL << 40},
      {"2p", 2LL << 50},
      {"7P", 7LL << 50},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto n = parse_bytes(c.text);
    REQUIRE(n);
    CHECK(*n == c.bytes);
  }
}

TEST_CASE("parse_bytes rejects negative and malformed sizes", "[units]") {
  const std::string hint = " is not a size (a number with an optional unit b, k, m, g, t, p: `512m`, `1.5g`)";
  const char* bad[] = {"",    "-1",    "-1m",  "m",   "1x",  "1kk",     "1  m",  " 1m",  "1.",
                       ".5m", "1.2.3", "1mbb", "1e3", "1ib", "1 bytes", "12gig", "0x10", "+5"};
  for (const char* text : bad) {
    INFO(text);
    CHECK(error_of(parse_bytes(text)) == "`" + std::string(text) + "`" + hint);
  }
  CHECK(error_of(parse_bytes("8192p")) == "`8192p` is too large a size");
  CHECK(error_of(parse_bytes("99999999999999999999")) == "`99999999999999999999` is too large a size");
}

TEST_CASE("parse_cpus takes a positive decimal", "[units]") {
  CHECK(parse_cpus("0.5").value() == 0.5);
  CHECK(parse_cpus("2").value() == 2.0);
  CHECK(parse_cpus("1.25").value() == 1.25);
  CHECK(parse_cpus("0.001").value() == 0.001);
  CHECK(error_of(parse_cpus("0")) == "CPU count `0` must be greater than 0");
  CHECK(error_of(parse_cpus("0.0")) == "CPU count `0.0` must be greater than 0");
  const char* bad[] = {"", "-1", "abc", "1.5x", "inf", "nan", "1e3", "1..2", ".", " 1"};
  for (const char* text : bad) {
    INFO(text);
    CHECK(error_of(parse_cpus(text)) ==
          "`" + std::string(text) + "` is not a CPU count (a positive number such as `0.5` or `2`)");
  }
}

TEST_CASE("parse_uint and parse_int are strict base 10", "[units]") {
  CHECK(parse_uint("0").value() == 0);
  CHECK(parse_uint("42").value() == 42);
  CHECK(parse_uint("007").value() == 7);
  CHECK(parse_uint("18446744073709551615").value() == std::numeric_limits<uint64_t>::max());
  CHECK(error_of(parse_uint("18446744073709551616")) ==
        "`18446744073709551616` is too large (maximum 18446744073709551615)");
  for (const char* text : {"", "-1", "+1", "1x", " 1", "1 ", "0x10", "1.0"}) {
    INFO(text);
    CHECK(error_of(parse_uint(text)) == "`" + std::string(text) + "` is not a non-negative integer");
  }

  CHECK(parse_int("0").value() == 0);
  CHECK(parse_int("-17").value() == -17);
  CHECK(parse_int("+17").value() == 17);
  CHECK(parse_int("9223372036854775807").value() == std::numeric_limits<int64_t>::max());
  CHECK(parse_int("-9223372036854775808").value() == std::numeric_limits<int64_t>::min());
  CHECK(error_of(parse_int("9223372036854775808")) == "`9223372036854775808` is out of range for a 64-bit integer");
  CHECK(error_of(parse_int("-9223372036854775809")) == "`-9223372036854775809` is out of range for a 64-bit integer");
  CHECK(error_of(parse_int("-99999999999999999999999")) ==
        "`-99999999999999999999999` is out of range for a 64-bit integer");
  for (const char* text : {"", "-", "+", "--1", "1x", " 1", "1.5", "- 1"}) {
    INFO(text);
    CHECK(error_of(parse_int(text)) == "`" + std::string(text) + "` is not an integer");
  }
}

TEST_CASE("parse_file_mode reads octal modes", "[units]") {
  struct Case {
    const char* text;
    bool decimal;
    uint32_t mode;
  };
  const Case cases[] = {
      {"0440", false, 0440},  {"440", false, 0440},    {"0", false, 0},
      {"7777", false, 07777}, {"07777", false, 07777}, {"0440", true, 0440},
      {"288", true, 0440},    {"4095", true, 07777},   {"0", true, 0},
  };
  for (const auto& c : cases) {
    INFO(c.text << " decimal=" << c.decimal);
    auto m = parse_file_mode(c.text, c.decimal);
    REQUIRE(m);
    CHECK(*m == c.mode);
  }
  CHECK(error_of(parse_file_mode("0448")) == "`0448` is not an octal file mode (e.g. `0440`)");
  CHECK(error_of(parse_file_mode("")) == "`` is not an octal file mode (e.g. `0440`)");
  CHECK(error_of(parse_file_mode("rw")) == "`rw` is not an octal file mode (e.g. `0440`)");
  CHECK(error_of(parse_file_mode("-1", true)) == "`-1` is not a file mode (e.g. `0440`)");
  CHECK(error_of(parse_file_mode("0448", true)) == "`0448` is not an octal file mode (e.g. `0440`)");
  CHECK(error_of(parse_file_mode("10000")) == "file mode `10000` is larger than 07777");
  CHECK(error_of(parse_file_mode("4096", true)) == "file mode `4096` is larger than 07777");
}

namespace {

// One expanded port as "target published host_ip protocol mode" ("-" for none).
std::string describe(const PortConfig& p) {
  return std::to_string(p.target) + " " + p.published.value_or("-") + " " + p.host_ip.value_or("-") + " " + p.protocol +
         " " + p.mode;
}

std::vector<std::string> describe_ports(std::string_view spec) {
  auto ports = parse_port_short(spec);
  if (!ports) return {"error: " + ports.error().message()};
  std::vector<std::string> out;
  for (const auto& p : *ports) out.push_back(describe(p));
  return out;
}

}  // namespace

TEST_CASE("parse_port_short expands every short form", "[units]") {
  using V = std::vector<std::string>;
  struct Case {
    const char* spec;
    V ports;
  };
  const Case cases[] = {
      {"80", {"80 - - tcp ingress"}},
      {"8080:80", {"80 8080 - tcp ingress"}},
      {"0:80", {"80 0 - tcp ingress"}},
      {"127.0.0.1:8080:80", {"80 8080 127.0.0.1 tcp ingress"}},
      {"127.0.0.1::80", {"80 - 127.0.0.1 tcp ingress"}},
      {"[::1]:8080:80", {"80 8080 ::1 tcp ingress"}},
      {"::1:8080:80", {"80 8080 ::1 tcp ingress"}},
      {"[fe80::1]::53/udp", {"53 - fe80::1 udp ingress"}},
      {"6060:6060/udp", {"6060 6060 - udp ingress"}},
      {"6060:6060/UDP", {"6060 6060 - udp ingress"}},
      {"9000/sctp", {"9000 - - sctp ingress"}},
      {"65535", {"65535 - - tcp ingress"}},
      {"3000-3002", {"3000 - - tcp ingress", "3001 - - tcp ingress", "3002 - - tcp ingress"}},
      {"8000-8001:8000-8001", {"8000 8000 - tcp ingress", "8001 8001 - tcp ingress"}},
      {"9090-9091:8080-8081", {"8080 9090 - tcp ingress", "8081 9091 - tcp ingress"}},
      {"0.0.0.0:9090-9091:8080-8081/udp", {"8080 9090 0.0.0.0 udp ingress", "8081 9091 0.0.0.0 udp ingress"}},
      {"8000-8010:80", {"80 8000-8010 - tcp ingress"}},
      {"127.0.0.1:8000-8010:80", {"80 8000-8010 127.0.0.1 tcp ingress"}},
      {"80-80:80", {"80 80 - tcp ingress"}},
  };
  for (const auto& c : cases) {
    INFO(c.spec);
    CHECK(describe_ports(c.spec) == c.ports);
  }
}

TEST_CASE("parse_port_short rejects malformed specs, naming the part", "[units]") {
  struct Case {
    const char* spec;
    const char* error;
  };
  const Case cases[] = {
      {"", "port ``: no container port given"},
      {"8080:", "port `8080:`: no container port given"},
      {"80:abc", "port `80:abc`: `abc` is not a port number (0-65535)"},
      {"abc:80", "port `abc:80`: `abc` is not a port number (0-65535)"},
      {"70000", "port `70000`: `70000` is not a port number (0-65535)"},
      {"0", "port `0`: container port 0 is not valid (1-65535)"},
      {"-80", "port `-80`: `` is not a port number (0-65535)"},
      {"80-", "port `80-`: `` is not a port number (0-65535)"},
      {"80-81-82", "port `80-81-82`: `81-82` is not a port number (0-65535)"},
      {"90-80", "port `90-80`: port range `90-80` ends before it starts"},
      {"80/icmp", "port `80/icmp`: unknown protocol `icmp` (use tcp, udp or sctp)"},
      {"80/", "port `80/`: unknown protocol `` (use tcp, udp or sctp)"},
      {"localhost:80:80", "port `localhost:80:80`: `localhost` is not an IP address"},
      {"300.1.1.1:80:80", "port `300.1.1.1:80:80`: `300.1.1.1` is not an IP address"},
      {"[::1:80:80", "port `[::1:80:80`: `[::1` is not an IP address"},
      {"8000-8002:80-81",
       "port `8000-8002:80-81`: host range `8000-8002` and container range `80-81` differ in length"},
      {"8000:80-81", "port `8000:80-81`: host range `8000` and container range `80-81` differ in length"},
  };
  for (const auto& c : cases) {
    INFO(c.spec);
    CHECK(error_of(parse_port_short(c.spec)) == c.error);
  }
}

namespace {

// "type source target ro=0/1 propagation selinux create_host_path nocopy"
std::string describe_volume(std::string_view spec) {
  auto v = parse_volume_short(spec);
  if (!v) return "error: " + v.error().message();
  auto b = [](const std::optional<bool>& o) { return o ? (*o ? "1" : "0") : "-"; };
  return v->type + " " + v->source.value_or("-") + " " + v->target + " ro=" + (v->read_only ? "1" : "0") + " " +
         v->bind_propagation.value_or("-") + " " + v->bind_selinux.value_or("-") +
         " create=" + b(v->bind_create_host_path) + " nocopy=" + b(v->volume_nocopy);
}

}  // namespace

TEST_CASE("parse_volume_short reads binds, named and anonymous volumes", "[units]") {
  struct Case {
    const char* spec;
    const char* volume;
  };
  const Case cases[] = {
      {"/ctr", "volume - /ctr ro=0 - - create=- nocopy=-"},
      {"/a", "volume - /a ro=0 - - create=- nocopy=-"},
      {"/host:/ctr", "bind /host /ctr ro=0 - - create=1 nocopy=-"},
      {"./rel:/ctr:ro", "bind ./rel /ctr ro=1 - - create=1 nocopy=-"},
      {"../up:/ctr", "bind ../up /ctr ro=0 - - create=1 nocopy=-"},
      {"~/x:/y", "bind ~/x /y ro=0 - - create=1 nocopy=-"},
      {"name:/ctr", "volume name /ctr ro=0 - - create=- nocopy=-"},
      {"name:/ctr:rw,nocopy", "volume name /ctr ro=0 - - create=- nocopy=1"},
      {"name:/ctr:ro,z", "volume name /ctr ro=1 - z create=- nocopy=-"},
      {"/h:/c:Z", "bind /h /c ro=0 - Z create=1 nocopy=-"},
      {"/h:/c:ro,rshared", "bind /h /c ro=1 rshared - create=1 nocopy=-"},
      {"/h:/c:rprivate", "bind /h /c ro=0 rprivate - create=1 nocopy=-"},
      {"/h:/c:private", "bind /h /c ro=0 private - create=1 nocopy=-"},
      {"/h:/c:shared", "bind /h /c ro=0 shared - create=1 nocopy=-"},
      {"/h:/c:rslave", "bind /h /c ro=0 rslave - create=1 nocopy=-"},
      {"/h:/c:slave,z,ro", "bind /h /c ro=1 slave z create=1 nocopy=-"},
      {"/h:/c:ro,ro", "bind /h /c ro=1 - - create=1 nocopy=-"},
  };
  for (const auto& c : cases) {
    INFO(c.spec);
    CHECK(describe_volume(c.spec) == c.volume);
  }
}

TEST_CASE("parse_volume_short rejects bad specs and options", "[units]") {
  struct Case {
    const char* spec;
    const char* error;
  };
  const Case cases[] = {
      {"", "empty volume spec; write `[SOURCE:]TARGET[:OPTIONS]`"},
      {"ctr", "volume `ctr`: target `ctr` is not an absolute path"},
      {"/h:ctr", "volume `/h:ctr`: target `ctr` is not an absolute path"},
      {"/h::ro", "volume `/h::ro`: empty section between colons"},
      {":/c", "volume `:/c`: empty section between colons"},
      {"/h:/c:", "volume `/h:/c:`: empty section between colons"},
      {"/h:/c:ro:z", "volume `/h:/c:ro:z`: too many colons; write `[SOURCE:]TARGET[:OPTIONS]`"},
      {"/h:/c:ro,rw", "volume `/h:/c:ro,rw`: options `ro` and `rw` conflict; keep one"},
      {"/h:/c:z,Z", "volume `/h:/c:z,Z`: options `z` and `Z` conflict; keep one"},
      {"/h:/c:shared,slave",
       "volume `/h:/c:shared,slave`: propagation options `shared` and `slave` conflict; keep one"},
      {"/h:/c:nocopy", "volume `/h:/c:nocopy`: option `nocopy` applies only to volumes, not to bind mounts"},
      {"/h:/c:ro,delegated",
       "volume `/h:/c:ro,delegated`: unknown option `delegated` (use ro, rw, z, Z, nocopy, rprivate, private, "
       "rshared, shared, rslave, slave)"},
      {"/h:/c:ro,",
       "volume `/h:/c:ro,`: unknown option `` (use ro, rw, z, Z, nocopy, rprivate, private, rshared, "
       "shared, rslave, slave)"},
  };
  for (const auto& c : cases) {
    INFO(c.spec);
    CHECK(error_of(parse_volume_short(c.spec)) == c.error);
  }
}

TEST_CASE("parse_device reads paths, permissions and CDI names", "[units]") {
  struct Case {
    const char* spec;
    const char* source;
    const char* target;
    const char* permissions;
    bool cdi;
  };
  const Case cases[] = {
      {"/dev/x", "/dev/x", "/dev/x", "rwm", false},
      {"/dev/x:/dev/y", "/dev/x", "/dev/y", "rwm", false},
      {"/dev/x:/dev/y:rw", "/dev/x", "/dev/y", "rw", false},
      {"/dev/x:r", "/dev/x", "/dev/x", "r", false},
      {"/dev/x:mwr", "/dev/x", "/dev/x", "mwr", false},
      {"/dev/x:/rw", "/dev/x", "/rw", "rwm", false},
      {"nvidia.com/gpu=0", "nvidia.com/gpu=0", "", "rwm", true},
      {"nvidia.com/gpu=all", "nvidia.com/gpu=all", "", "rwm", true},
      {"vendor.example-1.com/class_a=dev-1.x:y", "vendor.example-1.com/class_a=dev-1.x:y", "", "rwm", true},
  };
  for (const auto& c : cases) {
    INFO(c.spec);
    auto d = parse_device(c.spec);
    REQUIRE(d);
    CHECK(d->source == c.source);
    CHECK(d->target == c.target);
    CHECK(d->permissions == c.permissions);
    CHECK(d->cdi == c.cdi);
  }
}

TEST_CASE("parse_device rejects bad paths and permissions", "[units]") {
  struct Case {
    const char* spec;
    const char* error;
  };
  const Case cases[] = {
      {"", "device ``: write `HOST[:CONTAINER[:PERMISSIONS]]` or a CDI name `vendor.com/class=name`"},
      {"/a:/b:rw:x",
       "device `/a:/b:rw:x`: write `HOST[:CONTAINER[:PERMISSIONS]]` or a CDI name "
       "`vendor.com/class=name`"},
      {"dev/x", "device `dev/x`: host path `dev/x` is not absolute"},
      {"/dev/x:dev/y", "device `/dev/x:dev/y`: container path `dev/y` is not absolute"},
      {"/dev/x:/dev/y:rx", "device `/dev/x:/dev/y:rx`: permissions `rx` must be letters from `rwm`, each once"},
      {"/dev/x:/dev/y:rr", "device `/dev/x:/dev/y:rr`: permissions `rr` must be letters from `rwm`, each once"},
      {"/dev/x:/dev/y:", "device `/dev/x:/dev/y:`: permissions `` must be letters from `rwm`, each once"},
      {"/dev/x:", "device `/dev/x:`: container path `` is not absolute"},
      {"nvidia.com/gpu=", "device `nvidia.com/gpu=`: host path `nvidia.com/gpu=` is not absolute"},
      {"1vendor/gpu=0", "device `1vendor/gpu=0`: host path `1vendor/gpu=0` is not absolute"},
      {"nvidia.com/=0", "device `nvidia.com/=0`: host path `nvidia.com/=0` is not absolute"},
  };
  for (const auto& c : cases) {
    INFO(c.spec);
    CHECK(error_of(parse_device(c.spec)) == c.error);
  }
}
