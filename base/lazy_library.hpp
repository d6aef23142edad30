// Shared libraries opened on first use instead of at exec.
//
// libarchive, libnftables and libcrypto (with what they pull in: ICU,
// libxml2, gmp, nettle, jansson, the compressors) are needed only to
// import or build images, hash content and program NAT, yet the dynamic
// loader maps and relocates them in every brick process: measured here,
// about 15 ms of CPU per process (a `run` is two: the CLI and the
// monitor) and 3.5 MiB of RSS in every idle monitor. So brick does not
// link them; each symbol it uses gets a trampoline of the same name
// (BRICK_LAZY_FUNCTION) that opens the library on its first call. The
// trampoline is compiled against the library's own header, so a
// signature that differs from the header's is a compile error.
#pragma once

#include <mutex>

#include "base/error.hpp"

namespace brick {

class LazyLibrary {
 public:
  // `soname`: the exact file dlopen() looks for, e.g. "libarchive.so.13".
  explicit LazyLibrary(const char* soname) : soname_(soname) {}
  LazyLibrary(const LazyLibrary&) = delete;
  LazyLibrary& operator=(const LazyLibrary&) = delete;

  // Opens the library once (thread-safe). Entry points call this first so
  // a missing library is an ordinary error naming it, not a crash later.
  Status load();
  // The address of `name`. A trampoline cannot return an error: if the
  // library or the symbol is missing, this prints why and exits with 125.
  void* symbol(const char* name);

 private:
  const char* soname_;
  std::once_flag once_;
  void* handle_ = nullptr;
  std::string error_;
};

}  // namespace brick

// Defines the C function `name` (declared by the library's header) as a
// forwarder to the real one in `lib`, looked up on the first call.
//   BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_free, (struct archive* a), (a))
#define BRICK_LAZY_FUNCTION(lib, ret, name, params, args)                            \
  extern "C" ret name params {                                                       \
    static const auto real = reinterpret_cast<decltype(&name)>((lib).symbol(#name)); \
    return real args;                                                                \
  }
