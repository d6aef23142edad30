// ScopeExit runs a callable when it goes out of scope, unless released.
#pragma once

#include <utility>

namespace brick {

template <class F>
class ScopeExit {
 public:
  explicit ScopeExit(F fn) : fn_(std::move(fn)) {}
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  ~ScopeExit() {
    if (active_) fn_();
  }
  // Success: the cleanup is no longer wanted.
  void release() { active_ = false; }

 private:
  F fn_;
  bool active_ = true;
};

}  // namespace brick
