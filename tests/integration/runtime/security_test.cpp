// Privileges from inside a container (root, inside sandbox.sh): docker's
// capability set, no_new_privs, the seccomp filter, the escape attempts they
// stop, users by name, the init process and sysctls.
#include "runtime/security.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "engine/container_request.hpp"
#include "engine/spec_options.hpp"
#include "integration/busybox.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/cgroup_backend.hpp"
#include "runtime/exec.hpp"
#include "runtime/spawn.hpp"
#include "runtime/user.hpp"

using namespace brick;
using namespace brick::runtime;
using namespace brick::testing;

namespace {

ContainerSpec spec_for(const TempDir& rootfs, std::vector<std::string> args) {
  ContainerSpec spec = default_spec();
  spec.root.path = rootfs.path();
  spec.hostname = "secure";
  spec.process.args = std::move(args);
  return spec;
}

std::string status_line(const std::string& output, const std::string& key) {
  size_t pos = output.find(key + ":\t");
  if (pos == std::string::npos) return "";
  size_t end = output.find('\n', pos);
  return output.substr(pos + key.size() + 2, end - pos - key.size() - 2);
}

std::string hex_mask(uint64_t mask) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(mask));
  return text;
}

}  // namespace

TEST_CASE("docker's default capabilities, no_new_privs and seccomp filter", "[security]") {
  TempDir rootfs = busybox_rootfs();
  auto ran = run_container(spec_for(rootfs, {"cat", "/proc/self/status"}));
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->status.exit_code() == 0);
  const std::string docker = hex_mask(*capability_mask(default_capabilities()));
  CHECK(docker == "00000000a80425fb");
  CHECK(status_line(ran->output, "CapEff") == docker);
  CHECK(status_line(ran->output, "CapPrm") == docker);
  CHECK(status_line(ran->output, "CapBnd") == docker);
  CHECK(status_line(ran->output, "CapInh") == "0000000000000000");
  CHECK(status_line(ran->output, "CapAmb") == "0000000000000000");
  CHECK(status_line(ran->output, "NoNewPrivs") == "1");
  CHECK(status_line(ran->output, "Seccomp") == "2");
}

TEST_CASE("cap_drop ALL leaves nothing; cap_add adds; seccomp=unconfined turns the filter off", "[security]") {
  TempDir rootfs = busybox_rootfs();
  ContainerSpec spec = spec_for(rootfs, {"cat", "/proc/self/status"});
  engine::ContainerRequest drop_all;
  drop_all.cap_drop = {"ALL"};
  REQUIRE(engine::with_capabilities(spec, drop_all, engine::host_facts()));
  REQUIRE(engine::with_security_opts(spec, drop_all, engine::host_facts()));
  auto none = run_container(spec);
  REQUIRE(none);
  INFO(none->output);
  CHECK(status_line(none->output, "CapEff") == "0000000000000000");
  CHECK(status_line(none->output, "CapBnd") == "0000000000000000");
  CHECK(status_line(none->output, "Seccomp") == "2");

  spec = spec_for(rootfs, {"cat", "/proc/self/status"});
  engine::ContainerRequest some_caps;
  some_caps.cap_add = {"net_admin", "CAP_SYS_PTRACE"};
  some_caps.cap_drop = {"chown"};
  some_caps.security_opt = {"seccomp=unconfined"};
  REQUIRE(engine::with_capabilities(spec, some_caps, engine::host_facts()));
  REQUIRE(engine::with_security_opts(spec, some_caps, engine::host_facts()));
  auto some = run_container(spec);
  REQUIRE(some);
  INFO(some->output);
  uint64_t want =
      (*capability_mask(default_capabilities()) & ~(uint64_t{1} << 0)) | (uint64_t{1} << 12) | (uint64_t{1} << 19);
  CHECK(status_line(some->output, "CapEff") == hex_mask(want));
  CHECK(status_line(some->output, "Seccomp") == "0");
}

