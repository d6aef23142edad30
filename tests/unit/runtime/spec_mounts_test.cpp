// Mount option words as runc reads them: flags, propagation, and the rest as
// filesystem data.
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "runtime/mounts.hpp"

using namespace brick::runtime;

TEST_CASE("parse_mount_options splits flags, propagation and data", "[spec]") {
  struct Case {
    std::vector<std::string> options;
    unsigned long flags;
    unsigned long propagation;
    std::string data;
  };
  const Case cases[] = {
      {{}, 0, 0, ""},
      {{"nosuid", "strictatime", "mode=755", "size=65536k"}, MS_NOSUID | MS_STRICTATIME, 0, "mode=755,size=65536k"},
      {{"nosuid", "noexec", "nodev", "ro"}, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, 0, ""},
      {{"ro", "rw"}, 0, 0, ""},
      {{"rbind", "rslave"}, MS_BIND | MS_REC, MS_SLAVE | MS_REC, ""},
      {{"bind", "private"}, MS_BIND, MS_PRIVATE, ""},
      {{"newinstance", "ptmxmode=0666", "gid=5"}, 0, 0, "newinstance,ptmxmode=0666,gid=5"},
  };
  for (const Case& c : cases) {
    MountOptions got = parse_mount_options(c.options);
    INFO(c.data);
    CHECK(got.flags == c.flags);
    CHECK(got.propagation == c.propagation);
    CHECK(got.data == c.data);
  }
}
