#include "runtime/rlimits.hpp"

#include <sys/resource.h>

namespace brick::runtime {

namespace {

constexpr RlimitName kRlimits[] = {
    {"core", "RLIMIT_CORE", RLIMIT_CORE},
    {"cpu", "RLIMIT_CPU", RLIMIT_CPU},
    {"data", "RLIMIT_DATA", RLIMIT_DATA},
    {"fsize", "RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"locks", "RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"memlock", "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"msgqueue", "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"nice", "RLIMIT_NICE", RLIMIT_NICE},
    {"nofile", "RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"nproc", "RLIMIT_NPROC", RLIMIT_NPROC},
    {"rss", "RLIMIT_RSS", RLIMIT_RSS},
    {"rtprio", "RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"rttime", "RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"sigpending", "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"stack", "RLIMIT_STACK", RLIMIT_STACK},
    {"as", "RLIMIT_AS", RLIMIT_AS},
};

}  // namespace

std::span<const RlimitName> rlimit_names() { return kRlimits; }

const RlimitName* rlimit_by_docker_name(std::string_view name) {
  for (const RlimitName& r : kRlimits)
    if (r.docker == name) return &r;
  return nullptr;
}

const RlimitName* rlimit_by_spec_name(std::string_view name) {
  for (const RlimitName& r : kRlimits)
    if (r.spec == name) return &r;
  return nullptr;
}

}  // namespace brick::runtime
