#include "runtime/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <deque>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/strings.hpp"

namespace brick::runtime {

namespace {

// docker's json-file driver cuts lines at this size (daemon/logger's bufio).
constexpr size_t kMaxLine = size_t{16} * 1024;

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("writing log `" + path + "`");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm), so
// parsing needs neither timegm's locale nor its 1-second resolution.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool parse_digits(std::string_view s, size_t pos, size_t count, int64_t& out) {
  if (pos + count > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

int64_t now_unix_nanos() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string format_rfc3339_nanos(int64_t unix_nanos) {
  std::time_t secs = static_cast<std::time_t>(unix_nanos / 1000000000);
  long nanos = static_cast<long>(unix_nanos % 1000000000);
  if (nanos < 0) nanos += 1000000000, --secs;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  // Not strftime: it reads the local time zone (/etc/localtime) first,
  // on every container start, for a UTC time that needs none.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, nanos);
  return buf;
}

Result<int64_t> parse_rfc3339_nanos(std::string_view s) {
  auto bad = [&] { return fail("`" + std::string(s) + "` is not an RFC 3339 time"); };
  int64_t year, month, day, hour, minute, second;
  if (!parse_digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !parse_digits(s, 5, 2, month) || s[7] != '-' ||
      !parse_digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !parse_digits(s, 11, 2, hour) ||
      s[13] != ':' || !parse_digits(s, 14, 2, minute) || s[16] != ':' || !parse_digits(s, 17, 2, second))
    return bad();
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return bad();
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = 100000000;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      nanos += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos, ++digits;
    }
    if (digits == 0) return bad();
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int64_t oh, om;
    if (!parse_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !parse_digits(s, pos + 4, 2, om))
      return bad();
    offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset;
  return secs * 1000000000 + nanos;
}

Result<int64_t> parse_since(std::string_view text, int64_t now_nanos) {
  if (text.empty()) return fail("an empty time");
  if (text.find('-') != std::string_view::npos && text.size() >= 19) return parse_rfc3339_nanos(text);
  // Unix seconds, maybe with a fraction.
  bool numeric = std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  if (numeric) {
    size_t dot = text.find('.');
    int64_t secs = 0, nanos = 0;
    std::string_view whole = text.substr(0, dot);
    if (std::from_chars(whole.data(), whole.data() + whole.size(), secs).ec != std::errc{})
      return fail("`" + std::string(text) + "` is not a time");
    if (dot != std::string_view::npos) {
      int64_t scale = 100000000;
      for (char c : text.substr(dot + 1)) {
        if (c == '.') return fail("`" + std::string(text) + "` is not a time");
        nanos += (c - '0') * scale;
        scale /= 10;
      }
    }
    return secs * 1000000000 + nanos;
  }
  // A Go duration: 1h30m, 10s, 500ms.
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    while (pos < text.size() && ((text[pos] >= '0' && text[pos] <= '9') || text[pos] == '.')) ++pos;
    if (start == pos) return fail("`" + std::string(text) + "` is not a time or duration");
    double value = std::stod(std::string(text.substr(start, pos - start)));
    size_t ustart = pos;
    while (pos < text.size() && !((text[pos] >= '0' && text[pos] <= '9') || text[pos] == '.')) ++pos;
    std::string_view unit = text.substr(ustart, pos - ustart);
    double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "µs")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else
      return fail("`" + std::string(text) + "` is not a time or duration");
    total += static_cast<int64_t>(value * scale);
  }
  return now_nanos - total;
}

std::string encode_log_entry(const LogEntry& entry) {
  nlohmann::json j = {{"log", entry.log}, {"stream", entry.stream}, {"time", format_rfc3339_nanos(entry.time)}};
  // Invalid UTF-8 from the container is replaced, not an exception.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<LogEntry> decode_log_entry(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a log entry");
  auto log = j.find("log"), stream = j.find("stream"), time = j.find("time");
  if (log == j.end() || !log->is_string() || stream == j.end() || !stream->is_string() || time == j.end() ||
      !time->is_string())
    return fail("not a log entry");
  LogEntry e;
  e.log = log->get<std::string>();
  e.stream = stream->get<std::string>();
  e.time = BRICK_TRY(parse_rfc3339_nanos(time->get<std::string>()));
  return e;
}

LogWriter::LogWriter(std::string path, LogOptions options, UniqueFd fd, int64_t size)
    : path_(std::move(path)), options_(options), fd_(std::move(fd)), size_(size) {}

