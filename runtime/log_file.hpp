// A container's output as docker's json-file log driver writes it: one JSON
// object per line, {"log":"text\n","stream":"stdout","time":"...Z"}, with
// rotation by size (`<path>`, `<path>.1` ... `<path>.<max_file-1>`, newest
// first) so `docker logs`-style readers and tools that parse docker's files
// read brick's unchanged.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace brick::runtime {

// Nanoseconds since the epoch (CLOCK_REALTIME).
int64_t now_unix_nanos();
// "2026-11-23T16:28:18.123456789Z", the form docker's records and logs use.
std::string format_rfc3339_nanos(int64_t unix_nanos);
// Parses that form (fraction optional, `Z` or `+hh:mm` offsets) back.
Result<int64_t> parse_rfc3339_nanos(std::string_view text);
// docker's `--since`/`--until`: an RFC 3339 time, unix seconds ("1700000000.5")
// or a duration before `now` ("10s", "5m", "1h30m").
Result<int64_t> parse_since(std::string_view text, int64_t now_nanos);

struct LogEntry {
  std::string stream;  // "stdout" or "stderr"
  std::string log;     // the text, with its '\n' unless the line was partial
  int64_t time = 0;    // unix nanos
};

// One line of the file for `entry`, '\n' included.
std::string encode_log_entry(const LogEntry& entry);
Result<LogEntry> decode_log_entry(std::string_view line);
// The entries of the complete lines in `buf`, which keeps only a torn last line.
std::vector<LogEntry> decode_log_lines(std::string& buf);
// For following a log: the entries of the complete lines readable from `fd`
// now (read until EOF or EAGAIN), after what `buf` kept from the last call;
// a torn last line stays in `buf` for the next.
std::vector<LogEntry> read_new_entries(int fd, std::string& buf);

struct LogOptions {
  int64_t max_size = -1;  // bytes per file; <= 0: never rotate
  int max_file = 1;       // files kept, the current one included
};

// Appends a stream's bytes as lines. A line longer than 16 KiB is cut into
// partial entries, as docker does; a line without its newline stays buffered
// until its newline or flush() (at the stream's end).
class LogWriter {
 public:
  static Result<LogWriter> open(const std::string& path, const LogOptions& options);
  LogWriter(LogWriter&&) = default;
  LogWriter& operator=(LogWriter&&) = default;

  // `stream` is 0 for stdout, 1 for stderr.
  Status write(int stream, std::string_view data, int64_t time);
  // Writes out what is buffered for `stream` (a last line without newline).
  Status flush(int stream, int64_t time);

 private:
  LogWriter(std::string path, LogOptions options, UniqueFd fd, int64_t size);
  Status emit(int stream, std::string_view text, int64_t time);
  Status rotate();
  std::string path_;
  LogOptions options_;
  UniqueFd fd_;
  int64_t size_ = 0;
  std::string pending_[2];
};

struct LogQuery {
  std::optional<size_t> tail;    // the last N entries
  std::optional<int64_t> since;  // entries at or after (unix nanos)
  std::optional<int64_t> until;  // entries before
};

// Every entry of `path` and its rotated files (oldest first), filtered.
// Lines that are not log entries (a torn last line) are skipped.
Result<std::vector<LogEntry>> read_logs(const std::string& path, int max_file, const LogQuery& query = {});

// Every rotated file of `path` that exists, oldest first (`path` itself last).
std::vector<std::string> log_files(const std::string& path, int max_file);

}  // namespace brick::runtime
