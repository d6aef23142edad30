// docker's `user` strings (`name`, `uid`, `name:group`, `uid:gid`, ...)
// resolved against the container's own /etc/passwd and /etc/group, read
// beneath the rootfs so a symlink in the image cannot point them at the
// host's files, and only as regular files of at most 8 MiB: a container can
// make them /dev/zero or a FIFO it feeds forever.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string home = "/";
};

// As docker (moby/sys/user GetExecUser): "" is root; a name must be in
// /etc/passwd, a number need not be (gid 0 then, home "/"); a group after
// the colon likewise by name or number; without an explicit group the
// groups of /etc/group that list the user by name become the additional
// groups. `group_add` (compose's group_add: names or numbers) is appended.
// ``user `bob` not found in the image's /etc/passwd`` when it is not there.
Result<ResolvedUser> resolve_user(int rootfs_fd, std::string_view user, const std::vector<std::string>& group_add = {});
Result<ResolvedUser> resolve_user(const std::string& rootfs, std::string_view user,
                                  const std::vector<std::string>& group_add = {});

// Resolves `user` against spec.root.path and sets process.user, and HOME in
// process.env unless the environment already has one.
Status apply_user(ContainerSpec& spec, std::string_view user, const std::vector<std::string>& group_add = {});

}  // namespace brick::runtime
