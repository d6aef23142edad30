// The cgroup part of a request (docker's HostConfig resources) and /dev/shm.
#include <cmath>

#include "engine/spec_options.hpp"

namespace brick::engine {

Status with_resources(runtime::ContainerSpec& spec, const Resources& r) {
  runtime::CgroupResources& c = spec.linux.resources;
  if (r.memory) {
    // docker's daemon refuses less: the container could not even start.
    if (*r.memory < int64_t{6} * 1024 * 1024) return fail("Minimum memory limit allowed is 6MB");
    c.memory_limit = *r.memory;
  }
  if (r.memory_reservation) c.memory_reservation = *r.memory_reservation;
  if (r.memory_swap) c.memory_swap = *r.memory_swap;
  if (r.cpus) {
    if (*r.cpus < 0) return fail("range of CPUs is from 0.01 to the number of CPUs");
    if (r.cpu_period || r.cpu_quota) return fail("cpus cannot be combined with cpu_period or cpu_quota");
    // docker's NanoCPUs: a quota of cpus periods of 100 ms.
    c.cpu_period = 100000;
    c.cpu_quota = static_cast<int64_t>(std::llround(*r.cpus * 100000));
  } else {
    if (r.cpu_period) c.cpu_period = *r.cpu_period;
    if (r.cpu_quota) c.cpu_quota = *r.cpu_quota;
  }
  if (r.cpu_shares) c.cpu_shares = *r.cpu_shares;
  if (r.cpuset_cpus) c.cpuset_cpus = *r.cpuset_cpus;
  if (r.pids_limit) c.pids_limit = *r.pids_limit;
  if (r.shm_size) {
    if (*r.shm_size <= 0) return fail("the size of /dev/shm must be positive, not " + std::to_string(*r.shm_size));
    for (runtime::Mount& m : spec.mounts)
      if (m.destination == "/dev/shm")
        for (std::string& opt : m.options)
          if (opt.starts_with("size=")) opt = "size=" + std::to_string(*r.shm_size);
  }
  return {};
}

}  // namespace brick::engine
