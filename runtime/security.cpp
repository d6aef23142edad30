#include "runtime/security.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace brick::runtime {

namespace {

// The network namespace a spec joins by path (`container:NAME`, a compose
// `service:X`) is the host's when NAME itself runs with host networking:
// the joined file is then the same namespace as the one brick runs in.
bool joins_callers_netns(const ContainerSpec& spec) {
  for (const Namespace& ns : spec.linux.namespaces) {
    if (ns.type != "network" || ns.path.empty()) continue;
    struct stat joined {};
    struct stat mine {};
    if (::stat(ns.path.c_str(), &joined) != 0 || ::stat("/proc/self/ns/net", &mine) != 0) return false;
    return joined.st_dev == mine.st_dev && joined.st_ino == mine.st_ino;
  }
  return false;
}

}  // namespace

Status check_sysctl(const ContainerSpec& spec, std::string_view key) {
  auto refuse = [&](const std::string& why) { return fail("sysctl `" + std::string(key) + "` " + why); };
  // Names only: dots become slashes in /proc/sys, so a `/` or an empty part
  // would name a file the key does not say.
  const bool name_chars = std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (key.empty() || !name_chars || key.front() == '.' || key.back() == '.' || key.find("..") != std::string_view::npos)
    return refuse("is not a sysctl name (letters, digits, `_` and `-`, parts joined by `.`)");
  static constexpr std::string_view kIpc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                              "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                              "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (std::string_view name : kIpc)
    if (key == name) return spec.has_namespace("ipc") ? Status{} : refuse("needs the container's own ipc namespace");
  if (key.starts_with("fs.mqueue."))
    return spec.has_namespace("ipc") ? Status{} : refuse("needs the container's own ipc namespace");
  if (key.starts_with("net.")) {
    if (!spec.has_namespace("network")) return refuse("needs the container's own network namespace");
    if (joins_callers_netns(spec))
      return refuse("needs the container's own network namespace: the one it joins is the host's");
    return {};
  }
  if (key == "kernel.hostname" || key == "kernel.domainname")
    return spec.has_namespace("uts") ? Status{} : refuse("needs the container's own uts namespace");
  return refuse("is not namespaced: setting it would change the host");
}

}  // namespace brick::runtime
