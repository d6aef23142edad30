// A container cgroup on the real host (root, inside sandbox.sh): create with
// limits, move a child in, read the limits back from the kernel's files,
// stats, freeze, kill, destroy, and check nothing is left.
#include "runtime/cgroup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>

#include "base/file.hpp"
#include "base/strings.hpp"

using namespace brick;
using namespace brick::runtime;

namespace {

constexpr size_t kHog = 16 << 20;

std::string read_trimmed(const std::string& path) {
  auto text = read_file(path);
  INFO(path);
  REQUIRE(text);
  return std::string(trim(*text));
}

bool gone(const std::string& path) { return ::access(path.c_str(), F_OK) != 0 && errno == ENOENT; }

std::string parent_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

// A child that waits on a pipe, so it execs sleep only once it is inside the
// cgroup and its memory is charged there.
struct Child {
  pid_t pid = -1;
  int go = -1;
  // hog: instead of sleep, keep 16 MiB of anonymous memory resident.
  explicit Child(bool hog = false) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      char c;
      if (::read(fds[0], &c, 1) != 1) ::_exit(126);
      if (hog) {
        void* p = ::mmap(nullptr, kHog, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED) ::_exit(125);
        for (;;) ::pause();
      }
      ::execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[0]);
    go = fds[1];
  }
  void release() {
    REQUIRE(::write(go, "x", 1) == 1);
    ::close(go);
    go = -1;
  }
  ~Child() {
    if (go >= 0) ::close(go);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

TEST_CASE("a container cgroup on this host: limits, process, stats, kill, destroy") {
  REQUIRE(::geteuid() == 0);
  auto layout = detect_host_cgroup_layout();
  INFO((layout ? std::string(to_string(layout->mode)) : layout.error().message()));
  REQUIRE(layout);
  const bool v2 = layout->mode == CgroupMode::unified;

  const std::string path = "brick/itest-" + std::to_string(::getpid()) + "/c1";
  CgroupResources r;
  r.memory_limit = 64 << 20;
  r.pids_limit = 32;
  r.cpu_shares = 512;
  auto cg = Cgroup::create(*layout, path, r);
  INFO((cg ? std::string("created") : cg.error().message()));
  REQUIRE(cg);
  const std::vector<std::string> dirs = cg->directories();
  REQUIRE_FALSE(dirs.empty());
  const std::string memory = cg->directory("memory");
  const std::string pids = cg->directory("pids");
  const std::string cpu = cg->directory("cpu");
  if (!v2) {
    // The memory cgroup sits below the caller's own memory cgroup.
    CHECK(memory.starts_with("/sys/fs/cgroup/memory" + layout->v1.at("memory").own_path));
    CHECK(read_trimmed(memory + "/memory.limit_in_bytes") == "67108864");
    CHECK(read_trimmed(cpu + "/cpu.shares") == "512");
    CHECK_FALSE(read_trimmed(cg->directory("cpuset") + "/cpuset.cpus").empty());
  } else {
    CHECK(read_trimmed(memory + "/memory.max") == "67108864");
    CHECK(read_trimmed(cpu + "/cpu.weight") == std::to_string(cpu_shares_to_weight(512)));
  }
  CHECK(read_trimmed(pids + "/pids.max") == "32");

  Child child;
  REQUIRE(cg->add_process(child.pid));
  child.release();
  for (const std::string& dir : dirs) CHECK(read_trimmed(dir + "/cgroup.procs") == std::to_string(child.pid));

  // Once sleep has exec'd inside, its pages are charged here.
  CgroupStats stats;
  for (int i = 0; i < 200; ++i) {
    auto s = cg->stats();
    REQUIRE(s);
    stats = *s;
    if (stats.memory_usage > 0 && stats.cpu_usage_ns > 0) break;
    ::usleep(10000);
  }
  CHECK(stats.pids_current == 1);
  CHECK(stats.memory_usage > 0);
  CHECK(stats.cpu_usage_ns > 0);

  // A value the kernel rejects names the file and the value.
  CgroupResources bad;
  bad.cpuset_cpus = "4095";
  auto refused = cg->set(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message().find("writing `4095` to `" + cg->directory("cpuset") + "/cpuset.cpus`") !=
        std::string::npos);

  // Limits change live.
  CgroupResources grow;
  grow.memory_limit = 128 << 20;
  grow.pids_limit = 64;
  REQUIRE(cg->set(grow));
  CHECK(read_trimmed(memory + (v2 ? "/memory.max" : "/memory.limit_in_bytes")) == "134217728");
  CHECK(read_trimmed(pids + "/pids.max") == "64");

  REQUIRE(cg->freeze());
  if (!v2) CHECK(read_trimmed(cg->directory("freezer") + "/freezer.state") == "FROZEN");
  REQUIRE(cg->thaw());

  REQUIRE(cg->kill_all(SIGKILL));
  int status = 0;
  REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
  child.pid = -1;
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(cg->stats()->pids_current == 0);

  auto destroyed = cg->destroy();
  INFO((destroyed ? std::string("destroyed") : destroyed.error().message()));
  REQUIRE(destroyed);
  for (const std::string& dir : dirs) {
    CHECK(gone(dir));
    CHECK(gone(parent_of(dir)));  // brick/itest-<pid>, emptied with its last container
  }
}

TEST_CASE("a cgroup left in scope is destroyed with its processes") {
  auto layout = detect_host_cgroup_layout();
  REQUIRE(layout);
  const std::string path = "brick/itest-raii-" + std::to_string(::getpid()) + "/c1";
  std::vector<std::string> dirs;
  Child child;
  {
    auto cg = Cgroup::create(*layout, path, {});
    REQUIRE(cg);
    dirs = cg->directories();
    REQUIRE(cg->add_process(child.pid));
    child.release();
  }
  int status = 0;
  REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
  child.pid = -1;
  CHECK(WIFSIGNALED(status));
  for (const std::string& dir : dirs) {
    CHECK(gone(dir));
    CHECK(gone(parent_of(dir)));
  }
}

TEST_CASE("keep() leaves the cgroup for a later destroy") {
  auto layout = detect_host_cgroup_layout();
  REQUIRE(layout);
  const std::string path = "brick/itest-keep-" + std::to_string(::getpid()) + "/c1";
  std::vector<std::string> dirs;
  {
    auto cg = Cgroup::create(*layout, path, {});
    REQUIRE(cg);
    dirs = cg->directories();
    cg->keep();
  }
  for (const std::string& dir : dirs) CHECK_FALSE(gone(dir));
  auto again = Cgroup::create(*layout, path, {});  // an existing cgroup is adopted
  REQUIRE(again);
  REQUIRE(again->destroy());
  for (const std::string& dir : dirs) CHECK(gone(dir));
}

TEST_CASE("v1: a memory limit below what the cgroup uses is refused, naming file and value") {
  auto layout = detect_host_cgroup_layout();
  REQUIRE(layout);
  // cgroup v2 takes any memory.max and OOM-kills instead; only v1 refuses.
  if (layout->mode == CgroupMode::unified) return;
  auto swaps = read_file("/proc/swaps");
  REQUIRE(swaps);
  // With swap the kernel could push the memory out and accept the limit.
  if (split(trim(*swaps), '\n').size() > 1) return;
  auto cg = Cgroup::create(*layout, "brick/itest-oom-" + std::to_string(::getpid()) + "/c1", {});
  REQUIRE(cg);
  Child hog(true);
  REQUIRE(cg->add_process(hog.pid));
  hog.release();
  for (int i = 0; i < 300 && cg->stats()->memory_usage < kHog; ++i) ::usleep(10000);
  REQUIRE(cg->stats()->memory_usage >= kHog);

  CgroupResources tiny;
  tiny.memory_limit = 4 << 20;
  auto refused = cg->set(tiny);
  REQUIRE_FALSE(refused);
  // The kernel reclaims what it can, then answers EBUSY.
  CHECK(refused.error().errno_value() == EBUSY);
  CHECK(refused.error().message().find("writing `4194304` to `" + cg->directory("memory") +
                                       "/memory.limit_in_bytes`") != std::string::npos);
  REQUIRE(cg->destroy());
  REQUIRE(::waitpid(hog.pid, nullptr, 0) == hog.pid);
  hog.pid = -1;
}
