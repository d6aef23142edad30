#include "base/resident.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "base/file.hpp"
#include "base/strings.hpp"

using namespace brick;

namespace {

// RssFile from /proc/self/status, in kB.
size_t rss_file_kb() {
  for (const std::string& line : split(*read_file("/proc/self/status"), '\n'))
    if (line.starts_with("RssFile:")) return std::stoul(line.substr(8));
  return 0;
}

}  // namespace

TEST_CASE("release_file_pages drops the resident code pages and the process runs on", "[resident]") {
  const size_t before = rss_file_kb();
  auto released = release_file_pages();
  REQUIRE(released);
  CHECK(*released > 0);
  const size_t after = rss_file_kb();
  INFO("RssFile before " << before << " kB, after " << after << " kB, released " << *released << " kB");
  CHECK(after < before);
  // Code, constants and relocated data all still work: the pages fault back
  // in from the page cache (a wrong drop of RELRO data would crash here).
  std::string text = "a,b,c";
  CHECK(split(text, ',').size() == 3);
  auto again = release_file_pages();
  REQUIRE(again);
  CHECK(read_file("/proc/self/status")->find("RssFile:") != std::string::npos);
}
