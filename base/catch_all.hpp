// An exception that leaves a thread's function calls std::terminate: brick
// dies mid-`up`, with networks made and nothing rolled back. Every task run
// on a thread of its own goes through catch_all, so a library's exception
// (nlohmann_json's type_error on bytes that are not UTF-8, std::bad_alloc,
// a std::system_error from the thread library) becomes an Error of that task.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "base/error.hpp"

namespace brick {

// Runs `f` (which returns a Result or a Status) and returns what it returns,
// or the exception it threw as an Error: "unexpected error: WHAT".
template <class F>
auto catch_all(F&& f) -> decltype(std::forward<F>(f)()) {
  try {
    return std::forward<F>(f)();
  } catch (const std::exception& e) {
    return fail(std::string("unexpected error: ") + e.what());
  } catch (...) {
    return fail("unexpected error: an unknown exception");
  }
}

}  // namespace brick
