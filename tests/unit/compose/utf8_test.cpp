#include "compose/utf8.hpp"

#include <catch2/catch.hpp>

#include "base/temp_dir.hpp"
#include "compose/dotenv.hpp"
#include "compose/loader.hpp"
#include "loader_test_util.hpp"

using namespace brick::compose;

TEST_CASE("invalid_utf8_at finds the first byte that is not UTF-8", "[utf8]") {
  struct Case {
    std::string text;
    std::optional<size_t> want;
  };
  const Case cases[] = {
      {"", std::nullopt},
      {"plain ascii", std::nullopt},
      {"caf\xC3\xA9", std::nullopt},           // é
      {"\xE2\x82\xAC 5", std::nullopt},        // €
      {"\xF0\x9F\x90\xB3", std::nullopt},      // 🐳
      {"\xEF\xBF\xBD", std::nullopt},          // U+FFFD itself
      {"\xF4\x8F\xBF\xBF", std::nullopt},      // U+10FFFF, the last code point
      {std::string("a\0b", 3), std::nullopt},  // NUL is UTF-8 (and refused elsewhere)
      {"caf\xE9", 3},                          // Latin-1 é
      {"a\xFF"
       "b",
       1},  // 0xFF never occurs in UTF-8
      {"\xFE", 0},
      {"\x80", 0},              // a lone continuation byte
      {"\xC3", 0},              // truncated at the end
      {"\xC3(", 0},             // truncated by ASCII
      {"\xE2\x82", 0},          // 3-byte sequence cut short
      {"\xC0\xAF", 0},          // overlong `/`
      {"\xC1\xBF", 0},          // overlong
      {"\xE0\x80\xAF", 0},      // overlong, 3 bytes
      {"\xF0\x80\x80\xAF", 0},  // overlong, 4 bytes
      {"\xED\xA0\x80", 0},      // a UTF-16 surrogate (U+D800)
      {"\xF4\x90\x80\x80", 0},  // past U+10FFFF
      {"\xF5\x80\x80\x80", 0},
      {"ok \xC3\xA9 then \xE9", 11},
  };
  for (const Case& c : cases) {
    INFO(escape_invalid_utf8(c.text));
    CHECK(invalid_utf8_at(c.text) == c.want);
  }
}

TEST_CASE("escape_invalid_utf8 keeps valid text and writes bad bytes as hex escapes", "[utf8]") {
  CHECK(escape_invalid_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(escape_invalid_utf8("caf\xE9") == "caf\\xE9");
  CHECK(escape_invalid_utf8("a\xFF\xFE"
                            "b") == "a\\xFF\\xFEb");
  CHECK(why_not_utf8("ok") == "");
  CHECK(why_not_utf8("a\xFF") == "is not valid UTF-8 (byte 0xFF at offset 1)");
}

TEST_CASE("check_utf8 names the file, line, column and key of each bad value or key", "[utf8]") {
  Node root = brick::compose::testing::yaml(
      "services:\n"
      "  web:\n"
      "    image: busybox\n"
      "    labels:\n"
      "      ok: caf\xC3\xA9\n"
      "      bad: \"a\xFF"
      "b\"\n"
      "    command: [echo, \"caf\xE9\"]\n"
      "    environment:\n"
      "      K\xE9Y: x\n");
  Diagnostics diags;
  check_utf8(root, diags);
  REQUIRE(diags.errors().size() == 3);
  CHECK(diags.errors()[0].str() ==
        "test.yaml:6:12: services.web.labels.bad: value is not valid UTF-8 (byte 0xFF at offset 1): save the file (or "
        "set the variable) as UTF-8");
  CHECK(diags.errors()[1].str().starts_with("test.yaml:7:21: services.web.command[1]: value is not valid UTF-8"));
  CHECK(diags.errors()[2].str().starts_with(
      "test.yaml:9:7: services.web.environment.K\\xE9Y: key is not valid UTF-8 (byte 0xE9 at offset 1)"));

  Diagnostics clean;
  check_utf8(brick::compose::testing::yaml("services: {web: {image: \"caf\xC3\xA9\"}}"), clean);
  CHECK_FALSE(clean.has_errors());
}

TEST_CASE("a dotenv value or name that is not UTF-8 is an error naming the file, line and variable", "[utf8]") {
  auto value = parse_dotenv("A=1\nNAME=caf\xE9\n", "dir/.env", {});
  REQUIRE_FALSE(value);
  CHECK(value.error().message() ==
        "dir/.env:2: variable `NAME`: its value is not valid UTF-8 (byte 0xE9 at offset 3): save the file as UTF-8");

  auto quoted = parse_dotenv("Q=\"x\xFF\"\n", "dir/.env", {});
  REQUIRE_FALSE(quoted);
  CHECK(quoted.error().message().starts_with("dir/.env:1: variable `Q`: its value is not valid UTF-8"));

  auto name = parse_dotenv("N\xFF=1\n", "dir/.env", {});
  REQUIRE_FALSE(name);
  CHECK(name.error().message().starts_with("dir/.env:1: variable name `N\\xFF` is not valid UTF-8"));

  auto passed = parse_dotenv("FROM_SHELL\n", "dir/.env", {{"FROM_SHELL", "\xE9t\xE9"}});
  REQUIRE_FALSE(passed);
  CHECK(passed.error().message().find("its value in the environment is not valid UTF-8") != std::string::npos);

  CHECK(parse_dotenv("NAME=caf\xC3\xA9\n", "dir/.env", {}).has_value());
}

TEST_CASE("load_project refuses a value from the environment that is not UTF-8, naming where it is used", "[utf8]") {
  auto t = brick::TempDir::create("brick-utf8");
  REQUIRE(t.has_value());
  brick::compose::testing::write(t->path(), "compose.yaml",
                                 "services:\n"
                                 "  web:\n"
                                 "    image: busybox\n"
                                 "    labels: {who: \"${WHO}\"}\n"
                                 "    environment: [PASSED]\n");
  LoadOptions o;
  o.working_directory = t->path();
  o.environment = {{"HOME", "/home/me"}, {"WHO", "ok"}, {"PASSED", "ok"}};
  REQUIRE(load_project(o).has_value());

  o.environment["WHO"] = "Jos\xE9";
  auto interpolated = load_project(o);
  REQUIRE_FALSE(interpolated);
  CHECK(interpolated.error().message().starts_with(
      "compose.yaml:4:19: services.web.labels.who: value is not valid UTF-8 (byte 0xE9 at offset 3)"));

  o.environment["WHO"] = "ok";
  o.environment["PASSED"] = "\xFF";
  auto passed = load_project(o);
  REQUIRE_FALSE(passed);
  CHECK(passed.error().message().starts_with(
      "compose.yaml:5:18: services.web.environment.PASSED: the value of `PASSED` in the environment is not valid "
      "UTF-8"));
}
