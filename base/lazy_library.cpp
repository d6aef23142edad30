#include "base/lazy_library.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <string>

namespace brick {

Status LazyLibrary::load() {
  std::call_once(once_, [this] {
    // RTLD_LOCAL: its symbols must not satisfy the trampolines' names.
    handle_ = ::dlopen(soname_, RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char* why = ::dlerror();
      error_ = std::string("loading `") + soname_ + "`: " + (why ? why : "unknown error") +
               " (is the package that provides it installed?)";
    }
  });
  if (!handle_) return fail(error_);
  return {};
}

void* LazyLibrary::symbol(const char* name) {
  std::string why;
  if (auto loaded = load(); !loaded) {
    why = loaded.error().message();
  } else if (void* p = ::dlsym(handle_, name)) {
    return p;
  } else {
    why = std::string("`") + soname_ + "` has no `" + name + "`";
  }
  // No caller to return to: the trampoline's signature is the library's.
  std::string line = "brick: " + why + "\n";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  ::_exit(125);
}

}  // namespace brick
