#include "base/file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

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

Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode, bool durable) {
  // mkostemp picks a name no one else holds and retries on a collision: two
  // writers of the same record must not fail on each other's temp file.
  std::string tmp = path + ".tmp-XXXXXX";
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) return fail(Error::from_errno("writing `" + path + "`"));
  ScopeExit unlink_tmp([&] { ::unlink(tmp.c_str()); });
  BRICK_TRY_CTX(write_all(fd.get(), data), "writing `" + path + "`");
  if (::fchmod(fd.get(), mode) != 0) return fail(Error::from_errno("chmod `" + tmp + "`"));
  if (durable && ::fsync(fd.get()) != 0) return fail(Error::from_errno("fsync `" + tmp + "`"));
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(Error::from_errno("renaming to `" + path + "`"));
  unlink_tmp.release();
  UniqueFd dir(::open(dirname_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (durable && dir) ::fsync(dir.get());  // best effort: the rename is already visible
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
