// The pieces parse_project is made of, shared between parse_project.cpp,
// parse_service.cpp and parse_deploy.cpp. Private to compose/.
#pragma once

#include <string>
#include <vector>

#include "compose/node_reader.hpp"
#include "compose/parse_project.hpp"

namespace brick::compose {

// Makes a host path absolute: `~` and `~/x` expand with HOME from the
// context; a relative path is taken from the working directory.
std::string resolve_host_path(const std::string& path, const ParseContext& ctx);

// One service, read from its mapping. Cross-references are checked later.
Service parse_service(const std::string& name, const Node& node, const std::string& path, const ParseContext& ctx,
                      Reader& r);

// Reads every `env_file:` entry (string, list, or list of {path, required}),
// later files overriding earlier ones; records the absolute paths read.
OptionalStringMap parse_env_files(const Node& node, const std::string& path, const ParseContext& ctx, Reader& r,
                                  std::vector<std::string>& files_read);
// Reads every `label_file:` entry (a path or a list of paths) in dotenv
// format, later files overriding earlier ones.
StringMap parse_label_files(const Node& node, const std::string& path, const ParseContext& ctx, Reader& r);

// parse_mounts.cpp
std::vector<PortConfig> parse_ports(const Node& node, const std::string& path, Reader& r);
// True when a short-syntax entry holds a `$` and is not a port as written:
// only interpolation could make it one.
bool ports_need_interpolation(const Node& node);
// Relative bind sources are resolved against the working directory.
std::vector<ServiceVolume> parse_volumes(const Node& node, const std::string& path, const ParseContext& ctx, Reader& r);

// parse_deploy.cpp
DeployConfig parse_deploy(const Node& node, const std::string& path, Reader& r);
Healthcheck parse_healthcheck(const Node& node, const std::string& path, Reader& r);
// One `deploy.resources.reservations.devices` entry, or one `gpus` entry
// (where the `gpu` capability is implied).
DeviceRequest parse_device_request(const Node& node, const std::string& path, Reader& r, bool gpu);
std::optional<std::vector<DeviceRequest>> parse_gpus(const Node& node, const std::string& path, Reader& r);
std::vector<DeviceMapping> parse_devices(const Node& node, const std::string& path, Reader& r);

}  // namespace brick::compose
