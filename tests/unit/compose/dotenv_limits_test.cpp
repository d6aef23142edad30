// Replays of fuzz/dotenv_fuzz findings: a short .env file whose lines repeat
// earlier ones must not grow into gigabytes. The inputs are byte for byte the
// regression seeds fuzz/corpus/dotenv/regression-*.env.
#include <catch2/catch.hpp>
#include <string>

#include "compose/dotenv.hpp"
#include "compose/interpolate.hpp"

using namespace brick::compose;

namespace {

// `A=xxxxxxxxxxxxxxxx`, then each line eight copies of the one before:
// 16 * 8^25 bytes at `Z` before the fix.
std::string exponential() {
  std::string text = "A=xxxxxxxxxxxxxxxx\n";
  char prev = 'A';
  for (char name = 'B'; name <= 'Z'; ++name) {
    text += std::string(1, name) + "=";
    for (int i = 0; i < 8; ++i) text += std::string("$") + prev;
    text += "\n";
    prev = name;
  }
  return text;
}

// A 1 MiB value `M`, then 900 lines copying it: 900 MiB before the fix.
std::string copies() {
  std::string text = "A=xxxxxxxxxxxxxxxx\n";
  const std::string names = "ABCDEF";
  for (size_t i = 1; i < names.size(); ++i) {
    text += std::string(1, names[i]) + "=";
    for (int j = 0; j < 8; ++j) text += std::string("$") + names[i - 1];
    text += "\n";
  }
  text += "M=$F$F\n";
  for (int i = 0; i < 900; ++i) text += "Q" + std::to_string(i) + "=$M\n";
  return text;
}

}  // namespace

TEST_CASE("parse_dotenv refuses a value that interpolation grows past 16 MiB", "[dotenv][fuzz]") {
  auto r = parse_dotenv(exponential(), "dir/.env", {});
  REQUIRE_FALSE(r.has_value());
  // H is 16 * 8^7 = 32 MiB: the first line past the bound, named by its line.
  CHECK_THAT(r.error().message(), Catch::StartsWith("dir/.env:8: `$G$G$G$G$G$G$G$G` grows past 16777216 bytes"));
}

TEST_CASE("parse_dotenv refuses a file whose values add up to more than 16 MiB", "[dotenv][fuzz]") {
  auto r = parse_dotenv(copies(), "dir/.env", {});
  REQUIRE_FALSE(r.has_value());
  // A..M add up to 1.6 MiB, each Q line 1 MiB more: Q14 passes 16 MiB.
  CHECK(r.error().message() ==
        "dir/.env:22: variable `Q14`: the values of this file add up to more than 16 MiB after interpolation");
}

TEST_CASE("interpolate_string stops at its size bound", "[interpolate][fuzz]") {
  Lookup lookup = [](std::string_view) -> std::optional<std::string> { return std::string(1000, 'v'); };
  CHECK(interpolate_string("$A$A$A", lookup, nullptr, 3000).value().size() == 3000);
  auto r = interpolate_string("$A$A$A$A", lookup, nullptr, 3000);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == "`$A$A$A$A` grows past 3000 bytes when interpolated");
  CHECK(interpolate_string("no dollar", lookup, nullptr, 3).value() == "no dollar");
}
