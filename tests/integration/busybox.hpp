// Real containers for the privileged tests: a root filesystem made from
// Debian's static busybox, and running a spec to its end with its output
// captured. One copy for every integ_<module> binary.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "base/unique_fd.hpp"
#include "runtime/spawn.hpp"

namespace brick::testing {

// /bin/busybox with every applet it has linked beside it, /etc/passwd and
// /etc/group (root; nobody; `app` 1000, also in group `extra` 2000) and
// /tmp. 0755, so a non-root user in the container reaches /bin.
inline TempDir busybox_rootfs() {
  namespace fs = std::filesystem;
  auto dir = TempDir::create("brick-rootfs");
  REQUIRE(dir);
  const std::string root = dir->path();
  for (const char* d : {"/bin", "/etc", "/tmp"}) fs::create_directories(root + d);
  fs::copy_file("/bin/busybox", root + "/bin/busybox");
  FILE* list = ::popen("/bin/busybox --list", "r");
  REQUIRE(list != nullptr);
  char applet[128];
  while (std::fgets(applet, sizeof applet, list) != nullptr) {
    std::string name(applet);
    if (!name.empty() && name.back() == '\n') name.pop_back();
    if (!name.empty() && name != "busybox") fs::create_symlink("busybox", root + "/bin/" + name);
  }
  REQUIRE(::pclose(list) == 0);
  REQUIRE(write_file_atomic(root + "/etc/passwd",
                            "root:x:0:0:root:/root:/bin/sh\n"
                            "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
                            "app:x:1000:1000::/home/app:/bin/sh\n"));
  REQUIRE(write_file_atomic(root + "/etc/group", "root:x:0:\nnogroup:x:65534:\napp:x:1000:\nextra:x:2000:app\n"));
  fs::permissions(root, fs::perms(0755));
  return std::move(*dir);
}

// A started container whose stdout and stderr go, together, to `output`.
struct Started {
  runtime::ChildProcess child;
  UniqueFd output;
};

struct Ran {
  std::string output;  // stdout and stderr together
  runtime::ExitStatus status;
};

// Spawns `spec` with its stdout and stderr on one pipe (`options`' own stdio
// fields are replaced).
inline Result<Started> start_container(const runtime::ContainerSpec& spec, runtime::SpawnOptions options = {}) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  options.stdout_fd = options.stderr_fd = write_end.get();
  auto child = runtime::spawn_container(spec, options);
  if (!child) return std::unexpected(child.error());
  return Started{std::move(*child), std::move(read_end)};
}

// Reads everything the container writes, then reaps it.
inline Ran finish(Started& s) {
  auto output = read_fd(s.output.get());
  REQUIRE(output);
  auto status = s.child.wait();
  REQUIRE(status);
  return Ran{*output, *status};
}

inline Result<Ran> run_container(const runtime::ContainerSpec& spec, runtime::SpawnOptions options = {}) {
  auto started = start_container(spec, std::move(options));
  if (!started) return std::unexpected(started.error());
  return finish(*started);
}

}  // namespace brick::testing
