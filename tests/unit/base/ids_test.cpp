#include "base/ids.hpp"

#include <catch2/catch.hpp>
#include <regex>

TEST_CASE("random_hex gives distinct lowercase hex of the asked length") {
  auto a = brick::random_hex(32).value();
  auto b = brick::random_hex(32).value();
  CHECK(a.size() == 64);
  CHECK(std::regex_match(a, std::regex("[0-9a-f]{64}")));
  CHECK(a != b);
  CHECK(brick::random_hex(0).value().empty());
}

TEST_CASE("now_rfc3339 is a UTC RFC 3339 timestamp") {
  CHECK(std::regex_match(brick::now_rfc3339(), std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")));
}
