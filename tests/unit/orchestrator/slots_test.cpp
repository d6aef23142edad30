// Slots: never more holders at once than the limit; 0 is no limit.
#include "orchestrator/slots.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using namespace brick::orchestrator;

namespace {

// The most holders seen at once among `threads` each holding a slot briefly.
int peak_holders(size_t limit, int threads) {
  Slots slots(limit);
  std::atomic<int> now{0}, peak{0};
  {
    std::vector<std::jthread> workers;
    for (int i = 0; i < threads; ++i)
      workers.emplace_back([&] {
        SlotGuard slot(slots);
        const int n = ++now;
        int seen = peak.load();
        while (n > seen && !peak.compare_exchange_weak(seen, n)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        --now;
      });
  }
  return peak.load();
}

}  // namespace

TEST_CASE("slots: at most the limit at once, every holder gets its turn") {
  CHECK(peak_holders(1, 8) == 1);
  CHECK(peak_holders(3, 12) <= 3);
  // No limit: nobody waits (all eight sleep together, normally).
  CHECK(peak_holders(0, 8) >= 1);
}
