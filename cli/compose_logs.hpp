// Several containers' json-file logs as one stream, each line behind its
// `service-1  | ` prefix (coloured on a terminal): `compose logs` and the
// foreground `compose up`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/container_store.hpp"

namespace brick::cli {

struct LogStreamOptions {
  bool timestamps = false;
  bool prefix = true;
  bool color = false;
  std::optional<size_t> tail;    // per container, of what is there already
  std::optional<int64_t> since;  // unix nanoseconds
};

class LogStream {
 public:
  LogStream(const runtime::ContainerStore& store, std::vector<runtime::ContainerState> containers,
            LogStreamOptions options);
  // Prints what the logs hold now (tail and since applied).
  void print_existing();
  // Prints what was appended since the last call.
  void pump();
  // pump() every 50 ms until `done()` says so (checked after each pump).
  void follow(const std::function<bool()>& done);

 private:
  struct Source {
    runtime::ContainerState state;
    std::string prefix;
    int fd = -1;
    std::string buf;
  };
  void print(const Source& s, const std::string& time, const std::string& line);
  void reopen_if_rotated(Source& s);

  const runtime::ContainerStore& store_;
  LogStreamOptions o_;
  std::vector<Source> sources_;

 public:
  ~LogStream();
  LogStream(const LogStream&) = delete;
  LogStream& operator=(const LogStream&) = delete;
};

// `service-N`, what compose prints before a container's lines.
std::string log_prefix_name(const runtime::ContainerState& c);

}  // namespace brick::cli
