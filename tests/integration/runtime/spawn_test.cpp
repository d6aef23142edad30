// spawn_container against the real kernel (root, inside sandbox.sh): a
// busybox rootfs, output through a pipe, exit codes, a failing exec, and the
// masked and read-only paths of the default spec.
#include "runtime/spawn.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/temp_dir.hpp"
#include "integration/busybox.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/cgroup_backend.hpp"

using namespace brick;
using namespace brick::runtime;
using namespace brick::testing;

namespace {

ContainerSpec spec_for(const TempDir& rootfs, std::vector<std::string> args) {
  ContainerSpec spec = default_spec();
  spec.root.path = rootfs.path();
  spec.hostname = "boxy";
  spec.process.args = std::move(args);
  return spec;
}

}  // namespace

TEST_CASE("a container runs with its own hostname, pid 1 and no leaked fds", "[spawn]") {
  TempDir rootfs = busybox_rootfs();
  // An fd the test holds without CLOEXEC must still not reach the container.
  UniqueFd leak(::open("/dev/null", O_RDONLY));
  REQUIRE(leak);
  auto ran =
      run_container(spec_for(rootfs, {"sh", "-c", "echo hi; hostname; id -u; ls /proc/self/fd; cat /proc/1/cmdline"}));
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->status == ExitStatus{0, 0});
  // ls's own directory fd is 3; anything more came from the parent.
  // busybox sh execs its last command in place, so pid 1 is cat itself.
  CHECK(ran->output == "hi\nboxy\n0\n0\n1\n2\n3\n" + std::string("cat\0/proc/1/cmdline\0", 20));
}

TEST_CASE("the exit code comes back, signals as 128+n", "[spawn]") {
  TempDir rootfs = busybox_rootfs();
  auto ran = run_container(spec_for(rootfs, {"sh", "-c", "exit 3"}));
  REQUIRE(ran);
  CHECK(ran->status.exit_code() == 3);
  // The kernel drops signals a pid namespace's init sends itself without a
  // handler, SIGKILL included: `kill -9 $$` inside does nothing.
  auto ignored = run_container(spec_for(rootfs, {"sh", "-c", "kill -9 $$; exit 4"}));
  REQUIRE(ignored);
  CHECK(ignored->status.exit_code() == 4);
  // From outside it is an ordinary SIGKILL.
  auto child = spawn_container(spec_for(rootfs, {"sleep", "100"}));
  REQUIRE(child);
  REQUIRE(child->kill(SIGKILL));
  auto killed = child->wait();
  REQUIRE(killed);
  CHECK(killed->signal == SIGKILL);
  CHECK(killed->exit_code() == 137);
}

TEST_CASE("a failing exec names the stage and errno", "[spawn]") {
  TempDir rootfs = busybox_rootfs();
  auto ran = run_container(spec_for(rootfs, {"/nope"}));
  REQUIRE_FALSE(ran);
  CHECK(ran.error().errno_value() == ENOENT);
  CHECK(ran.error().message() == "starting container: executing `/nope`: No such file or directory");
  auto not_in_path = run_container(spec_for(rootfs, {"nope"}));
  REQUIRE_FALSE(not_in_path);
  CHECK(not_in_path.error().errno_value() == ENOENT);
}

TEST_CASE("a failing step before exec names its path", "[spawn]") {
  TempDir rootfs = busybox_rootfs();
  ContainerSpec spec = spec_for(rootfs, {"sh"});
  spec.mounts.push_back({"/data", "bind", "/nonexistent-source", {"rbind"}});
  auto ran = run_container(spec);
  REQUIRE_FALSE(ran);
  CHECK(ran.error().message().find("/nonexistent-source") != std::string::npos);

  spec = spec_for(rootfs, {"sh"});
  spec.process.cwd = "/missing";
  auto no_cwd = run_container(spec);
  REQUIRE_FALSE(no_cwd);
  CHECK(no_cwd.error().message() ==
        "starting container: changing to working directory `/missing`: No such file or directory");
}

TEST_CASE("before_start runs before the child continues", "[spawn]") {
  TempDir rootfs = busybox_rootfs();
  ContainerSpec spec = spec_for(rootfs, {"sh", "-c", "cat /marker"});
  spec.mounts.push_back({"/marker", "bind", rootfs.path() + "/host-marker", {"bind", "ro"}});
  REQUIRE(write_file_atomic(rootfs.path() + "/host-marker", "before\n"));
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  pid_t seen = 0;
  SpawnOptions options;
  options.stdout_fd = write_end.get();
  options.before_start = [&](pid_t pid) -> Status {
    seen = pid;
    // The bind happens after this returns, so the child sees this write.
    return write_file_atomic(rootfs.path() + "/host-marker", "during\n");
  };
  auto child = spawn_container(spec, options);
  write_end.reset();
  REQUIRE(child);
  CHECK(seen == child->pid());
  CHECK(*read_fd(read_end.get()) == "during\n");
  CHECK(*child->wait() == ExitStatus{0, 0});

  SpawnOptions refusing;
  refusing.before_start = [](pid_t) -> Status { return fail("no cgroup for you"); };
  auto refused = spawn_container(spec, refusing);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message() == "starting container: no cgroup for you");
}

