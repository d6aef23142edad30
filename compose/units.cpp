// Parsers for the small value languages of a stack file. Each one follows the
// Go function docker compose itself calls (named in units.hpp), so a file
// accepted there is accepted here with the same meaning.
#include "compose/units.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "base/strings.hpp"
#include "compose/paths.hpp"

namespace brick::compose {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

std::string quoted(std::string_view s) { return "`" + std::string(s) + "`"; }

// ---- durations ------------------------------------------------------------

constexpr uint64_t kNanosecond = 1;
constexpr uint64_t kMicrosecond = 1000 * kNanosecond;
constexpr uint64_t kMillisecond = 1000 * kMicrosecond;
constexpr uint64_t kSecond = 1000 * kMillisecond;
constexpr uint64_t kMinute = 60 * kSecond;
constexpr uint64_t kHour = 60 * kMinute;
constexpr uint64_t kLimit = uint64_t{1} << 63;  // |INT64_MIN|

std::optional<uint64_t> duration_unit(std::string_view u) {
  if (u == "ns") return kNanosecond;
  // Go accepts both the micro sign (U+00B5) and the Greek mu (U+03BC).
  if (u == "us" || u == "\xc2\xb5s" || u == "\xce\xbcs") return kMicrosecond;
  if (u == "ms") return kMillisecond;
  if (u == "s") return kSecond;
  if (u == "m") return kMinute;
  if (u == "h") return kHour;
  return std::nullopt;
}

// Formats v / 10^prec's fraction (".5", omitting trailing zeros) in front of
// `out`, as Go's fmtFrac does, and returns v / 10^prec.
uint64_t prepend_fraction(std::string& out, uint64_t v, int prec) {
  std::string frac;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    uint64_t digit = v % 10;
    print = print || digit != 0;
    if (print) frac.insert(frac.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  if (print) out.insert(0, "." + frac);
  return v;
}

// ---- ports ----------------------------------------------------------------

struct PortRange {
  uint64_t start = 0;
  uint64_t end = 0;
};

Result<uint16_t> parse_port_number(std::string_view text) {
  auto value = parse_uint(text);
  if (!value || *value > 65535) return fail(quoted(text) + " is not a port number (0-65535)");
  return static_cast<uint16_t>(*value);
}

Result<PortRange> parse_port_range(std::string_view text) {
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    uint16_t port = BRICK_TRY(parse_port_number(text));
    return PortRange{port, port};
  }
  uint16_t start = BRICK_TRY(parse_port_number(text.substr(0, dash)));
  uint16_t end = BRICK_TRY(parse_port_number(text.substr(dash + 1)));
  if (end < start) return fail("port range " + quoted(text) + " ends before it starts");
  return PortRange{start, end};
}

bool is_ip_address(const std::string& ip) {
  unsigned char buf[16];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

// ---- devices --------------------------------------------------------------

// Docker's validDeviceMode: a non-empty subset of "rwm", each letter once.
bool is_device_mode(std::string_view mode) {
  if (mode.empty() || mode.size() > 3) return false;
  bool seen[3] = {false, false, false};
  for (char c : mode) {
    size_t i = std::string_view("rwm").find(c);
    if (i == std::string_view::npos || seen[i]) return false;
    seen[i] = true;
  }
  return true;
}

bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// One part of a CDI qualified name: starts with `first`, ends alphanumeric,
// the middle alphanumeric or one of `extra`.
bool is_cdi_part(std::string_view s, bool (*first)(char), std::string_view extra) {
  if (s.empty() || !first(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s)
    if (!is_alnum(c) && extra.find(c) == std::string_view::npos) return false;
  return true;
}

// The CDI spec's qualified device name `vendor/class=name`, e.g.
// `nvidia.com/gpu=0`. Names may contain ':' so this is tested before the
// HOST:CONTAINER split.
bool is_cdi_name(std::string_view s) {
  size_t slash = s.find('/');
  size_t eq = s.find('=');
  if (slash == std::string_view::npos || eq == std::string_view::npos || eq < slash) return false;
  return is_cdi_part(s.substr(0, slash), is_alpha, "-_.") &&
         is_cdi_part(s.substr(slash + 1, eq - slash - 1), is_alpha, "-_") &&
         is_cdi_part(s.substr(eq + 1), is_alnum, "-_.:");
}

}  // namespace

// ---- integers -------------------------------------------------------------

Result<uint64_t> parse_uint(std::string_view text) {
  if (!all_digits(text)) return fail(quoted(text) + " is not a non-negative integer");
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return fail(quoted(text) + " is too large (maximum 18446744073709551615)");
  if (ec != std::errc() || end != text.data() + text.size())
    return fail(quoted(text) + " is not a non-negative integer");
  return value;
}

Result<int64_t> parse_int(std::string_view text) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (!all_digits(digits)) return fail(quoted(text) + " is not an integer");
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  uint64_t limit = negative ? kLimit : kLimit - 1;
  if (ec != std::errc() || magnitude > limit) return fail(quoted(text) + " is out of range for a 64-bit integer");
  (void)end;
  if (negative) return magnitude == kLimit ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(magnitude);
  return static_cast<int64_t>(magnitude);
}

// ---- durations ------------------------------------------------------------

Result<Duration> parse_duration(std::string_view text) {
  // A mirror of Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+
  auto invalid = [&] { return fail(quoted(text) + " is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"); };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration{0};
  if (s.empty()) return invalid();
  uint64_t total = 0;
  bool first = true;
  while (!s.empty()) {
    if (!(s.front() == '.' || is_digit(s.front()))) return invalid();
    // Integer part: overflow past 2^63 is an error, as in Go's leadingInt.
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (v > kLimit / 10) return fail(quoted(text) + " is too long a duration");
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kLimit) return fail(quoted(text) + " is too long a duration");
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    // Fraction: digits past uint64 precision are dropped, as in Go's leadingFraction.
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      size_t j = 0;
      for (; j < s.size() && is_digit(s[j]); ++j) {
        if (overflow) continue;
        if (f > (kLimit - 1) / 10) {
          overflow = true;
          continue;
        }
        uint64_t y = f * 10 + static_cast<uint64_t>(s[j] - '0');
        if (y > kLimit) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return invalid();
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !is_digit(s[u])) ++u;
    if (u == 0) {
      if (s.empty() && first)  // a bare number: say what to add
        return fail(quoted(text) + " has no unit; write `" + std::string(text) +
                    "s` for seconds (units: ns, us, ms, s, m, h)");
      return fail(quoted(text) + " is missing a unit (ns, us, ms, s, m, h)");
    }
    std::string_view unit_text = s.substr(0, u);
    s.remove_prefix(u);
    auto unit = duration_unit(unit_text);
    if (!unit)
      return fail("unknown unit " + quoted(unit_text) + " in duration " + quoted(text) +
                  " (units: ns, us, ms, s, m, h)");
    if (v > kLimit / *unit) return fail(quoted(text) + " is too long a duration");
    v *= *unit;
    if (f > 0) {
      // double keeps fractions of an hour nanosecond-exact, as Go relies on.
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(*unit) / scale));
      if (v > kLimit) return fail(quoted(text) + " is too long a duration");
    }
    total += v;
    first = false;
    if (total > kLimit) return fail(quoted(text) + " is too long a duration");
  }
  if (negative) return Duration{total == kLimit ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(total)};
  if (total > kLimit - 1) return fail(quoted(text) + " is too long a duration");
  return Duration{static_cast<int64_t>(total)};
}

