#include "runtime/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <thread>
#include <utility>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/unique_fd.hpp"
#include "runtime/cgroup_backend.hpp"

namespace brick::runtime {

std::string_view to_string(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::unified: return "unified";
    case CgroupMode::legacy: return "legacy";
    case CgroupMode::hybrid: return "hybrid";
  }
  return "unknown";
}

uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cpu_weight_to_shares(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight > 10000) weight = 10000;
  return 2 + ((weight - 1) * 262142) / 9999;
}

Result<std::vector<std::string>> split_cgroup_path(std::string_view path) {
  std::vector<std::string> parts;
  for (const std::string& part : split(path, '/')) {
    if (part.empty()) continue;
    if (part == "." || part == "..") return fail("cgroup path `" + std::string(path) + "` may not contain `.` or `..`");
    parts.push_back(part);
  }
  if (parts.empty()) return fail("cgroup path `" + std::string(path) + "` names no cgroup");
  return parts;
}

namespace cgroup_fs {

std::string join(std::string_view a, std::string_view b) {
  std::string out(a);
  while (!out.empty() && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  if (b.empty()) return out.empty() ? "/" : out;
  out += '/';
  out += b;
  return out;
}

namespace {
WriteLog* write_log = nullptr;
}  // namespace

void record_writes(WriteLog* log) { write_log = log; }

Status write(const std::string& path, std::string_view value) {
  if (write_log) write_log->emplace_back(path, value);
  // No O_CREAT: cgroupfs makes every file at mkdir, so a missing file means
  // the controller is absent, which the caller must hear about.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return fail(Error::from_errno("writing `" + std::string(value) + "` to `" + path + "`"));
  // cgroupfs parses each write(2) as one value: never split it.
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) return fail(Error::from_errno("writing `" + std::string(value) + "` to `" + path + "`"));
  if (static_cast<size_t>(n) != value.size())
    return fail(Error("writing `" + std::string(value) + "` to `" + path + "`: short write", EIO));
  return {};
}

Result<std::string> read(const std::string& path) {
  std::string text = BRICK_TRY(read_file(path));
  return std::string(trim(text));
}

Result<uint64_t> read_u64(const std::string& path) {
  std::string text = BRICK_TRY(read(path));
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return fail(Error("reading `" + path + "`: `" + text + "` is not a number", EINVAL));
  return value;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Status make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return {};
  return fail(Error::from_errno("creating cgroup `" + path + "`"));
}

void pause_briefly() { std::this_thread::sleep_for(std::chrono::milliseconds(10)); }

Status remove_tree(const std::string& path) {
  // Usually a leaf: one rmdir. Otherwise children first: the kernel refuses
  // (EBUSY) to remove a cgroup that has child cgroups. Only directories are
  // removed; cgroupfs files go with them.
  if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return {};
  if (DIR* dir = ::opendir(path.c_str())) {
    std::vector<std::string> children;
    while (dirent* entry = ::readdir(dir)) {
      std::string_view name = entry->d_name;
      if (entry->d_type == DT_DIR && name != "." && name != "..") children.emplace_back(join(path, name));
    }
    ::closedir(dir);
    for (const std::string& child : children) BRICK_TRY(remove_tree(child));
  }
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt >= 200) break;
    pause_briefly();
  }
  return fail(Error::from_errno("removing cgroup `" + path + "`"));
}

void remove_empty_parents(const std::string& dir, size_t levels) {
  std::string parent = dir;
  for (size_t i = 0; i < levels; ++i) {
    parent.resize(parent.rfind('/'));
    if (::rmdir(parent.c_str()) != 0 && errno != ENOENT) return;
  }
}

Status signal_pids(const std::vector<pid_t>& pids, int signal) {
  for (pid_t pid : pids)
    if (::kill(pid, signal) != 0 && errno != ESRCH)
      return fail(Error::from_errno("sending signal " + std::to_string(signal) + " to " + std::to_string(pid)));
  return {};
}

Result<std::vector<pid_t>> read_pids(const std::string& path) {
  std::string text = BRICK_TRY(read_file(path));
  std::vector<pid_t> pids;
  for (const std::string& line : split(text, '\n')) {
    std::string_view s = trim(line);
    if (s.empty()) continue;
    pid_t pid = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), pid);
    if (ec != std::errc() || end != s.data() + s.size())
      return fail(Error("reading `" + path + "`: `" + std::string(s) + "` is not a pid", EINVAL));
    pids.push_back(pid);
  }
  return pids;
}

}  // namespace cgroup_fs

Cgroup::Cgroup(std::unique_ptr<CgroupBackend> backend) : backend_(std::move(backend)) {}
Cgroup::Cgroup(Cgroup&& other) noexcept
    : backend_(std::move(other.backend_)), kept_(std::exchange(other.kept_, false)) {}
Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
  if (this != &other) {
    if (backend_ && !kept_) (void)backend_->destroy();
    backend_ = std::move(other.backend_);
    kept_ = std::exchange(other.kept_, false);
  }
  return *this;
}

Cgroup::~Cgroup() {
  // A destructor cannot report; destroy() is there for callers who care.
  if (backend_ && !kept_) (void)backend_->destroy();
}