TEST_CASE("masked and read-only paths", "[spawn]") {
  TempDir rootfs = busybox_rootfs();
  auto ran =
      run_container(spec_for(rootfs, {"sh", "-c",
                                      "echo kcore=$(cat /proc/kcore | wc -c);"
                                      "echo 1 > /proc/sys/kernel/ns_last_pid && echo sys-writable;"
                                      "cat /proc/sys/kernel/ostype;"
                                      "mkdir /sys/brick-probe && echo sysfs-writable;"
                                      "ls /sys/firmware | wc -l;"
                                      "grep -E ' /(proc/sys|sys) ' /proc/self/mounts | cut -d' ' -f2,4 | cut -c1-13"}));
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->status.exit_code() == 0);
  CHECK(ran->output.find("kcore=0\n") != std::string::npos);
  CHECK(ran->output.find("writable") == std::string::npos);
  // strerror(EROFS), as busybox's shell reports the failed open.
  CHECK(ran->output.find("can't create /proc/sys/kernel/ns_last_pid: Read-only file system") != std::string::npos);
  CHECK(ran->output.find("can't create directory '/sys/brick-probe': Read-only file system") != std::string::npos);
  CHECK(ran->output.find("Linux\n") != std::string::npos);
  CHECK(ran->output.find("/proc/sys ro,") != std::string::npos);
  CHECK(ran->output.find("/sys ro,") != std::string::npos);
}

TEST_CASE("stdout and stderr go to their own fds; the host's device nodes are bound", "[spawn]") {
  TempDir rootfs = busybox_rootfs();
  int out[2], err[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  UniqueFd out_read(out[0]), out_write(out[1]);
  REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  UniqueFd err_read(err[0]), err_write(err[1]);
  SpawnOptions options;
  options.stdout_fd = out_write.get();
  options.stderr_fd = err_write.get();
  auto child = spawn_container(spec_for(rootfs, {"sh", "-c",
                                                 "for d in null zero full random urandom; do test -c /dev/$d && "
                                                 "echo $d; done; echo oops >&2; ls /dev/fd/ | wc -l"}),
                               options);
  out_write.reset();
  err_write.reset();
  REQUIRE(child);
  auto stdout_text = read_fd(out_read.get());
  auto stderr_text = read_fd(err_read.get());
  REQUIRE(stdout_text);
  REQUIRE(stderr_text);
  CHECK(*stdout_text == "null\nzero\nfull\nrandom\nurandom\n4\n");  // 0-2 and ls's own directory fd
  CHECK(*stderr_text == "oops\n");
  CHECK(*child->wait() == ExitStatus{0, 0});
}

TEST_CASE("a namespace with a path is joined, not created", "[spawn]") {
  TempDir rootfs = busybox_rootfs();
  // A network namespace with no process in it, held by an fd: unshare is
  // per thread, so a helper thread makes it.
  UniqueFd netns;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) == 0) netns.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  }).join();
  REQUIRE(netns);
  struct stat st {};
  REQUIRE(::fstat(netns.get(), &st) == 0);
  const std::string path = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(netns.get());
  auto with_path = [&](const std::string& type, const std::string& where, std::vector<std::string> args) {
    ContainerSpec spec = spec_for(rootfs, std::move(args));
    for (Namespace& ns : spec.linux.namespaces)
      if (ns.type == type) ns.path = where;
    return spec;
  };
  auto ran = run_container(with_path("network", path, {"readlink", "/proc/self/ns/net"}));
  REQUIRE(ran);
  CHECK(ran->output == "net:[" + std::to_string(st.st_ino) + "]\n");
  // Twice: joining does not use the namespace up.
  auto again = run_container(with_path("network", path, {"readlink", "/proc/self/ns/net"}));
  REQUIRE(again);
  CHECK(again->output == ran->output);

  auto missing = run_container(with_path("network", "/nonexistent/ns", {"true"}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() ==
        "starting container: opening the network namespace at `/nonexistent/ns`: No such file or directory");
  // Not a network namespace: setns refuses it, and the error names the path.
  auto wrong = run_container(with_path("network", "/proc/self/ns/uts", {"true"}));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message().find("joining the network namespace at `/proc/self/ns/uts`") != std::string::npos);
  auto pid = run_container(with_path("pid", path, {"true"}));
  REQUIRE_FALSE(pid);
  CHECK(pid.error().message().find("not supported yet") != std::string::npos);
}

