// Strict parsers for the small value languages inside a stack file:
// durations, byte sizes, CPU counts, short-syntax ports, volumes, devices.
// Each returns an Error whose message says what is wrong with the value
// (the caller adds file:line:col and the key path).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "compose/project.hpp"

namespace brick::compose {

// Go's time.ParseDuration, as compose uses: "1m30s", "1.5h", "300ms", "2us",
// "10ns". A bare integer is not a duration (error names the fix: "10s").
Result<Duration> parse_duration(std::string_view text);
// Go's Duration.String(): "1m30s", "10s", "1.5s", "300ms", "0s".
std::string format_duration(Duration d);

// docker's RAMInBytes: "512m", "1gb", "1.5g", "100" (bytes), "2k", case
// insensitive, units b/k/m/g/t/p with optional "b"/"ib"; binary (1024) units.
Result<int64_t> parse_bytes(std::string_view text);

// A CPU count: a positive decimal ("0.5", "2").
Result<double> parse_cpus(std::string_view text);

// Short port syntax `[[HOST_IP:]HOST[-RANGE]:]CONTAINER[-RANGE][/PROTOCOL]`
// (IPv6 host IPs in brackets), expanded to one PortConfig per port.
Result<std::vector<PortConfig>> parse_port_short(std::string_view spec);

// Short volume syntax `[SOURCE:]TARGET[:OPTIONS]` where options are a comma
// list of ro, rw, z, Z, nocopy, and propagation modes. A SOURCE that starts
// with `/`, `.` or `~` is a bind; otherwise a named volume; no SOURCE is an
// anonymous volume. Relative sources are returned as written.
Result<ServiceVolume> parse_volume_short(std::string_view spec);

// `HOST[:CONTAINER[:PERMISSIONS]]` or a CDI name `vendor.com/class=name`.
Result<DeviceMapping> parse_device(std::string_view spec);

// An octal file mode ("0440", "440") or a YAML integer already in decimal
// when `decimal` is true.
Result<uint32_t> parse_file_mode(std::string_view text, bool decimal = false);

// A non-negative integer / any integer, strictly (no trailing junk).
Result<uint64_t> parse_uint(std::string_view text);
Result<int64_t> parse_int(std::string_view text);

}  // namespace brick::compose
