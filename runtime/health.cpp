#include "runtime/health.hpp"

namespace brick::runtime {

namespace {
constexpr int64_t kSecond = 1000000000;
}

HealthTiming health_timing(const HealthcheckConfig& c) {
  return {c.interval_ns > 0 ? c.interval_ns : 30 * kSecond, c.timeout_ns > 0 ? c.timeout_ns : 30 * kSecond,
          c.start_period_ns > 0 ? c.start_period_ns : 0, c.start_interval_ns > 0 ? c.start_interval_ns : 5 * kSecond,
          c.retries > 0 ? c.retries : 3};
}

Result<std::vector<std::string>> probe_args(const std::vector<std::string>& test) {
  if (test.empty()) return fail("the healthcheck has no test");
  if (test[0] == "CMD") {
    if (test.size() < 2) return fail("the healthcheck `CMD` names no command");
    return std::vector<std::string>(test.begin() + 1, test.end());
  }
  if (test[0] == "CMD-SHELL") {
    if (test.size() != 2) return fail("the healthcheck `CMD-SHELL` takes exactly one command string");
    return std::vector<std::string>{"/bin/sh", "-c", test[1]};
  }
  return fail("the healthcheck test must start with CMD or CMD-SHELL, not `" + test[0] + "`");
}

void record_probe(Health& h, HealthResult result, bool in_start_period, int retries) {
  if (result.output.size() > kHealthOutputBytes) result.output.resize(kHealthOutputBytes);
  if (result.exit_code == 0) {
    h.failing_streak = 0;
    h.status = "healthy";
  } else if (!(h.status == "starting" && in_start_period)) {
    ++h.failing_streak;
    if (h.failing_streak >= retries) h.status = "unhealthy";
  }
  h.log.push_back(std::move(result));
  if (h.log.size() > kHealthLogEntries) h.log.erase(h.log.begin(), h.log.end() - kHealthLogEntries);
}

int64_t next_probe_delay(const Health& h, const HealthTiming& t, bool in_start_period) {
  return h.status == "starting" && in_start_period ? t.start_interval_ns : t.interval_ns;
}

}  // namespace brick::runtime
