// Closing what a process that enters a container must not carry in.
// marking fds close-on-exec is not enough there: between joining the
// container's pid namespace and execve, the container's root can open
// /proc/PID/fd/N of the process (runc: CVE-2024-21626), so everything the
// exec does not need is closed before it joins.
#pragma once

#include <cstddef>

namespace brick::runtime {

// Closes every fd from 3 up except the `count` fds in `keep` (entries < 3
// are ignored: 0..2 are the caller's stdio and stay as they are). No
// allocation; safe between clone and execve. Returns 0, or -1 with errno.
int close_fds_except(const int* keep, size_t count) noexcept;

// chdir(path), then a check that the new working directory is beneath the
// process's root: through /proc/self/fd/N of an inherited directory fd, or an
// image's symlink to one, a container's cwd could be a host directory
// (runc: CVE-2024-21626). The kernel's getcwd then answers a path that does
// not start with `/`. Returns 0, or -1 with errno (EXDEV: outside the root).
// No allocation; safe between clone and execve.
int chdir_beneath_root(const char* path) noexcept;

}  // namespace brick::runtime
