// docker's healthcheck rules: status, failing streak, start period, log size.
#include "runtime/health.hpp"

#include <catch2/catch.hpp>

using namespace brick::runtime;

namespace {
HealthResult result(int code, std::string output = "") { return {"s", "e", code, std::move(output)}; }
}  // namespace

TEST_CASE("probe argv from CMD and CMD-SHELL tests") {
  CHECK(probe_args({"CMD", "wget", "-q", "x"}).value() == std::vector<std::string>{"wget", "-q", "x"});
  CHECK(probe_args({"CMD-SHELL", "exit 3"}).value() == std::vector<std::string>{"/bin/sh", "-c", "exit 3"});
  CHECK_FALSE(probe_args({"NONE"}));
  CHECK_FALSE(probe_args({"CMD"}));
  CHECK_FALSE(probe_args({}));
  CHECK_FALSE(probe_args({"CMD-SHELL", "a", "b"}));
}

TEST_CASE("zero timings take docker's defaults") {
  HealthTiming t = health_timing({});
  CHECK(t.interval_ns == 30'000'000'000);
  CHECK(t.timeout_ns == 30'000'000'000);
  CHECK(t.start_interval_ns == 5'000'000'000);
  CHECK(t.start_period_ns == 0);
  CHECK(t.retries == 3);
  CHECK(health_timing({{"CMD", "x"}, 2, 3, 4, 5, 6}).retries == 6);
}

TEST_CASE("failures count to retries, then unhealthy, a success resets") {
  Health h{"starting", 0, {}};
  record_probe(h, result(1), false, 3);
  record_probe(h, result(1), false, 3);
  CHECK(h.status == "starting");
  CHECK(h.failing_streak == 2);
  record_probe(h, result(1), false, 3);
  CHECK(h.status == "unhealthy");
  record_probe(h, result(0), false, 3);
  CHECK(h.status == "healthy");
  CHECK(h.failing_streak == 0);
}

TEST_CASE("failures in the start period do not count while starting") {
  Health h{"starting", 0, {}};
  for (int i = 0; i < 10; ++i) record_probe(h, result(1), true, 1);
  CHECK(h.status == "starting");
  CHECK(h.failing_streak == 0);
  record_probe(h, result(0), true, 1);
  CHECK(h.status == "healthy");
  // Once healthy, the start period no longer shields a failure.
  record_probe(h, result(1), true, 1);
  CHECK(h.status == "unhealthy");
}

TEST_CASE("the log keeps the last five results and 4096 bytes of output") {
  Health h{"starting", 0, {}};
  for (int i = 0; i < 7; ++i) record_probe(h, result(i == 6 ? 0 : 1, std::to_string(i)), false, 100);
  REQUIRE(h.log.size() == 5);
  CHECK(h.log.front().output == "2");
  CHECK(h.log.back().output == "6");
  record_probe(h, result(0, std::string(10000, 'x')), false, 3);
  CHECK(h.log.back().output.size() == 4096);
}

TEST_CASE("probes come every start_interval while starting in the start period") {
  HealthTiming t = health_timing({{"CMD", "x"}, 10, 1, 100, 2, 3});
  CHECK(next_probe_delay({"starting", 0, {}}, t, true) == 2);
  CHECK(next_probe_delay({"starting", 0, {}}, t, false) == 10);
  CHECK(next_probe_delay({"healthy", 0, {}}, t, true) == 10);
}
