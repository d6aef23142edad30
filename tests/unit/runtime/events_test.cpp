// The events file: its line format, appends from many writers, rotation,
// and the tail that `compose events` reads it with.
#include "runtime/events.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "base/file.hpp"
#include "base/temp_dir.hpp"

using namespace brick;
using namespace brick::runtime;

namespace {

constexpr int64_t kT0 = 1795000000LL * 1000000000LL;

Event make(const std::string& action, int n = 0) {
  Event e;
  e.time = kT0 + n;
  e.action = action;
  e.id = std::string(64, 'a');
  e.attributes = {{"com.docker.compose.project", "demo"}, {"name", "demo-web-1"}, {"n", std::to_string(n)}};
  return e;
}

std::vector<std::string> actions(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.action);
  return out;
}

void append_raw(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
}

}  // namespace

TEST_CASE("an event is one JSON line that parses back") {
  Event e = make("die");
  e.attributes["exitCode"] = "137";
  std::string line = event_to_json(e);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.starts_with(R"({"action":"die","attributes":{)"));
  CHECK(line.find(R"("timeNano":1795000000000000000)") != std::string::npos);
  CHECK(parse_event(line).value() == e);
}

TEST_CASE("lines that are no event are refused") {
  CHECK_FALSE(parse_event(""));
  CHECK_FALSE(parse_event("[1,2]"));
  CHECK_FALSE(parse_event(R"({"type":"container","action":"start"})"));  // no id, no time
  CHECK_FALSE(parse_event(R"({"timeNano":"soon","type":"container","action":"start","id":"x"})"));
  CHECK_FALSE(parse_event(R"({"timeNano":1,"type":"container","action":"start","id":"x","attributes":{"a":1}})"));
}

TEST_CASE("a label that is not UTF-8 does not stop the event") {
  Event e = make("create");
  e.attributes["bad"] = std::string("\xff\xfe", 2);
  auto back = parse_event(event_to_json(e));
  REQUIRE(back);
  CHECK(back->attributes.at("bad") != e.attributes.at("bad"));  // replaced, not thrown
  CHECK(back->action == "create");
}

TEST_CASE("a container's event carries its labels, name, image and extras") {
  ContainerState s;
  s.id = std::string(64, 'b');
  s.name = "demo-web-1";
  s.image = "busybox";
  s.labels = {{"com.docker.compose.service", "web"}};
  Event e = container_event(s, "die", {{"exitCode", "3"}});
  CHECK(e.type == "container");
  CHECK(e.id == s.id);
  CHECK(e.time > kT0);
  CHECK(e.attributes ==
        std::map<std::string, std::string>{
            {"com.docker.compose.service", "web"}, {"name", "demo-web-1"}, {"image", "busybox"}, {"exitCode", "3"}});
}

TEST_CASE("a tail sees only what is appended after it opened, in order") {
  TempDir dir = TempDir::create().value();
  append_event(dir.path(), make("create", 1));
  EventTail tail = EventTail::open(dir.path(), false).value();
  CHECK(tail.read().empty());
  append_event(dir.path(), make("start", 2));
  append_event(dir.path(), make("die", 3));
  CHECK(actions(tail.read()) == std::vector<std::string>{"start", "die"});
  CHECK(tail.read().empty());
  struct stat st {};
  REQUIRE(::stat(events_path(dir.path()).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a tail opened before the file exists reads it from its start") {
  TempDir dir = TempDir::create().value();
  EventTail tail = EventTail::open(dir.path(), false).value();
  CHECK(tail.read().empty());
  append_event(dir.path(), make("create", 1));
  CHECK(actions(tail.read()) == std::vector<std::string>{"create"});
}

TEST_CASE("a torn last line waits for its end, garbage lines are skipped") {
  TempDir dir = TempDir::create().value();
  EventTail tail = EventTail::open(dir.path(), false).value();
  std::string line = event_to_json(make("start", 1));
  append_raw(events_path(dir.path()), "not json\n" + line.substr(0, 20));
  CHECK(tail.read().empty());
  append_raw(events_path(dir.path()), line.substr(20) + "\n");
  CHECK(actions(tail.read()) == std::vector<std::string>{"start"});
}

TEST_CASE("the file rotates past its bound and a tail follows it") {
  TempDir dir = TempDir::create().value();
  const std::string path = events_path(dir.path());
  const uint64_t bound = event_to_json(make("x", 0)).size() * 3;  // three lines a file
  EventTail tail = EventTail::open(dir.path(), false).value();
  std::vector<Event> seen;
  for (int i = 0; i < 10; ++i) {
    append_event(dir.path(), make("e" + std::to_string(i), i), bound);
    for (auto& e : tail.read()) seen.push_back(std::move(e));
  }
  REQUIRE(seen.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(seen[i].action == "e" + std::to_string(i));
  // Bounded: the current file and one older generation, nothing more.
  CHECK(read_file(path).value().size() <= 2 * bound);
  CHECK(read_file(path + ".1").value().size() <= 2 * bound);
  CHECK(!std::ifstream(path + ".2").good());

  SECTION("from the start: the older generation, then the current one") {
    EventTail all = EventTail::open(dir.path(), true).value();
    auto events = all.read();
    REQUIRE(!events.empty());
    CHECK(events.back().action == "e9");
    for (size_t i = 1; i < events.size(); ++i) CHECK(events[i - 1].time < events[i].time);
  }
}

TEST_CASE("a rotation between two reads loses nothing of the old file") {
  TempDir dir = TempDir::create().value();
  const uint64_t bound = event_to_json(make("x", 0)).size() * 2;
  append_event(dir.path(), make("before", 0), bound);
  EventTail tail = EventTail::open(dir.path(), false).value();
  for (int i = 0; i < 3; ++i) append_event(dir.path(), make("e" + std::to_string(i), i + 1), bound);
  // `before` and e0 went to events.jsonl.1 when e1 came; the tail had read neither.
  CHECK(!std::ifstream(events_path(dir.path()) + ".1").fail());
  CHECK(actions(tail.read()) == std::vector<std::string>{"e0", "e1", "e2"});
}

TEST_CASE("concurrent writers never interleave their lines") {
  TempDir dir = TempDir::create().value();
  EventTail tail = EventTail::open(dir.path(), false).value();
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        Event e = make("w" + std::to_string(t), i);
        e.attributes["padding"] = std::string(static_cast<size_t>(100 + i * 7 % 300), 'p');
        append_event(dir.path(), e);
      }
    });
  for (auto& w : writers) w.join();
  auto events = tail.read();
  CHECK(events.size() == 800);
  std::string text = read_file(events_path(dir.path())).value();
  CHECK(std::count(text.begin(), text.end(), '\n') == 800);
}

TEST_CASE("wait returns soon after an append, not at its timeout") {
  TempDir dir = TempDir::create().value();
  EventTail tail = EventTail::open(dir.path(), false).value();
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    append_event(dir.path(), make("start", 1));
  });
  auto begin = std::chrono::steady_clock::now();
  std::vector<Event> got;
  while (got.empty() && std::chrono::steady_clock::now() - begin < std::chrono::seconds(10)) {
    tail.wait(5000);
    got = tail.read();
  }
  writer.join();
  CHECK(actions(got) == std::vector<std::string>{"start"});
  CHECK(std::chrono::steady_clock::now() - begin < std::chrono::seconds(3));
}

TEST_CASE("an unwritable run root drops the event without failing") {
  append_event("/nonexistent/brick-run-root", make("start", 1));  // no throw, no crash
  ContainerState s;
  record_event("", s, "start");  // no run root, no id: nothing to do
  SUCCEED();
}