TEST_CASE("escapes fail from inside a default container", "[security]") {
  TempDir rootfs = busybox_rootfs();
  auto host_marker = TempDir::create("brick-host");
  REQUIRE(host_marker);
  REQUIRE(write_file_atomic(host_marker->path() + "/secret", "host\n"));
  REQUIRE(write_file_atomic(rootfs.path() + "/fake.ko", "not a module\n"));
  // docker's device list: block devices may be made (CAP_MKNOD) but never opened.
  auto layout = detect_host_cgroup_layout();
  REQUIRE(layout);
  CgroupResources resources;
  resources.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', -1, -1, "m"},   {true, 'b', -1, -1, "m"},
                       {true, 'c', 1, 3, "rwm"},    {true, 'c', 1, 5, "rwm"},   {true, 'c', 1, 7, "rwm"},
                       {true, 'c', 1, 8, "rwm"},    {true, 'c', 1, 9, "rwm"},   {true, 'c', 5, 0, "rwm"},
                       {true, 'c', 5, 2, "rwm"},    {true, 'c', 136, -1, "rwm"}};
  auto cgroup = Cgroup::create(*layout, "brick/security-itest-" + std::to_string(::getpid()), resources);
  REQUIRE(cgroup);
  SpawnOptions options;
  options.before_start = [&](pid_t pid) { return cgroup->add_process(pid); };
  const std::string script =
      "mount -t tmpfs none /tmp && echo MOUNTED;"
      "mknod /tmp/sda b 8 0; head -c 1 /tmp/sda >/dev/null && echo READ-BLOCK;"
      "echo brick > /proc/sys/kernel/domainname && echo SYSCTL-WRITTEN;"
      "insmod /fake.ko; "
      "unshare -U true && echo USERNS;"
      "unshare -m true && echo MOUNTNS;"
      "chroot / true && echo CHROOT-OK;"
      "cat /proc/1/root" +
      host_marker->path() +
      "/secret && echo HOST-REACHED;"
      "echo pids $(ls -d /proc/[0-9]* | wc -l);"
      "echo fds $(ls /proc/self/fd | wc -l);"
      "echo done";
  auto ran = run_container(spec_for(rootfs, {"sh", "-c", script}), options);
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->output.find("MOUNTED") == std::string::npos);
  CHECK(ran->output.find("READ-BLOCK") == std::string::npos);
  CHECK(ran->output.find("SYSCTL-WRITTEN") == std::string::npos);
  CHECK(ran->output.find("USERNS") == std::string::npos);
  CHECK(ran->output.find("MOUNTNS") == std::string::npos);
  CHECK(ran->output.find("HOST-REACHED") == std::string::npos);
  // The module is refused by the filter (EPERM), not parsed by the kernel.
  CHECK(ran->output.find("insmod: can't insert '/fake.ko': Operation not permitted") != std::string::npos);
  CHECK(ran->output.find("unshare: unshare(0x10000000): Operation not permitted") != std::string::npos);
  // What the filter allows with CAP_SYS_CHROOT still works.
  CHECK(ran->output.find("CHROOT-OK") != std::string::npos);
  // sh, ls' subshell pipeline: only the container's own processes; 0-2 and ls' dir fd.
  CHECK(ran->output.find("fds 4\n") != std::string::npos);
  CHECK(ran->output.find("done\n") != std::string::npos);
  REQUIRE(cgroup->destroy());
}

TEST_CASE("a user by name runs with its ids, groups and home", "[security]") {
  TempDir rootfs = busybox_rootfs();
  ContainerSpec spec = spec_for(rootfs, {"sh", "-c", "id -u; id -g; id -G; echo $HOME; grep CapEff /proc/self/status"});
  REQUIRE(apply_user(spec, "nobody"));
  auto ran = run_container(spec);
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->output == "65534\n65534\n65534\n/nonexistent\nCapEff:\t0000000000000000\n");

  spec = spec_for(rootfs, {"sh", "-c", "id -u; id -g; id -G; echo $HOME"});
  REQUIRE(apply_user(spec, "app"));
  auto app = run_container(spec);
  REQUIRE(app);
  CHECK(app->output == "1000\n1000\n1000 2000\n/home/app\n");

  spec = spec_for(rootfs, {"true"});
  auto missing = apply_user(spec, "bob");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() == "resolving user: user `bob` not found in the image's /etc/passwd");
}

