// The cgroup v2 device program on the real kernel (root, inside sandbox.sh):
// it passes the verifier, attaches to a cgroup2 directory (on this hybrid
// host the `unified` mount, which needs no controller for it), admits docker's
// default devices and refuses the rest; an update replaces it.
#include "runtime/device_bpf.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>

#include "base/file.hpp"
#include "base/ids.hpp"
#include "runtime/spec.hpp"

using namespace brick;
using namespace brick::runtime;

namespace {

// Forks a child, moves it into `dir`, and lets it open `device`: returns 0
// when the open worked, else its errno.
int open_in_cgroup(const std::string& dir, const char* device) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    char c;
    if (::read(fds[0], &c, 1) != 1) ::_exit(250);
    int fd = ::open(device, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ::_exit(fd >= 0 ? 0 : errno);
  }
  ::close(fds[0]);
  int procs = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(procs >= 0);
  std::string text = std::to_string(pid);
  CHECK(::write(procs, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(procs);
  REQUIRE(::write(fds[1], "x", 1) == 1);
  ::close(fds[1]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("the BPF device program admits the default devices and refuses the rest", "[cgroup]") {
  REQUIRE(::geteuid() == 0);
  auto layout = detect_host_cgroup_layout();
  REQUIRE(layout);
  if (!layout->unified) {
    WARN("no cgroup2 mount on this host: nothing to attach a device program to");
    return;
  }
  std::string dir =
      layout->unified->mount_point + "/" + layout->unified->own_path + "/brick-bpf-test-" + random_hex(4).value();
  for (size_t at; (at = dir.find("//")) != std::string::npos;) dir.erase(at, 1);
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  struct Remove {
    std::string dir;
    ~Remove() { ::rmdir(dir.c_str()); }
  } remove{dir};

  auto attached = attach_device_filter(dir, default_device_rules());
  INFO((attached ? "" : attached.error().full()));
  REQUIRE(attached);
  CHECK(open_in_cgroup(dir, "/dev/null") == 0);
  CHECK(open_in_cgroup(dir, "/dev/urandom") == 0);
  CHECK(open_in_cgroup(dir, "/dev/kmsg") == EPERM);  // c 1:11 is not on the list

  // An update swaps the program: /dev/kmsg now allowed, /dev/null not.
  std::vector<DeviceRule> rules = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 11, "rw"}};
  REQUIRE(attach_device_filter(dir, rules));
  CHECK(open_in_cgroup(dir, "/dev/kmsg") == 0);
  CHECK(open_in_cgroup(dir, "/dev/null") == EPERM);
}
