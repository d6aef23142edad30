// The json-file log: docker's line format, rotation, and reading back with
// --tail and --since.
#include "runtime/log_file.hpp"

#include <catch2/catch.hpp>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/temp_dir.hpp"

using namespace brick;
using namespace brick::runtime;

namespace {
constexpr int64_t kT0 = 1795000000LL * 1000000000LL;  // 2026-11-18T11:06:40Z
}

TEST_CASE("times round-trip with nanoseconds") {
  std::string text = format_rfc3339_nanos(kT0 + 123456789);
  CHECK(text == "2026-11-18T11:06:40.123456789Z");
  CHECK(parse_rfc3339_nanos(text).value() == kT0 + 123456789);
  CHECK(parse_rfc3339_nanos("2026-11-18T12:06:40+01:00").value() == kT0);
  CHECK(parse_rfc3339_nanos("2026-11-18T11:06:40.5Z").value() == kT0 + 500000000);
  CHECK_FALSE(parse_rfc3339_nanos("2026-11-18 nonsense"));
  CHECK_FALSE(parse_rfc3339_nanos("2026-11-18T11:06:40"));
}

TEST_CASE("since (logs --since) takes times, unix seconds and durations") {
  CHECK(parse_since("2026-11-18T11:06:40Z", 0).value() == kT0);
  CHECK(parse_since("1795000000", 0).value() == kT0);
  CHECK(parse_since("1795000000.25", 0).value() == kT0 + 250000000);
  CHECK(parse_since("10s", kT0).value() == kT0 - 10000000000LL);
  CHECK(parse_since("1h30m", kT0).value() == kT0 - 5400000000000LL);
  CHECK_FALSE(parse_since("10 parsecs", kT0));
  CHECK_FALSE(parse_since("", kT0));
}

TEST_CASE("entries are docker's json-file lines") {
  std::string line = encode_log_entry({"stdout", "hello \"world\"\n", kT0});
  CHECK(line ==
        "{\"log\":\"hello \\\"world\\\"\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-18T11:06:40.000000000Z\"}\n");
  LogEntry back = decode_log_entry(line).value();
  CHECK(back.log == "hello \"world\"\n");
  CHECK(back.stream == "stdout");
  CHECK(back.time == kT0);
  CHECK_FALSE(decode_log_entry("{\"log\":1}"));
  CHECK_FALSE(decode_log_entry("{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"2026-11-1"));
}

TEST_CASE("the writer splits lines, keeps partial ones until flushed, and keeps streams apart") {
  TempDir dir = TempDir::create().value();
  const std::string path = dir.path() + "/c-json.log";
  LogWriter w = LogWriter::open(path, {}).value();
  REQUIRE(w.write(0, "one\ntw", kT0));
  REQUIRE(w.write(1, "err\n", kT0 + 1));
  REQUIRE(w.write(0, "o\nthree", kT0 + 2));
  REQUIRE(w.flush(0, kT0 + 3));
  REQUIRE(w.flush(1, kT0 + 3));  // nothing pending: no entry
  auto entries = read_logs(path, 1).value();
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].log == "one\n");
  CHECK(entries[1].log == "err\n");
  CHECK(entries[1].stream == "stderr");
  CHECK(entries[2].log == "two\n");
  CHECK(entries[2].time == kT0 + 2);
  CHECK(entries[3].log == "three");
}

TEST_CASE("a line over 16 KiB becomes partial entries") {
  TempDir dir = TempDir::create().value();
  const std::string path = dir.path() + "/c-json.log";
  LogWriter w = LogWriter::open(path, {}).value();
  REQUIRE(w.write(0, std::string(40000, 'x') + "\n", kT0));
  auto entries = read_logs(path, 1).value();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].log.size() == 16384);
  CHECK(entries[2].log.size() == 40000 - 2 * 16384 + 1);
  CHECK(entries[2].log.back() == '\n');
}

TEST_CASE("rotation keeps max-file files of at most max-size, and reading spans them in order") {
  TempDir dir = TempDir::create().value();
  const std::string path = dir.path() + "/c-json.log";
  LogWriter w = LogWriter::open(path, {300, 3}).value();
  for (int i = 0; i < 40; ++i) REQUIRE(w.write(0, "line " + std::to_string(i) + "\n", kT0 + i));
  auto files = log_files(path, 3);
  REQUIRE(files.size() == 3);
  CHECK(files[0] == path + ".2");
  CHECK(files[2] == path);
  for (const std::string& f : files) CHECK(read_file(f).value().size() <= 300);
  CHECK(log_files(path, 10).size() == 3);  // nothing beyond max-file was kept
  auto entries = read_logs(path, 3).value();
  REQUIRE(!entries.empty());
  CHECK(entries.back().log == "line 39\n");
  for (size_t i = 1; i < entries.size(); ++i) CHECK(entries[i].time == entries[i - 1].time + 1);
}

TEST_CASE("reading applies --tail and --since") {
  TempDir dir = TempDir::create().value();
  const std::string path = dir.path() + "/c-json.log";
  LogWriter w = LogWriter::open(path, {}).value();
  for (int i = 0; i < 10; ++i) REQUIRE(w.write(i % 2, std::to_string(i) + "\n", kT0 + i * 1000000000LL));
  LogQuery tail;
  tail.tail = 3;
  auto last = read_logs(path, 1, tail).value();
  REQUIRE(last.size() == 3);
  CHECK(last[0].log == "7\n");
  tail.tail = 0;
  CHECK(read_logs(path, 1, tail).value().empty());
  LogQuery since;
  since.since = kT0 + 8000000000LL;
  auto late = read_logs(path, 1, since).value();
  REQUIRE(late.size() == 2);
  CHECK(late[0].log == "8\n");
  // A torn last line (a crash mid-write) is skipped, not an error.
  REQUIRE(write_file_atomic(path, read_file(path).value() + "{\"log\":\"9\\n\",\"str"));
  CHECK(read_logs(path, 1).value().size() == 10);
}
