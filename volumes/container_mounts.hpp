// What a compose container asks of volumes, as plain data the container
// record keeps (runtime's ContainerState::extensions["mounts"]) so that the
// monitor resolves it once the rootfs is mounted (a new named volume gets the
// image's content), in whatever later process starts the container.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "volumes/mounts.hpp"

namespace brick::volumes {

// The key of ContainerState::extensions that holds a ContainerMounts.
inline constexpr const char* kMountsExtension = "mounts";

struct ContainerMounts {
  std::vector<MountRequest> mounts;  // `volumes:` then `tmpfs:`, in order
  // The project's declared volumes the container uses, by full name.
  std::map<std::string, VolumeDecl> declared;
  std::vector<FileMountRequest> secrets;
  std::vector<FileMountRequest> configs;
  std::string base_dir;  // relative bind sources resolve here (the project directory)
  Options labels;        // on every volume the container creates
  bool empty() const { return mounts.empty() && secrets.empty() && configs.empty(); }
};

nlohmann::json to_json(const ContainerMounts& mounts);
// Fails, naming the field, on a value of the wrong type or an unknown kind.
Result<ContainerMounts> container_mounts_from_json(const nlohmann::json& json);

}  // namespace brick::volumes
