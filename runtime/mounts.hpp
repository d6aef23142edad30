// Turns a spec mount's option list into what mount(2) takes: MS_* flags, a
// propagation change (which the kernel only accepts in a mount call of its
// own) and the filesystem-specific data string. Pure, so unit-testable.
//
// And makes one mount beneath a container root without letting the image
// redirect it: the target is looked up by the kernel with openat2
// (RESOLVE_IN_ROOT), so a symlink `target -> /` or `-> ../../..` resolves
// inside the root; missing directories are created one component at a time
// with mkdirat/openat(O_EXCL), which never follow a symlink; and the mount is
// made on the O_PATH descriptor through /proc/self/fd/N, so no path is looked
// up twice. This part runs in the spawn child between clone and execve: no
// allocation, no exceptions; failures come back as errno plus a MountStep.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace brick::runtime {

struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...
  unsigned long propagation = 0;  // MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE, maybe | MS_REC; 0: leave
  std::string data;               // "mode=755,size=65536k"
};

// Options as runc reads them ("ro", "nosuid", "rbind", "rslave", "mode=755").
// Unknown words go to `data`, where the filesystem judges them.
MountOptions parse_mount_options(const std::vector<std::string>& options);

// One mount as the child makes it, prepared (and allocated) by the parent.
struct MountPlan {
  std::string destination;  // absolute inside the container, no `..`
  std::string source;
  std::string type;
  MountOptions options;
  bool file_target = false;      // bind of a non-directory: the mount point is an empty file
  bool source_nofollow = false;  // a bind source is opened with no symlink followed (Mount::source_nofollow)
};

// Builds a MountPlan from a spec mount's fields: a bind (type `bind` or a
// `bind`/`rbind` option) gets rprivate propagation unless the options name
// one, and file_target from what the source is. Fails on a relative
// destination, a `..` in it, or a bind source that does not exist.
Result<MountPlan> plan_mount(const std::string& destination, const std::string& type, const std::string& source,
                             const std::vector<std::string>& options);

// Opens a bind source as O_PATH for the mount to be made from the fd
// (/proc/self/fd/N), so the path is looked up once, here. With `nofollow`
// no component may be a symlink (openat2 RESOLVE_NO_SYMLINKS): the source
// was resolved when the container was made, and a symlink found there now was
// put there since, by a container that can write beside it. Errors name the
// source.
Result<UniqueFd> open_mount_source(const std::string& source, bool nofollow);

// The MS_* flags a bind remount must repeat, from a statvfs f_flag: the
// kernel refuses (EPERM) to clear nosuid, nodev, noexec or the atime flags
// of a mount a more privileged namespace locked, and keeping them is what a
// read-only bind should do anyway. Allocation-free.
unsigned long locked_mount_flags(unsigned long f_flag) noexcept;

enum class MountStep { resolve, escape, create, mount, remount, propagation, source };

// Opens `path` (absolute or relative, read as relative to the root) beneath
// `root_fd` as O_PATH, creating what is missing: directories, and with
// `file_target` an empty file as the last component. Every lookup clamps
// symlinks to the root. Returns the fd, or -1 with errno set and *step saying
// which step failed. A target that resolves to the root itself is refused
// (EXDEV, MountStep::escape): a mount there would replace the whole rootfs,
// and it is what `target -> /` and `target -> ../../..` amount to.
// Allocation-free; safe between clone and execve.
int open_mount_target(int root_fd, const char* path, bool file_target, MountStep* step) noexcept;

// Makes `m` beneath `root_fd` (an O_PATH fd of the container root, already a
// mount of its own): resolves and creates the target with open_mount_target,
// opens a bind's source as O_PATH (with m.source_nofollow, following no
// symlink: MountStep::source, ELOOP), mounts on it through /proc/self/fd/N
// (the source too, so neither path is looked up twice), remounts a bind with its flags (ro,
// nosuid, ...) while keeping the locked nosuid/nodev/noexec/atime flags of the
// source (a read-only rbind is made read-only all the way down, with
// mount_setattr), and applies the propagation. 0 on success, else -1 with errno and
// *step. Allocation-free; safe between clone and execve.
int mount_beneath(int root_fd, const MountPlan& m, MountStep* step) noexcept;

}  // namespace brick::runtime