TEST_CASE("OCI hooks run in the namespaces the runtime spec says, with the state on stdin", "[spawn][hooks]") {
  TempDir rootfs = busybox_rootfs();
  TempDir host = *TempDir::create();
  const std::string h = host.path(), r = rootfs.path();
  ContainerSpec spec = spec_for(rootfs, {"cat", "/created-by-hook", "/started-by-hook"});
  auto sh = [](std::string script) { return Hook{"/bin/sh", {"sh", "-c", std::move(script)}, {}, {}}; };
  // createRuntime: ours, once the container's namespaces exist (its pid).
  spec.hooks.create_runtime.push_back(sh("cat >" + h + "/runtime-state; readlink /proc/self/ns/mnt >" + h + "/ns"));
  // createContainer: the container's mount namespace before pivot_root, so
  // host paths resolve and the container's /dev tmpfs (mounted only in its
  // namespace) shows under the rootfs; what it writes there the container sees.
  spec.hooks.create_container.push_back(sh("grep -c ' " + r + "/dev ' /proc/self/mountinfo >" + r +
                                           "/created-by-hook; readlink /proc/self/ns/mnt >>" + h + "/ns"));
  // startContainer: inside the container, its root and hostname in place.
  spec.hooks.start_container.push_back(sh("hostname >/started-by-hook; cat >>/started-by-hook"));
  SpawnOptions options;
  options.id = "hooked";
  options.bundle = "/the/bundle";
  auto started = start_container(spec, options);
  REQUIRE(started);
  const pid_t pid = started->child.pid();
  Ran ran = finish(*started);
  INFO(ran.output);
  CHECK(ran.status == ExitStatus{0, 0});

  auto runtime_state = nlohmann::json::parse(*read_file(h + "/runtime-state"));
  CHECK(runtime_state["id"] == "hooked");
  CHECK(runtime_state["pid"] == pid);
  CHECK(runtime_state["bundle"] == "/the/bundle");
  CHECK(runtime_state["status"] == "creating");
  // Two different mount namespaces: the runtime's, then the container's.
  auto ns = split(*read_file(h + "/ns"), '\n');
  REQUIRE(ns.size() >= 2);
  CHECK(ns[0] != ns[1]);
  // The container's /dev was there; the startContainer hook ran as `boxy`
  // and read the state (status "created").
  CHECK(ran.output.starts_with("1\nboxy\n{"));
  CHECK(ran.output.find("\"status\":\"created\"") != std::string::npos);
}

TEST_CASE("a failing hook fails the start, naming it, and leaves no process", "[spawn][hooks]") {
  TempDir rootfs = busybox_rootfs();
  for (const char* kind : {"createRuntime", "createContainer", "startContainer"}) {
    INFO(kind);
    ContainerSpec spec = spec_for(rootfs, {"true"});
    Hook bad{"/bin/sh", {"sh", "-c", "echo no such GPU >&2; exit 4"}, {}, {}};
    if (std::string(kind) == "createRuntime") spec.hooks.create_runtime.push_back(bad);
    if (std::string(kind) == "createContainer") spec.hooks.create_container.push_back(bad);
    if (std::string(kind) == "startContainer") spec.hooks.start_container.push_back(bad);
    auto started = start_container(spec);
    REQUIRE_FALSE(started);
    CHECK(started.error().message() ==
          "starting container: " + std::string(kind) + " hook `/bin/sh`: exited with status 4: no such GPU");
    // The child was killed and reaped: none of ours is left, not even a zombie.
    siginfo_t info{};
    CHECK(::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) < 0);
    CHECK(errno == ECHILD);
  }
}

TEST_CASE("on cgroup v2 the container is born in its cgroup, with no cgroup.procs write", "[spawn][cgroup]") {
  // A pure-v2 host made of this one's cgroup2 hierarchy, mounted again under
  // a temp root (sandbox.sh's private mount namespace) and described so.
  TempDir fake = *TempDir::create();
  const std::string mount_point = fake.path() + "/sys/fs/cgroup";
  std::filesystem::create_directories(mount_point);
  if (::mount("cgroup2", mount_point.c_str(), "cgroup2", 0, nullptr) < 0) {
    WARN("no cgroup2 here: " << std::strerror(errno));
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  auto layout = detect_cgroup_layout("30 20 0:26 / /sys/fs/cgroup rw,relatime shared:4 - cgroup2 cgroup2 rw\n",
                                     "0::/\n", fake.path());
  REQUIRE(layout);
  REQUIRE(layout->mode == CgroupMode::unified);
  const std::string name = "brick-itest-" + std::to_string(::getpid());
  auto cgroup = Cgroup::create(*layout, name + "/born", {});
  REQUIRE(cgroup);

  TempDir rootfs = busybox_rootfs();
  ContainerSpec spec = spec_for(rootfs, {"true"});
  cgroup_fs::WriteLog writes;
  cgroup_fs::record_writes(&writes);
  SpawnOptions options;
  options.cgroup = &*cgroup;
  std::string seen;
  options.before_start = [&](pid_t pid) -> Status {
    seen = *read_file("/proc/" + std::to_string(pid) + "/cgroup");
    return {};
  };
  auto ran = run_container(spec, options);
  cgroup_fs::record_writes(nullptr);
  REQUIRE(ran);
  CHECK(ran->status == ExitStatus{0, 0});
  // In its cgroup from the start (this host's v1 lines aside), never moved.
  CHECK(seen.find("0::/" + name + "/born\n") != std::string::npos);
  for (const auto& [path, value] : writes) CHECK_FALSE(path.ends_with("cgroup.procs"));
  REQUIRE(cgroup->destroy());
  ::rmdir((mount_point + "/" + name).c_str());
}
