#include "base/file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "base/scope_exit.hpp"

namespace brick {

namespace {

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string dirname_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<std::string> read_fd(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(Error::from_errno("reading `" + path + "`"));
  auto data = read_fd(fd.get());
  if (!data) return fail(std::move(data).error().context("reading `" + path + "`"));
  return data;
}

namespace {

// A synced (if `durable`) temp file beside `path`, holding `data`: the
// first half of an atomic write. Removed unless rename_into_place takes it.
class TempFile {
 public:
  static Result<TempFile> write(const std::string& path, std::string_view data, unsigned mode, bool durable) {
    // mkostemp picks a name no one else holds and retries on a collision: two
    // writers of the same record must not fail on each other's temp file.
    TempFile t(path);
    UniqueFd fd(::mkostemp(t.tmp_.data(), O_CLOEXEC));
    if (!fd) return fail(Error::from_errno("writing `" + path + "`"));
    t.made_ = true;
    BRICK_TRY_CTX(write_all(fd.get(), data), "writing `" + path + "`");
    if (::fchmod(fd.get(), mode) != 0) return fail(Error::from_errno("chmod `" + t.tmp_ + "`"));
    if (durable && ::fsync(fd.get()) != 0) return fail(Error::from_errno("fsync `" + t.tmp_ + "`"));
    return t;
  }
  TempFile(TempFile&& o) noexcept
      : path_(std::move(o.path_)), tmp_(std::move(o.tmp_)), made_(std::exchange(o.made_, false)) {}
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile() {
    if (made_) ::unlink(tmp_.c_str());
  }
  Status rename_into_place() {
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) return fail(Error::from_errno("renaming to `" + path_ + "`"));
    made_ = false;
    return {};
  }

 private:
  explicit TempFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp-XXXXXX") {}
  std::string path_, tmp_;
  bool made_ = false;
};

void sync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd) ::fsync(fd.get());  // best effort: the renames are already visible
}

}  // namespace

Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode, bool durable) {
  TempFile tmp = BRICK_TRY(TempFile::write(path, data, mode, durable));
  BRICK_TRY(tmp.rename_into_place());
  if (durable) sync_dir(dirname_of(path));
  return {};
}

Status write_files_atomic(const std::string& dir, const std::vector<FileContent>& files, unsigned mode) {
  std::vector<TempFile> temps;
  temps.reserve(files.size());
  for (const FileContent& f : files)
    temps.push_back(BRICK_TRY(TempFile::write(dir + "/" + f.name, f.data, mode, true)));
  for (TempFile& t : temps) BRICK_TRY(t.rename_into_place());
  sync_dir(dir);
  return {};
}

Result<FileLock> FileLock::lock(const std::string& path, int how) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail(Error::from_errno("opening lock `" + path + "`"));
  while (::flock(fd.get(), how) != 0) {
    if (errno == EINTR) continue;
    return fail(Error::from_errno("locking `" + path + "`"));
  }
  return FileLock(std::move(fd));
}

Result<FileLock> FileLock::acquire(const std::string& path) { return lock(path, LOCK_EX); }

Result<FileLock> FileLock::try_acquire(const std::string& path) { return lock(path, LOCK_EX | LOCK_NB); }

}  // namespace brick