TEST_CASE("init reaps orphans, forwards SIGTERM and exits with the command's status", "[security]") {
  TempDir rootfs = busybox_rootfs();
  SpawnOptions with_init;
  with_init.init = true;
  // The subshell's sleep is orphaned to PID 1, exits, and must be reaped.
  auto ran =
      run_container(spec_for(rootfs, {"sh", "-c",
                                      "(sleep 0.1 &); sleep 0.5; "
                                      "echo zombies $(cat /proc/[0-9]*/stat | cut -d' ' -f3 | grep -c Z);"
                                      "echo pid $$; ls /proc/1/root/ >/dev/null 2>&1 || echo init-hidden; exit 3"}),
                    with_init);
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->output == "zombies 0\npid 2\ninit-hidden\n");
  CHECK(ran->status == ExitStatus{3, 0});

  // sleep would ignore SIGTERM as PID 1; as the init's child it dies of it.
  auto child = spawn_container(spec_for(rootfs, {"sleep", "100"}), with_init);
  REQUIRE(child);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(child->kill(SIGTERM));
  auto status = child->wait();
  REQUIRE(status);
  CHECK(status->exit_code() == 128 + SIGTERM);

  auto missing = run_container(spec_for(rootfs, {"/nope"}), with_init);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() == "starting container: executing `/nope`: No such file or directory");
}

TEST_CASE("sysctls: namespaced ones are set, host-wide ones refused", "[security]") {
  TempDir rootfs = busybox_rootfs();
  ContainerSpec spec = spec_for(rootfs, {"cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmni"});
  spec.linux.sysctl = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmni", "1234"}};
  auto ran = run_container(spec);
  REQUIRE(ran);
  CHECK(ran->output == "1\n1234\n");

  spec.linux.sysctl = {{"kernel.panic", "1"}};
  auto refused = run_container(spec);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message() ==
        "starting container: sysctl `kernel.panic` is not namespaced: setting it would change the host");
}

