#include "base/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>
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

namespace {

Status remove_entries(int dir_fd, const std::string& path);

Status remove_at(int dir_fd, const char* name, unsigned char type, const std::string& parent) {
  const std::string path = parent + "/" + name;
  if (type == DT_UNKNOWN) {
    struct stat st {};
    if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      return errno == ENOENT ? Status{} : fail(Error::from_errno("removing `" + path + "`"));
    type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
  }
  if (type == DT_DIR) {
    UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return errno == ENOENT ? Status{} : fail(Error::from_errno("removing `" + path + "`"));
    BRICK_TRY(remove_entries(fd.get(), path));
  }
  if (::unlinkat(dir_fd, name, type == DT_DIR ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
    return fail(Error::from_errno("removing `" + path + "`"));
  return {};
}

Status remove_entries(int dir_fd, const std::string& path) {
  alignas(dirent64) char buf[8192];
  for (;;) {
    ssize_t n = ::getdents64(dir_fd, buf, sizeof buf);
    if (n < 0) return fail(Error::from_errno("reading directory `" + path + "`"));
    if (n == 0) return {};
    for (ssize_t off = 0; off < n;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buf + off);
      off += entry->d_reclen;
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      BRICK_TRY(remove_at(dir_fd, entry->d_name, entry->d_type, path));
    }
  }
}

}  // namespace

Status remove_tree(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return {};
    // A file or a symlink: itself only.
    if ((errno == ENOTDIR || errno == ELOOP) && (::unlink(path.c_str()) == 0 || errno == ENOENT)) return {};
    return fail(Error::from_errno("removing `" + path + "`"));
  }
  BRICK_TRY(remove_entries(fd.get(), path));
  fd.reset();
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return fail(Error::from_errno("removing `" + path + "`"));
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
