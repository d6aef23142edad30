// Seccomp filters: docker's default profile, docker-format JSON profiles
// (`security_opt: seccomp=FILE`), both resolved against a capability set and
// this machine's architecture into the spec's `linux.seccomp` shape, and that
// shape compiled to BPF with libseccomp (in the parent; the child only loads
// the program).
#pragma once

#include <linux/filter.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace brick::runtime {

// docker's default profile (moby profiles/seccomp/default.json) for a
// process with capabilities `caps` (names, as in the bounding set): an
// allowlist with EPERM for everything else, ENOSYS for clone3 (so libc falls
// back to clone, whose namespace flags are checked), namespace-creating clone
// flags refused without CAP_SYS_ADMIN, socket(AF_VSOCK) refused, personality
// limited to the harmless values, and the privileged calls (mount, bpf,
// ptrace, module loading, ...) allowed only with the capability they need.
Seccomp default_seccomp(const std::vector<std::string>& caps);

// A docker seccomp profile (JSON: defaultAction, defaultErrnoRet, archMap or
// architectures, syscalls with names/name, action, errnoRet, args, includes
// and excludes by caps, arches and minKernel), resolved as docker resolves
// it for a process with `caps`.
Result<Seccomp> parse_docker_seccomp_profile(std::string_view json_text, const std::vector<std::string>& caps);

// The BPF program for `seccomp`. Syscall names this architecture or
// libseccomp does not know are skipped, as docker does; an unknown action,
// op or architecture is an error. A cache makes repeating the same filter
// (every container of the default profile) cost only a comparison.
Result<std::vector<sock_filter>> compile_seccomp(const Seccomp& seccomp);

// Where compile_seccomp keeps programs between processes ("" = nowhere, the
// default): compiling docker's profile takes libseccomp 10-40 ms, more than
// the rest of a container start, and every `brick run` is a new process.
// A file holds the exact filter text it was made from and is used only when
// that matches, so a stale or colliding name is recompiled, never misused.
// The directory must be writable by brick alone (under the run root).
void set_seccomp_cache_directory(std::string directory);

}  // namespace brick::runtime