TEST_CASE("exec joins the container's namespaces, cgroup and privileges", "[security][exec]") {
  TempDir rootfs = busybox_rootfs();
  REQUIRE(write_file_atomic(rootfs.path() + "/marker", "inside\n"));
  auto layout = detect_host_cgroup_layout();
  REQUIRE(layout);
  auto cgroup = Cgroup::create(*layout, "brick/exec-itest-" + std::to_string(::getpid()), {});
  REQUIRE(cgroup);
  ContainerSpec spec = spec_for(rootfs, {"sh", "-c",
                                         "echo ready; "
                                         "for n in net mnt pid; do readlink /proc/self/ns/$n; done; sleep 100"});
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  SpawnOptions options;
  options.stdout_fd = write_end.get();
  options.cgroup = &*cgroup;
  // Joined without a cgroup.procs write (its lock costs ~7 ms): born there
  // on v2, by the new processes themselves on v1.
  cgroup_fs::WriteLog writes;
  cgroup_fs::record_writes(&writes);
  // In its cgroup already when before_start (and the prestart hooks) run.
  std::string start_cgroups;
  options.before_start = [&](pid_t pid) -> Status {
    start_cgroups = BRICK_TRY(read_file("/proc/" + std::to_string(pid) + "/cgroup"));
    return {};
  };
  auto container = spawn_container(spec, options);
  write_end.reset();
  REQUIRE(container);
  CHECK(start_cgroups.find("brick/exec-itest-") != std::string::npos);
  // The container's own view: "ready" and its three namespace links.
  std::string seen;
  while (std::count(seen.begin(), seen.end(), '\n') < 4) {
    char buf[256];
    ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    REQUIRE(n > 0);
    seen.append(buf, static_cast<size_t>(n));
  }
  const std::string namespaces = seen.substr(seen.find('\n') + 1);

  Process process = spec.process;
  process.args = {"sh", "-c",
                  "for n in net mnt pid; do readlink /proc/self/ns/$n; done; hostname; cat /marker;"
                  "echo pid1 $(cat /proc/1/comm); grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status;"
                  "id -u; pwd; ls /proc/self/fd | wc -l"};
  process.cwd = "/bin";
  process.user.uid = 65534;
  process.user.gid = 65534;
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  UniqueFd out_read(out[0]), out_write(out[1]);
  ExecOptions exec_options;
  exec_options.container_pid = container->pid();
  exec_options.container_pidfd = container->pidfd();
  exec_options.stdout_fd = exec_options.stderr_fd = out_write.get();
  exec_options.cgroup_dirs = cgroup->directories();
  pid_t joined = -1;
  std::string exec_cgroups;
  exec_options.before_start = [&](pid_t pid) -> Status {
    joined = pid;
    exec_cgroups = BRICK_TRY(read_file("/proc/" + std::to_string(pid) + "/cgroup"));
    return {};
  };
  auto exec = exec_in_container(process, spec.linux, exec_options);
  cgroup_fs::record_writes(nullptr);
  for (const auto& [path, value] : writes) CHECK_FALSE(path.ends_with("cgroup.procs"));
  // Already in the container's cgroups when before_start runs.
  const std::string container_cgroups = *read_file("/proc/" + std::to_string(container->pid()) + "/cgroup");
  CHECK(container_cgroups.find("brick/exec-itest-") != std::string::npos);
  CHECK(exec_cgroups == container_cgroups);
  out_write.reset();
  INFO((exec ? std::string("exec started") : exec.error().message()));
  REQUIRE(exec);
  const pid_t exec_pid = exec->pid();
  auto text = read_fd(out_read.get());
  REQUIRE(text);
  auto status = exec->wait();
  REQUIRE(status);
  INFO(*text);
  CHECK(status->exit_code() == 0);
  CHECK(text->starts_with(namespaces));
  CHECK(text->find("secure\ninside\npid1 sleep\n") != std::string::npos);
  CHECK(text->find("CapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n65534\n/bin\n4\n") != std::string::npos);
  CHECK(joined == exec_pid);

  // 127 and 126 stay apart: not found, and found but not executable.
  process.user = {};
  process.args = {"/nope"};
  exec_options.stdout_fd = exec_options.stderr_fd = -1;
  auto missing = exec_in_container(process, spec.linux, exec_options);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().errno_value() == ENOENT);
  CHECK(missing.error().message() == "exec in container: executing `/nope`: No such file or directory");
  process.args = {"/marker"};
  auto not_executable = exec_in_container(process, spec.linux, exec_options);
  REQUIRE_FALSE(not_executable);
  CHECK(not_executable.error().errno_value() == EACCES);

  REQUIRE(container->kill(SIGKILL));
  REQUIRE(container->wait());
  REQUIRE(cgroup->destroy());
}

TEST_CASE("exec reaches a container whose PID 1 is brick's init", "[security][exec]") {
  TempDir rootfs = busybox_rootfs();
  ContainerSpec spec = spec_for(rootfs, {"sleep", "100"});
  SpawnOptions options;
  options.init = true;
  auto container = spawn_container(spec, options);
  REQUIRE(container);
  Process process = spec.process;
  process.args = {"sh", "-c", "echo $$ $(cat /proc/2/comm)"};
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  UniqueFd out_read(out[0]), out_write(out[1]);
  ExecOptions exec_options;
  exec_options.container_pid = container->pid();
  exec_options.stdout_fd = exec_options.stderr_fd = out_write.get();
  auto exec = exec_in_container(process, spec.linux, exec_options);
  out_write.reset();
  INFO((exec ? std::string("exec started") : exec.error().message()));
  REQUIRE(exec);
  auto text = read_fd(out_read.get());
  REQUIRE(text);
  CHECK(*text == "3 sleep\n");
  CHECK(*exec->wait() == ExitStatus{0, 0});
  REQUIRE(container->kill(SIGTERM));
  CHECK(container->wait()->exit_code() == 128 + SIGTERM);
}
