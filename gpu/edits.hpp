// ContainerEdits: what giving a container a device means, shaped like the
// Container Device Interface's containerEdits so a CDI spec and brick's own
// NVIDIA injection produce the same thing. gpu/ knows no ContainerSpec; the
// orchestrator applies these to one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace brick::gpu {

struct DeviceNode {
  std::string path;       // inside the container, e.g. /dev/nvidia0
  std::string host_path;  // on the host (already under the host root); "" = path
  char type = 'c';        // 'c', 'b' (or 'p' for a fifo, as CDI allows)
  int64_t major = -1;     // -1: taken from host_path's st_rdev
  int64_t minor = -1;
  std::optional<uint32_t> file_mode;
  std::string permissions = "rwm";  // for the device cgroup
  std::optional<uint32_t> uid, gid;
  bool operator==(const DeviceNode&) const = default;
};

struct MountEdit {
  std::string host_path;
  std::string container_path;
  std::string type;  // "" = bind
  std::vector<std::string> options;
  bool operator==(const MountEdit&) const = default;
};

struct Hook {
  std::string hook_name;  // createRuntime, createContainer, startContainer, poststart, poststop, prestart
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;
  bool operator==(const Hook&) const = default;
};

struct ContainerEdits {
  std::vector<std::string> env;  // "KEY=value"
  std::vector<DeviceNode> device_nodes;
  std::vector<MountEdit> mounts;
  std::vector<Hook> hooks;
  std::vector<uint32_t> additional_gids;
  // brick's, not CDI's: directories of the libraries `mounts` binds in, for
  // the container's ldconfig (what nvidia-ctk's update-ldcache hook does
  // for a CDI spec).
  std::vector<std::string> ldconfig_dirs;

  // Appends `other`, skipping device nodes, mounts and env entries already
  // present (two CDI devices commonly share the control nodes).
  void append(const ContainerEdits& other);
  bool empty() const;
  bool operator==(const ContainerEdits&) const = default;
};

}  // namespace brick::gpu