Result<Cgroup> Cgroup::create(const CgroupLayout& layout, std::string_view path, const CgroupResources& resources) {
  const std::string ctx = "creating cgroup `" + std::string(path) + "`";
  std::vector<std::string> parts = BRICK_TRY_CTX(split_cgroup_path(path), ctx);
  bool from_root = !path.empty() && path.front() == '/';
  std::unique_ptr<CgroupBackend> backend = layout.mode == CgroupMode::unified
                                               ? make_cgroup_v2(layout, std::move(parts), from_root)
                                               : make_cgroup_v1(layout, std::move(parts), from_root);
  // From here the Cgroup owns whatever the backend made, even half of it.
  Cgroup cgroup(std::move(backend));
  // Another container's teardown removes a shared parent ("brick") once it
  // looks empty; one that goes between our mkdir of it and of our own
  // directory is made again.
  for (int attempt = 0;; ++attempt) {
    Status made = cgroup.backend_->create();
    if (made) break;
    if (made.error().errno_value() != ENOENT || attempt >= 20) return fail(std::move(made).error().context(ctx));
  }
  BRICK_TRY_CTX(cgroup.backend_->set(resources), ctx);
  return cgroup;
}

namespace {
Error destroyed_cgroup() { return Error("the cgroup was destroyed", ENOENT); }
}  // namespace

Status Cgroup::add_process(pid_t pid) {
  if (!backend_) return fail(destroyed_cgroup());
  BRICK_TRY_CTX(backend_->add_process(pid), "adding process " + std::to_string(pid) + " to its cgroup");
  return {};
}

Status Cgroup::set(const CgroupResources& resources) {
  if (!backend_) return fail(destroyed_cgroup());
  BRICK_TRY_CTX(backend_->set(resources), "setting cgroup limits");
  return {};
}

Result<CgroupStats> Cgroup::stats() const {
  if (!backend_) return fail(destroyed_cgroup());
  return BRICK_TRY_CTX(backend_->stats(), "reading cgroup stats");
}

Status Cgroup::kill_all(int signal) {
  if (!backend_) return fail(destroyed_cgroup());
  BRICK_TRY_CTX(backend_->kill_all(signal), "signalling the processes of a cgroup");
  return {};
}

Status Cgroup::freeze() {
  if (!backend_) return fail(destroyed_cgroup());
  BRICK_TRY_CTX(backend_->freeze(), "freezing a cgroup");
  return {};
}

Status Cgroup::thaw() {
  if (!backend_) return fail(destroyed_cgroup());
  BRICK_TRY_CTX(backend_->thaw(), "thawing a cgroup");
  return {};
}

Status Cgroup::destroy() {
  if (!backend_) return {};
  BRICK_TRY_CTX(backend_->destroy(), "destroying a cgroup");
  backend_.reset();  // gone: the destructor has nothing left to remove
  return {};
}

std::vector<std::string> Cgroup::directories() const {
  return backend_ ? backend_->directories() : std::vector<std::string>{};
}

std::string Cgroup::directory(std::string_view controller) const {
  return backend_ ? backend_->directory(controller) : std::string();
}

Result<CgroupJoin> open_cgroup_join(const std::vector<std::string>& dirs) {
  CgroupJoin join;
  for (const std::string& dir : dirs) {
    struct statfs st {};
    if (::statfs(dir.c_str(), &st) < 0) return fail_errno("joining cgroup `" + dir + "`");
    if (st.f_type == CGROUP2_SUPER_MAGIC) {
      // A host has one cgroup2 hierarchy, so a container one directory there.
      if (join.clone_into) return fail("joining cgroup `" + dir + "`: a second cgroup v2 directory");
      join.clone_into = UniqueFd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!join.clone_into) return fail_errno("joining cgroup `" + dir + "`");
      join.clone_into_dir = dir;
      continue;
    }
    const std::string file = cgroup_fs::join(dir, "tasks");
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return fail_errno("joining cgroup `" + dir + "`");
    join.tasks.push_back(std::move(fd));
    join.task_dirs.push_back(dir);
  }
  return join;
}

int join_cgroup_tasks(const CgroupJoin& join) noexcept {
  for (size_t i = 0; i < join.tasks.size(); ++i)
    if (::write(join.tasks[i].get(), "0", 1) != 1) return static_cast<int>(i);
  return -1;
}

long clone_joining(struct clone_args& args, CgroupJoin& join) {
  if (join.clone_into) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(join.clone_into.get());
  }
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && join.clone_into) {
    args.flags &= ~static_cast<uint64_t>(CLONE_INTO_CGROUP);
    args.cgroup = 0;
    pid = ::syscall(SYS_clone3, &args, sizeof args);
    join.late = pid > 0;
  }
  return pid;
}

Status join_cgroup_late(const CgroupJoin& join, pid_t pid) {
  if (!join.late) return {};
  BRICK_TRY_CTX(cgroup_fs::write(cgroup_fs::join(join.clone_into_dir, "cgroup.procs"), std::to_string(pid)),
                "adding process " + std::to_string(pid) + " to its cgroup");
  return {};
}

}  // namespace brick::runtime
