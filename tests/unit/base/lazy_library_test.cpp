#include "base/lazy_library.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

// zlib: on every Debian system, and not something brick links itself.
TEST_CASE("a lazy library opens on first use and finds its symbols") {
  brick::LazyLibrary zlib("libz.so.1");
  REQUIRE(zlib.load());
  REQUIRE(zlib.load());  // once; later calls are no-ops
  using Version = const char* (*)();
  auto version = reinterpret_cast<Version>(zlib.symbol("zlibVersion"));
  REQUIRE(version != nullptr);
  CHECK(std::string(version()).starts_with("1."));
}

TEST_CASE("a missing library is an error naming it") {
  brick::LazyLibrary missing("libbrick-no-such-library.so.7");
  auto loaded = missing.load();
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().message().find("libbrick-no-such-library.so.7") != std::string::npos);
  CHECK_FALSE(missing.load());  // and stays one
}

TEST_CASE("a trampoline whose symbol cannot be found exits 125 with the reason") {
  int err[2];
  REQUIRE(::pipe(err) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(err[1], STDERR_FILENO);
    brick::LazyLibrary zlib("libz.so.1");
    zlib.symbol("brick_no_such_function");
    ::_exit(0);  // not reached
  }
  ::close(err[1]);
  std::string text;
  char buf[256];
  for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  ::close(err[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 125);
  CHECK(text.find("brick_no_such_function") != std::string::npos);
}