std::string format_duration(Duration d) {
  int64_t count = d.count();
  bool negative = count < 0;
  // Unsigned negation keeps INT64_MIN representable, as Go does.
  uint64_t u = negative ? uint64_t{0} - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  std::string out;
  if (u < kSecond) {
    // Below a second Go switches to the largest unit that keeps an integer part.
    if (u == 0) return "0s";
    int prec = 0;
    if (u < kMicrosecond) {
      out = "ns";
    } else if (u < kMillisecond) {
      out = "\xc2\xb5s";  // Go prints the micro sign, U+00B5
      prec = 3;
    } else {
      out = "ms";
      prec = 6;
    }
    u = prepend_fraction(out, u, prec);
    out.insert(0, std::to_string(u));
  } else {
    out = "s";
    u = prepend_fraction(out, u, 9);
    out.insert(0, std::to_string(u % 60));
    u /= 60;
    if (u > 0) {
      out.insert(0, std::to_string(u % 60) + "m");
      u /= 60;
      // Hours are the largest unit: days differ in length.
      if (u > 0) out.insert(0, std::to_string(u) + "h");
    }
  }
  if (negative) out.insert(0, "-");
  return out;
}

// ---- bytes and cpus -------------------------------------------------------

Result<int64_t> parse_bytes(std::string_view text) {
  // docker/go-units RAMInBytes: ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$
  auto invalid = [&] {
    return fail(quoted(text) + " is not a size (a number with an optional unit b, k, m, g, t, p: `512m`, `1.5g`)");
  };
  size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i == 0) return invalid();
  if (i < text.size() && text[i] == '.') {
    size_t j = i + 1;
    while (j < text.size() && is_digit(text[j])) ++j;
    if (j == i + 1) return invalid();
    i = j;
  }
  std::string_view number = text.substr(0, i);
  std::string_view rest = text.substr(i);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  double multiplier = 1;
  if (!rest.empty()) {
    const std::string_view units = "kmgtp";
    size_t unit = units.find(static_cast<char>(rest.front() | 0x20));
    if (unit != std::string_view::npos) {
      multiplier = std::pow(1024.0, static_cast<double>(unit + 1));
      rest.remove_prefix(1);
      if (!rest.empty() && (rest.front() == 'i' || rest.front() == 'I')) rest.remove_prefix(1);
    }
  }
  if (!rest.empty() && (rest.front() == 'b' || rest.front() == 'B')) rest.remove_prefix(1);
  if (!rest.empty()) return invalid();
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) return invalid();
  value *= multiplier;
  // 2^63 is exactly representable; anything at or past it does not fit.
  if (!(value < 9223372036854775808.0)) return fail(quoted(text) + " is too large a size");
  return static_cast<int64_t>(value);
}

