// Slots: at most N container operations at once (--parallel,
// COMPOSE_PARALLEL_LIMIT), shared by the tasks of one command.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace brick::orchestrator {

// At most `limit` holders at once (0: no limit).
class Slots {
 public:
  explicit Slots(size_t limit) : limit_(limit) {}
  void acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return limit_ == 0 || used_ < limit_; });
    ++used_;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      --used_;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t limit_, used_ = 0;
};

// Holds one slot for its lifetime.
struct SlotGuard {
  Slots& slots;
  explicit SlotGuard(Slots& s) : slots(s) { slots.acquire(); }
  ~SlotGuard() { slots.release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
};

}  // namespace brick::orchestrator