Result<LogWriter> LogWriter::open(const std::string& path, const LogOptions& options) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) return fail_errno("opening log `" + path + "`");
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return fail_errno("reading log `" + path + "`");
  return LogWriter(path, options, std::move(fd), st.st_size);
}

Status LogWriter::rotate() {
  // Oldest first, so each rename lands on a name just vacated.
  if (options_.max_file <= 1) {
    if (::ftruncate(fd_.get(), 0) < 0) return fail_errno("truncating log `" + path_ + "`");
    size_ = 0;
    return {};
  }
  for (int i = options_.max_file - 1; i >= 1; --i) {
    std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
    std::string to = path_ + "." + std::to_string(i);
    if (::rename(from.c_str(), to.c_str()) < 0 && errno != ENOENT)
      return fail_errno(std::string("rotating log `").append(from).append("` to `").append(to).append("`"));
  }
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_TRUNC, 0640));
  if (!fd) return fail_errno("opening log `" + path_ + "`");
  fd_ = std::move(fd);
  size_ = 0;
  return {};
}

Status LogWriter::emit(int stream, std::string_view text, int64_t time) {
  std::string line = encode_log_entry({stream == 0 ? "stdout" : "stderr", std::string(text), time});
  if (options_.max_size > 0 && size_ > 0 && size_ + static_cast<int64_t>(line.size()) > options_.max_size)
    BRICK_TRY(rotate());
  BRICK_TRY(write_all(fd_.get(), line, path_));
  size_ += static_cast<int64_t>(line.size());
  return {};
}

Status LogWriter::write(int stream, std::string_view data, int64_t time) {
  std::string& pending = pending_[stream & 1];
  while (!data.empty()) {
    size_t nl = data.find('\n');
    size_t take = nl == std::string_view::npos ? data.size() : nl + 1;
    take = std::min(take, kMaxLine - pending.size());
    pending.append(data.substr(0, take));
    data.remove_prefix(take);
    if (pending.back() == '\n' || pending.size() >= kMaxLine) {
      BRICK_TRY(emit(stream, pending, time));
      pending.clear();
    }
  }
  return {};
}

Status LogWriter::flush(int stream, int64_t time) {
  std::string& pending = pending_[stream & 1];
  if (pending.empty()) return {};
  BRICK_TRY(emit(stream, pending, time));
  pending.clear();
  return {};
}

std::vector<std::string> log_files(const std::string& path, int max_file) {
  std::vector<std::string> out;
  for (int i = std::max(max_file, 1) - 1; i >= 1; --i) {
    std::string p = path + "." + std::to_string(i);
    if (::access(p.c_str(), F_OK) == 0) out.push_back(p);
  }
  if (::access(path.c_str(), F_OK) == 0) out.push_back(path);
  return out;
}

Result<std::vector<LogEntry>> read_logs(const std::string& path, int max_file, const LogQuery& query) {
  std::deque<LogEntry> kept;
  for (const std::string& file : log_files(path, max_file)) {
    auto text = read_file(file);
    if (!text) {
      if (text.error().errno_value() == ENOENT) continue;  // rotated away while we read
      return fail(std::move(text).error());
    }
    for (const std::string& line : split(*text, '\n')) {
      if (line.empty()) continue;
      auto entry = decode_log_entry(line);
      if (!entry) continue;
      if (query.since && entry->time < *query.since) continue;
      if (query.until && entry->time >= *query.until) continue;
      kept.push_back(std::move(*entry));
      if (query.tail && kept.size() > *query.tail) kept.pop_front();
    }
  }
  if (query.tail && *query.tail == 0) kept.clear();
  return std::vector<LogEntry>(std::make_move_iterator(kept.begin()), std::make_move_iterator(kept.end()));
}

std::vector<LogEntry> read_new_entries(int fd, std::string& buf) {
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  return decode_log_lines(buf);
}

std::vector<LogEntry> decode_log_lines(std::string& buf) {
  std::vector<LogEntry> out;
  size_t start = 0, nl;
  while ((nl = buf.find('\n', start)) != std::string::npos) {
    if (auto e = decode_log_entry(std::string_view(buf).substr(start, nl - start))) out.push_back(std::move(*e));
    start = nl + 1;
  }
  buf.erase(0, start);
  return out;
}

}  // namespace brick::runtime
