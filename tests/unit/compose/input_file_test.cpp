#include "compose/input_file.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "base/file.hpp"
#include "base/temp_dir.hpp"

using brick::compose::check_input_size;
using brick::compose::read_input_file;

TEST_CASE("read_input_file refuses a file over the cap by its size, naming it", "[compose][limits]") {
  auto tmp = brick::TempDir::create();
  REQUIRE(tmp);
  const std::string path = tmp->path() + "/compose.yaml";
  REQUIRE(brick::write_file_atomic(path, std::string(2048, 'x'), 0644, false));
  auto r = read_input_file(path, "compose.yaml", "compose file", 1024);
  REQUIRE_FALSE(r);
  CHECK(r.error().message() ==
        "compose.yaml: the compose file is larger than 1024 bytes (2048 bytes); refusing to parse it");
  auto ok = read_input_file(path, "compose.yaml", "compose file", 2048);
  REQUIRE(ok);
  CHECK(ok->size() == 2048);
}

TEST_CASE("read_input_file stops reading a pipe one byte past the cap", "[compose][limits]") {
  // /dev/zero never ends: only the cap makes this return.
  auto r = read_input_file("/dev/zero", ".env", "env file", 4096);
  REQUIRE_FALSE(r);
  CHECK(r.error().message() == ".env: the env file is larger than 4096 bytes; refusing to parse it");
}

TEST_CASE("check_input_size applies the same cap to text in memory", "[compose][limits]") {
  CHECK(check_input_size("abc", "-", "compose file", 3));
  auto r = check_input_size("abcd", "-", "compose file", 3);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("stdin: the compose file is larger than 3 bytes") == 0);
}

TEST_CASE("read_input_file names the file it cannot open", "[compose][limits]") {
  auto r = read_input_file("/nonexistent/compose.yaml", "compose.yaml", "compose file");
  REQUIRE_FALSE(r);
  CHECK(r.error().full().find("/nonexistent/compose.yaml") != std::string::npos);
}