Result<double> parse_cpus(std::string_view text) {
  auto invalid = [&] { return fail(quoted(text) + " is not a CPU count (a positive number such as `0.5` or `2`)"); };
  if (text.empty()) return invalid();
  for (char c : text)
    if (!is_digit(c) && c != '.') return invalid();
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return invalid();
  if (value <= 0) return fail("CPU count " + quoted(text) + " must be greater than 0");
  return value;
}

// ---- ports ----------------------------------------------------------------

Result<std::vector<PortConfig>> parse_port_short(std::string_view spec) {
  // docker/go-connections nat.ParsePortSpec, as compose-go calls it.
  auto ctx = "port " + quoted(spec);
  std::vector<std::string> parts = split(std::string(spec), ':');
  std::string container = parts.back();
  std::string host;
  std::string ip;
  if (parts.size() == 2) {
    host = parts[0];
  } else if (parts.size() >= 3) {
    host = parts[parts.size() - 2];
    parts.resize(parts.size() - 2);
    ip = join(parts, ":");  // an unbracketed IPv6 address keeps its colons
  }
  std::string protocol = "tcp";
  if (size_t slash = container.find('/'); slash != std::string::npos) {
    protocol = to_lower(container.substr(slash + 1));
    container.resize(slash);
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
      return fail(ctx + ": unknown protocol " + quoted(protocol) + " (use tcp, udp or sctp)");
  }
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (!ip.empty() && !is_ip_address(ip)) return fail(ctx + ": " + quoted(ip) + " is not an IP address");
  if (container.empty()) return fail(ctx + ": no container port given");
  PortRange cports = BRICK_TRY_CTX(parse_port_range(container), ctx);
  if (cports.start == 0) return fail(ctx + ": container port 0 is not valid (1-65535)");
  PortRange hports;
  if (!host.empty()) hports = BRICK_TRY_CTX(parse_port_range(host), ctx);
  bool container_range = cports.end != cports.start;
  if (!host.empty() && container_range && cports.end - cports.start != hports.end - hports.start)
    return fail(ctx + ": host range " + quoted(host) + " and container range " + quoted(container) +
                " differ in length");
  std::vector<PortConfig> out;
  for (uint64_t i = 0; i <= cports.end - cports.start; ++i) {
    PortConfig port;
    port.target = static_cast<uint16_t>(cports.start + i);
    port.protocol = protocol;
    port.mode = "ingress";
    if (!ip.empty()) port.host_ip = ip;
    if (!host.empty()) {
      // A host range with one container port is a pool the engine picks from.
      if (!container_range && hports.start != hports.end)
        port.published = std::to_string(hports.start) + "-" + std::to_string(hports.end);
      else
        port.published = std::to_string(hports.start + i);
    }
    out.push_back(std::move(port));
  }
  return out;
}

// ---- volumes --------------------------------------------------------------

namespace {

// Go's path.Clean for an absolute path: `/app/data/` is `/app/data`, empty
// and `.` segments go, `..` removes the segment before it.
std::string clean_absolute(std::string_view path) {
  std::vector<std::string_view> segments;
  for (size_t i = 0; i <= path.size();) {
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(i, end - i);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    i = end + 1;
  }
  std::string out;
  for (std::string_view seg : segments) {
    out += '/';
    out += seg;
  }
  return out.empty() ? "/" : out;
}

}  // namespace

