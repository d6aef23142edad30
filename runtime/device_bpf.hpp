// The cgroup v2 device allow-list: a BPF_PROG_TYPE_CGROUP_DEVICE program,
// built from OCI device rules the way runc's devicefilter builds it, loaded
// with the raw bpf(2) syscall and attached to the cgroup's directory.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/cgroup.hpp"

namespace brick::runtime {

// The program for `rules`. As in the v1 devices controller the last matching
// rule wins; a request no rule matches is denied. Rules of type 'a' match
// every device, major/minor -1 every number, and a rule's access must cover
// every bit of the request (mknod, read, write) to match.
std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules);

// Loads the program and attaches it to `cgroup_dir` (BPF_F_ALLOW_MULTI),
// then detaches the programs a previous call attached there, so an update
// never leaves the cgroup without a filter. The error names the directory
// and carries the kernel verifier's log when the load fails.
Status attach_device_filter(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules);

}  // namespace brick::runtime
