#include "compose/units.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace brick;
using namespace brick::compose;
using namespace std::chrono_literals;

namespace {

template <class T>
std::string error_of(const Result<T>& r) {
  return r ? std::string("<ok>") : r.error().message();
}

}  // namespace

TEST_CASE("parse_duration accepts Go duration syntax", "[units]") {
  struct Case {
    const char* text;
    int64_t ns;
  };
  const Case cases[] = {
      {"0", 0},
      {"+0", 0},
      {"-0", 0},
      {"0s", 0},
      {"10s", 10'000'000'000},
      {"1m30s", 90'000'000'000},
      {"1.5h", 5'400'000'000'000},
      {"300ms", 300'000'000},
      {"2us", 2'000},
      {"2\xc2\xb5s", 2'000},  // micro sign
      {"2\xce\xbcs", 2'000},  // Greek mu
      {"10ns", 10},
      {"1h2m3.5s", 3'723'500'000'000},
      {"-1.5s", -1'500'000'000},
      {"+5m", 300'000'000'000},
      {".5s", 500'000'000},
      {"1.s", 1'000'000'000},
      {"1.0000000001s", 1'000'000'000},
      {"100.00100s", 100'001'000'000},
      {"0.3333333333333333333h", 1'200'000'000'000},
      {"9223372036854775807ns", std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808ns", std::numeric_limits<int64_t>::min()},
      {"2562047h47m16.854775807s", std::numeric_limits<int64_t>::max()},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto d = parse_duration(c.text);
    REQUIRE(d);
    CHECK(d->count() == c.ns);
  }
}

TEST_CASE("parse_duration rejects what Go rejects, saying why", "[units]") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"10", "`10` has no unit; write `10s` for seconds (units: ns, us, ms, s, m, h)"},
      {"1.5", "`1.5` is missing a unit (ns, us, ms, s, m, h)"},
      {"1s2", "`1s2` is missing a unit (ns, us, ms, s, m, h)"},
      {"", "`` is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"},
      {"-", "`-` is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"},
      {"s", "`s` is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"},
      {".s", "`.s` is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"},
      {" 1s", "` 1s` is not a duration (e.g. `1m30s`, `1.5h`, `300ms`)"},
      {"1s ", "unknown unit `s ` in duration `1s ` (units: ns, us, ms, s, m, h)"},
      {"3d", "unknown unit `d` in duration `3d` (units: ns, us, ms, s, m, h)"},
      {"1S", "unknown unit `S` in duration `1S` (units: ns, us, ms, s, m, h)"},
      {"9223372036854775808ns", "`9223372036854775808ns` is too long a duration"},
      {"9223372036854775.808us", "`9223372036854775.808us` is too long a duration"},
      {"3000000h", "`3000000h` is too long a duration"},
      {"99999999999999999999s", "`99999999999999999999s` is too long a duration"},
      {"2562047h47m16.854775808s", "`2562047h47m16.854775808s` is too long a duration"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(error_of(parse_duration(c.text)) == c.error);
  }
}

TEST_CASE("format_duration prints as Go's Duration.String", "[units]") {
  struct Case {
    int64_t ns;
    const char* text;
  };
  const Case cases[] = {
      {0, "0s"},
      {1, "1ns"},
      {1'100, "1.1\xc2\xb5s"},
      {2'200'000, "2.2ms"},
      {300'000'000, "300ms"},
      {1'500'000'000, "1.5s"},
      {10'000'000'000, "10s"},
      {90'000'000'000, "1m30s"},
      {3'600'000'000'000, "1h0m0s"},
      {4'000'000'000'001, "1h6m40.000000001s"},
      {-1'500'000'000, "-1.5s"},
      {-1, "-1ns"},
      {std::numeric_limits<int64_t>::max(), "2562047h47m16.854775807s"},
      {std::numeric_limits<int64_t>::min(), "-2562047h47m16.854775808s"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(format_duration(Duration{c.ns}) == c.text);
    // What Go prints, Go parses back to the same value.
    auto back = parse_duration(c.text);
    REQUIRE(back);
    CHECK(back->count() == c.ns);
  }
}

TEST_CASE("parse_bytes follows docker's RAMInBytes", "[units]") {
  struct Case {
    const char* text;
    int64_t bytes;
  };
  const Case cases[] = {
      {"0", 0},
      {"100", 100},
      {"100 ", 100},  // the regex allows the space with no unit
      {"100b", 100},
      {"100B", 100},
      {"2k", 2048},
      {"2K", 2048},
      {"2kb", 2048},
      {"2KiB", 2048},
      {"2kib", 2048},
      {"2ki", 2048},
      {"512m", 512LL << 20},
      {"512 MB", 512LL << 20},
      {"1gb", 1LL << 30},
      {"1.5g", 3LL << 29},
      {"1.5G", 3LL << 29},
      {"0.5k", 512},
      {"1.7b", 1},  // truncated, as Go's int64() conversion does
      {"3t", 3LL << 40},
      {"2p", 2LL << 50},
      {"7P", 7LL << 50},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto n = parse_bytes(c.text);
    REQUIRE(n);
    CHECK(*n == c.bytes);
  }
}

TEST_CASE("parse_bytes rejects negative and malformed sizes", "[units]") {
  const std::string hint = " is not a size (a number with an optional unit b, k, m, g, t, p: `512m`, `1.5g`)";
  const char* bad[] = {"",    "-1",    "-1m",  "m",   "1x",  "1kk",     "1  m",  " 1m",  "1.",
                       ".5m", "1.2.3", "1mbb", "1e3", "1ib", "1 bytes", "12gig", "0x10", "+5"};
  for (const char* text : bad) {
    INFO(text);
    CHECK(error_of(parse_bytes(text)) == "`" + std::string(text) + "`" + hint);
  }
  CHECK(error_of(parse_bytes("8192p")) == "`8192p` is too large a size");
  CHECK(error_of(parse_bytes("99999999999999999999")) == "`99999999999999999999` is too large a size");
}

TEST_CASE("parse_cpus takes a positive decimal", "[units]") {
  CHECK(parse_cpus("0.5").value() == 0.5);
  CHECK(parse_cpus("2").value() == 2.0);
  CHECK(parse_cpus("1.25").value() == 1.25);
  CHECK(parse_cpus("0.001").value() == 0.001);
  CHECK(error_of(parse_cpus("0")) == "CPU count `0` must be greater than 0");
  CHECK(error_of(parse_cpus("0.0")) == "CPU count `0.0` must be greater than 0");
  const char* bad[] = {"", "-1", "abc", "1.5x", "inf", "nan", "1e3", "1..2", ".", " 1"};
  for (const char* text : bad) {
    INFO(text);
    CHECK(error_of(parse_cpus(text)) ==
          "`" + std::string(text) + "` is not a CPU count (a positive number such as `0.5` or `2`)");
  }
}

TEST_CASE("parse_uint and parse_int are strict base 10", "[units]") {
  CHECK(parse_uint("0").value() == 0);
  CHECK(parse_uint("42").value() == 42);
  CHECK(parse_uint("007").value() == 7);
  CHECK(parse_uint("18446744073709551615").value() == std::numeric_limits<uint64_t>::max());
  CHECK(error_of(parse_uint("18446744073709551616")) ==
        "`18446744073709551616` is too large (maximum 18446744073709551615)");
  for (const char* text : {"", "-1", "+1", "1x", " 1", "1 ", "0x10", "1.0"}) {
    INFO(text);
    CHECK(error_of(parse_uint(text)) == "`" + std::string(text) + "` is not a non-negative integer");
  }

  CHECK(parse_int("0").value() == 0);
  CHECK(parse_int("-17").value() == -17);
  CHECK(parse_int("+17").value() == 17);
  CHECK(parse_int("9223372036854775807").value() == std::numeric_limits<int64_t>::max());
  CHECK(parse_int("-9223372036854775808").value() == std::numeric_limits<int64_t>::min());
  CHECK(error_of(parse_int("9223372036854775808")) == "`9223372036854775808` is out of range for a 64-bit integer");
  CHECK(error_of(parse_int("-9223372036854775809")) == "`-9223372036854775809` is out of range for a 64-bit integer");
  CHECK(error_of(parse_int("-99999999999999999999999")) ==
        "`-99999999999999999999999` is out of range for a 64-bit integer");
  for (const char* text : {"", "-", "+", "--1", "1x", " 1", "1.5", "- 1"}) {
    INFO(text);
    CHECK(error_of(parse_int(text)) == "`" + std::string(text) + "` is not an integer");
  }
}

TEST_CASE("parse_file_mode reads octal modes", "[units]") {
  struct Case {
    const char* text;
    bool decimal;
    uint32_t mode;
  };
  const Case cases[] = {
      {"0440", false, 0440},  {"440", false, 0440},    {"0", false, 0},
      {"7777", false, 07777}, {"07777", false, 07777}, {"0440", true, 0440},
      {"288", true, 0440},    {"4095", true, 07777},   {"0", true, 0},
  };
  for (const auto& c : cases) {
    INFO(c.text << " decimal=" << c.decimal);
    auto m = parse_file_mode(c.text, c.decimal);
    REQUIRE(m);
    CHECK(*m == c.mode);
  }
  CHECK(error_of(parse_file_mode("0448")) == "`0448` is not an octal file mode (e.g. `0440`)");
  CHECK(error_of(parse_file_mode("")) == "`` is not an octal file mode (e.g. `0440`)");
  CHECK(error_of(parse_file_mode("rw")) == "`rw` is not an octal file mode (e.g. `0440`)");
  CHECK(error_of(parse_file_mode("-1", true)) == "`-1` is not a file mode (e.g. `0440`)");
  CHECK(error_of(parse_file_mode("0448", true)) == "`0448` is not an octal file mode (e.g. `0440`)");
  CHECK(error_of(parse_file_mode("10000")) == "file mode `10000` is larger than 07777");
  CHECK(error_of(parse_file_mode("4096", true)) == "file mode `4096` is larger than 07777");
}
