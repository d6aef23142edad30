#include "images/reference.hpp"

#include <catch2/catch.hpp>

using namespace brick::images;

namespace {
const std::string kHex(64, 'a');
}

TEST_CASE("references normalize as docker's do", "[reference]") {
  struct Case {
    std::string in, out, familiar;
  };
  const std::vector<Case> cases = {
      {"busybox", "docker.io/library/busybox:latest", "busybox"},
      {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox"},
      {"library/busybox", "docker.io/library/busybox:latest", "busybox"},
      {"docker.io/busybox", "docker.io/library/busybox:latest", "busybox"},
      {"index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox"},
      {"me/app:v2", "docker.io/me/app:v2", "me/app"},
      {"ghcr.io/a/b:1", "ghcr.io/a/b:1", "ghcr.io/a/b"},
      {"localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x"},
      {"localhost/x", "localhost/x:latest", "localhost/x"},
      {"localhost:5000", "docker.io/library/localhost:5000", "localhost"},
      {"Registry.Example.com/a", "Registry.Example.com/a:latest", "Registry.Example.com/a"},
      {"[::1]:5000/x:t", "[::1]:5000/x:t", "[::1]:5000/x"},
      {"a/b-c__d.e/f---g:T_1.x", "docker.io/a/b-c__d.e/f---g:T_1.x", "a/b-c__d.e/f---g"},
      {"busybox@sha256:" + kHex, "docker.io/library/busybox@sha256:" + kHex, "busybox"},
      {"busybox:1@sha256:" + kHex, "docker.io/library/busybox:1@sha256:" + kHex, "busybox"},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    auto ref = parse_reference(c.in);
    REQUIRE(ref);
    CHECK(ref->str() == c.out);
    CHECK(ref->familiar_repository() == c.familiar);
  }
}

TEST_CASE("invalid references say why", "[reference]") {
  struct Case {
    std::string in, why;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"Busybox", "must be lowercase"},
      {"busybox:", "tag ``"},
      {"busybox:-x", "tag `-x`"},
      {"busybox:" + std::string(129, 'a'), "tag"},
      {"busybox@sha256:abc", "digest `sha256:abc`"},
      {"busybox@md5:" + kHex, "is not sha256"},
      {"busybox@sha256:" + std::string(64, 'A'), "lowercase hex"},
      {kHex, "64-byte hexadecimal"},
      {"a//b", "empty path component"},
      {"a/-b", "path component `-b`"},
      {"a/b_", "path component `b_`"},
      {"a/b___c", "path component"},
      {"host:port/x", "registry `host:port`"},
      {"-host.io/x", "registry `-host.io`"},
      {"ghcr.io/", "repository name is empty"},
      {"a/" + std::string(260, 'b'), "255 characters"},
      {"busy box", "path component"},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    auto ref = parse_reference(c.in);
    REQUIRE_FALSE(ref);
    CHECK_THAT(ref.error().message(), Catch::Contains(c.why));
  }
}

TEST_CASE("transports are parsed into their parts", "[reference]") {
  struct Case {
    std::string in;
    Transport transport;
    std::string path, ref;
  };
  const std::vector<Case> cases = {
      {"oci-archive:/tmp/a.tar", Transport::OciArchive, "/tmp/a.tar", ""},
      {"oci-archive:/tmp/a.tar:busybox:latest", Transport::OciArchive, "/tmp/a.tar", "busybox:latest"},
      {"docker-archive:img.tar", Transport::DockerArchive, "img.tar", ""},
      {"oci:/srv/layout", Transport::OciLayout, "/srv/layout", ""},
      {"oci:/srv/layout:v1", Transport::OciLayout, "/srv/layout", "v1"},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    auto t = parse_transport(c.in);
    REQUIRE(t);
    REQUIRE(t->has_value());
    CHECK((*t)->transport == c.transport);
    CHECK((*t)->path == c.path);
    CHECK((*t)->ref == c.ref);
  }
  for (std::string plain : {"busybox", "localhost:5000/x", "ocifoo:1"}) {
    auto t = parse_transport(plain);
    REQUIRE(t);
    CHECK_FALSE(t->has_value());
  }
  for (std::string bad : {"oci-archive:", "oci:/x:", "docker://busybox", "containers-storage:x"}) {
    INFO(bad);
    CHECK_FALSE(parse_transport(bad));
  }
}