Result<ServiceVolume> parse_volume_short(std::string_view spec) {
  auto ctx = "volume " + quoted(spec);
  if (spec.empty()) return fail("empty volume spec; write `[SOURCE:]TARGET[:OPTIONS]`");
  std::vector<std::string> parts = split(std::string(spec), ':');
  // A drive letter's colon separates nothing (compose-go's isWindowsDrive):
  // `C:\data:/data` is the source `C:\data` on the target `/data`.
  if (parts.size() > 1 && is_windows_absolute(spec)) {
    parts[0] += ":" + parts[1];
    parts.erase(parts.begin() + 1);
  }
  for (const auto& part : parts)
    if (part.empty()) return fail(ctx + ": empty section between colons");
  if (parts.size() > 3) return fail(ctx + ": too many colons; write `[SOURCE:]TARGET[:OPTIONS]`");
  ServiceVolume volume;
  if (parts.size() == 1) {
    volume.target = parts[0];
  } else {
    volume.source = parts[0];
    volume.target = parts[1];
  }
  if (volume.target.front() != '/') return fail(ctx + ": target " + quoted(volume.target) + " is not an absolute path");
  // compose-go cleans a short-syntax target (transform/volume.go), so
  // `/data/` and `/data` are one mount point when merged or compared.
  volume.target = clean_absolute(volume.target);
  char first = volume.source ? volume.source->front() : '\0';
  bool bind = first == '/' || first == '.' || first == '~' || (volume.source && is_windows_absolute(*volume.source));
  volume.type = bind ? "bind" : "volume";
  // Short syntax creates a missing host directory, as docker-compose v1 did.
  if (bind) volume.bind_create_host_path = true;
  if (parts.size() < 3) return volume;

  std::optional<std::string> mode;  // ro | rw
  for (const std::string& option : split(parts[2], ',')) {
    if (option == "ro" || option == "rw") {
      if (mode && *mode != option) return fail(ctx + ": options `ro` and `rw` conflict; keep one");
      mode = option;
      volume.read_only = option == "ro";
    } else if (option == "z" || option == "Z") {
      if (volume.bind_selinux && *volume.bind_selinux != option)
        return fail(ctx + ": options `z` and `Z` conflict; keep one");
      volume.bind_selinux = option;
    } else if (option == "nocopy") {
      if (bind) return fail(ctx + ": option `nocopy` applies only to volumes, not to bind mounts");
      volume.volume_nocopy = true;
    } else if (option == "rprivate" || option == "private" || option == "rshared" || option == "shared" ||
               option == "rslave" || option == "slave") {
      if (volume.bind_propagation && *volume.bind_propagation != option)
        return fail(ctx + ": propagation options " + quoted(*volume.bind_propagation) + " and " + quoted(option) +
                    " conflict; keep one");
      volume.bind_propagation = option;
    } else {
      return fail(ctx + ": unknown option " + quoted(option) +
                  " (use ro, rw, z, Z, nocopy, rprivate, private, rshared, shared, rslave, slave)");
    }
  }
  return volume;
}

// ---- devices --------------------------------------------------------------

Result<DeviceMapping> parse_device(std::string_view spec) {
  auto ctx = "device " + quoted(spec);
  DeviceMapping device;
  if (!spec.empty() && spec.front() != '/' && is_cdi_name(spec)) {
    device.source = std::string(spec);
    device.cdi = true;
    return device;
  }
  std::vector<std::string> parts = split(std::string(spec), ':');
  if (spec.empty() || parts.size() > 3)
    return fail(ctx + ": write `HOST[:CONTAINER[:PERMISSIONS]]` or a CDI name `vendor.com/class=name`");
  device.source = parts[0];
  device.target = parts[0];
  if (parts.size() == 3) {
    device.target = parts[1];
    device.permissions = parts[2];
  } else if (parts.size() == 2) {
    // As docker: a second field made only of r, w, m is permissions, not a path.
    if (is_device_mode(parts[1]))
      device.permissions = parts[1];
    else
      device.target = parts[1];
  }
  if (device.source.empty() || device.source.front() != '/')
    return fail(ctx + ": host path " + quoted(device.source) + " is not absolute");
  if (device.target.empty() || device.target.front() != '/')
    return fail(ctx + ": container path " + quoted(device.target) + " is not absolute");
  if (!is_device_mode(device.permissions))
    return fail(ctx + ": permissions " + quoted(device.permissions) + " must be letters from `rwm`, each once");
  return device;
}

// ---- file modes -----------------------------------------------------------

Result<uint32_t> parse_file_mode(std::string_view text, bool decimal) {
  // YAML 1.1 reads `0440` as octal, so a leading 0 always means octal; a
  // string without one is octal too, as compose writes modes that way.
  bool octal = !decimal || (text.size() > 1 && text.front() == '0');
  if (octal) {
    bool ok = !text.empty();
    for (char c : text)
      if (c < '0' || c > '7') ok = false;
    if (!ok) return fail(quoted(text) + " is not an octal file mode (e.g. `0440`)");
  } else if (!all_digits(text)) {
    return fail(quoted(text) + " is not a file mode (e.g. `0440`)");
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, octal ? 8 : 10);
  (void)end;
  if (ec != std::errc() || value > 07777) return fail("file mode " + quoted(text) + " is larger than 07777");
  return static_cast<uint32_t>(value);
}

}  // namespace brick::compose
