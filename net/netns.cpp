#include "net/netns.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace brick::net {
namespace {

bool valid_id(const std::string& id) {
  if (id.empty() || id == "." || id == "..") return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

Status unpin_path(const std::string& path) {
  // MNT_DETACH: a process that opened the pin keeps its descriptor, and the
  // namespace lives as long as that or any member process does.
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return fail_errno("unmounting `" + path + "`");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("removing `" + path + "`");
  return {};
}

}  // namespace

std::string pinned_netns_path(const std::string& run_root, const std::string& id) { return run_root + "/netns/" + id; }

Result<PinnedNetns> PinnedNetns::pin(const std::string& run_root, const std::string& id, pid_t pid) {
  if (!valid_id(id)) return fail(Error("pinning network namespace: `" + id + "` is not a valid name", EINVAL));
  const std::string dir = run_root + "/netns";
  const std::string path = pinned_netns_path(run_root, id);
  const std::string what = "pinning the network namespace of pid " + std::to_string(pid) + " at `" + path + "`";
  for (const std::string& d : {run_root, dir})
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno(what + ": creating `" + d + "`");
  UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!file) return fail_errno(what);
  file.reset();
  PinnedNetns pinned(path);  // removes the file if the mount fails
  const std::string source = "/proc/" + std::to_string(pid) + "/ns/net";
  if (::mount(source.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) return fail_errno(what);
  return pinned;
}

PinnedNetns::~PinnedNetns() { (void)unpin(); }

Status PinnedNetns::unpin() {
  if (path_.empty()) return {};
  std::string path = std::move(path_);
  path_.clear();
  return unpin_path(path);
}

Result<UniqueFd> PinnedNetns::open() const {
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening network namespace `" + path_ + "`");
  return fd;
}

Result<UniqueFd> open_pinned_netns(const std::string& run_root, const std::string& id) {
  const std::string path = pinned_netns_path(run_root, id);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening network namespace `" + path + "`");
  return fd;
}

Status unpin_netns(const std::string& run_root, const std::string& id) {
  if (!valid_id(id)) return fail(Error("unpinning network namespace: `" + id + "` is not a valid name", EINVAL));
  return unpin_path(pinned_netns_path(run_root, id));
}

}  // namespace brick::net
