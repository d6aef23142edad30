// The parts of an OCI/docker image config a container needs, and the
// Dockerfile-style `--change` instructions `brick image import` applies.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace brick::images {

struct Healthcheck {
  std::vector<std::string> test;  // ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]
  int64_t interval_ns = 0;        // 0: the runtime's default
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int64_t start_interval_ns = 0;
  int retries = 0;
};

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string created;  // RFC 3339, may be empty
  std::vector<std::string> env;
  std::vector<std::string> cmd;
  std::vector<std::string> entrypoint;
  std::string working_dir;
  std::string user;
  std::vector<std::string> exposed_ports;  // "80/tcp", sorted
  std::vector<std::string> volumes;        // sorted
  std::map<std::string, std::string> labels;
  std::optional<Healthcheck> healthcheck;
  std::string stop_signal;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids, bottom to top
};

// Parses an image config blob. Absent fields are empty; wrong types and a
// rootfs that is not `layers` are errors naming the field.
Result<ImageConfig> parse_image_config(std::string_view json_text);

// Applies `docker import --change` instructions (CMD, ENTRYPOINT, ENV,
// WORKDIR, USER, EXPOSE, VOLUME, LABEL, STOPSIGNAL) to the `config` object
// of a config JSON document, returning the new document.
Result<std::string> apply_changes(std::string_view config_json, const std::vector<std::string>& changes);

}  // namespace brick::images
