#include "cli/compose_logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <iterator>
#include <thread>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "runtime/log_file.hpp"

namespace brick::cli {
namespace {

// docker compose's rainbow, in its order.
constexpr const char* kColors[] = {"\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m",
                                   "\033[96m", "\033[93m", "\033[92m", "\033[95m", "\033[94m"};

std::string label(const runtime::ContainerState& c, const char* key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? "" : it->second;
}

}  // namespace

std::string log_prefix_name(const runtime::ContainerState& c) {
  std::string service = label(c, "com.docker.compose.service");
  std::string number = label(c, "com.docker.compose.container-number");
  if (service.empty()) return c.name;
  return service + "-" + (number.empty() ? "1" : number);
}

LogStream::LogStream(const runtime::ContainerStore& store, std::vector<runtime::ContainerState> containers,
                     LogStreamOptions options)
    : store_(store), o_(options) {
  std::sort(containers.begin(), containers.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  size_t width = 0;
  for (const auto& c : containers) width = std::max(width, log_prefix_name(c).size());
  size_t i = 0;
  for (auto& c : containers) {
    std::string name = log_prefix_name(c);
    std::string prefix = name + std::string(width - name.size(), ' ') + "  | ";
    if (o_.color) prefix = std::string(kColors[i++ % std::size(kColors)]) + prefix + "\033[0m";
    int fd = ::open(c.log_path.c_str(), O_RDONLY | O_CLOEXEC);
    sources_.push_back({std::move(c), o_.prefix ? prefix : "", fd, ""});
  }
}

LogStream::~LogStream() {
  for (auto& s : sources_)
    if (s.fd >= 0) ::close(s.fd);
}

void LogStream::print(const Source& s, const std::string& time, const std::string& line) {
  std::string text = s.prefix + (o_.timestamps ? time + " " : "") + line;
  if (text.empty() || text.back() != '\n') text += '\n';
  std::cout << text;
}

void LogStream::print_existing() {
  for (Source& s : sources_) {
    std::vector<runtime::LogEntry> entries;
    for (const std::string& file : runtime::log_files(s.state.log_path, s.state.log_options.max_file)) {
      if (file == s.state.log_path) continue;
      std::string text = read_file(file).value_or("") + "\n";
      for (auto& e : runtime::decode_log_lines(text)) entries.push_back(std::move(e));
    }
    if (s.fd < 0) s.fd = ::open(s.state.log_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (s.fd >= 0) {
      for (auto& e : runtime::read_new_entries(s.fd, s.buf)) entries.push_back(std::move(e));
    }
    std::erase_if(entries, [&](const runtime::LogEntry& e) { return o_.since && e.time < *o_.since; });
    size_t first = o_.tail && *o_.tail < entries.size() ? entries.size() - *o_.tail : 0;
    for (size_t i = first; i < entries.size(); ++i)
      print(s, runtime::format_rfc3339_nanos(entries[i].time), entries[i].log);
  }
  std::cout.flush();
}

void LogStream::reopen_if_rotated(Source& s) {
  struct stat now {
  }, open_st{};
  if (s.fd < 0 || ::stat(s.state.log_path.c_str(), &now) != 0 || ::fstat(s.fd, &open_st) != 0) return;
  if (now.st_ino == open_st.st_ino) return;
  ::close(s.fd);
  s.fd = ::open(s.state.log_path.c_str(), O_RDONLY | O_CLOEXEC);
  s.buf.clear();
}

void LogStream::pump() {
  for (Source& s : sources_) {
    if (s.fd < 0) s.fd = ::open(s.state.log_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (s.fd < 0) continue;
    for (const auto& e : runtime::read_new_entries(s.fd, s.buf))
      if (!o_.since || e.time >= *o_.since) print(s, runtime::format_rfc3339_nanos(e.time), e.log);
    reopen_if_rotated(s);
  }
  std::cout.flush();
}

void LogStream::follow(const std::function<bool()>& done) {
  for (;;) {
    pump();
    if (done()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace brick::cli
