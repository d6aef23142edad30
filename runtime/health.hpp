// Healthchecks as docker runs them (daemon/health.go): the monitor runs the
// probe inside the container every interval (start_interval during the start
// period), kills it after the timeout, and keeps the status, the failing
// streak and the last five results in the container's record. The pure rules
// live here; runtime/monitor.cpp runs the probes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/container_store.hpp"

namespace brick::runtime {

inline constexpr size_t kHealthLogEntries = 5;      // docker's maxLogEntries
inline constexpr size_t kHealthOutputBytes = 4096;  // docker's maxOutputLen

// A HealthcheckConfig with docker's defaults filled in for zero fields.
struct HealthTiming {
  int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
  int retries;
};
HealthTiming health_timing(const HealthcheckConfig& config);

// The probe's argv: ["CMD", a...] -> a..., ["CMD-SHELL", c] -> /bin/sh -c c.
// Anything else (NONE, an empty test, an unknown word) is an error.
Result<std::vector<std::string>> probe_args(const std::vector<std::string>& test);

// Folds one probe result into `health`: exit 0 is healthy and resets the
// streak; a failure counts towards `retries` (then unhealthy) unless the
// container is still `starting` within its start period. Keeps the last
// kHealthLogEntries results.
void record_probe(Health& health, HealthResult result, bool in_start_period, int retries);

// How long after the last probe (or the start) the next one runs.
int64_t next_probe_delay(const Health& health, const HealthTiming& timing, bool in_start_period);

}  // namespace brick::runtime
