// Container Device Interface specs (github.com/cncf-tags/container-device-interface,
// SPEC.md): JSON or YAML files in /etc/cdi and /var/run/cdi naming devices
// `vendor.com/class=name`, each with the containerEdits that give a container
// that device, plus spec-level edits every device of the spec brings along.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "gpu/edits.hpp"

namespace brick::gpu {

struct CdiDevice {
  std::string name;  // the part after '='
  ContainerEdits edits;
};

struct CdiSpec {
  std::string file;  // where it was read from, for messages
  std::string cdi_version;
  std::string kind;  // vendor.com/class
  std::vector<CdiDevice> devices;
  ContainerEdits edits;  // spec-level
};

// Parses one spec (JSON, or YAML when the text is not JSON). Unknown fields,
// missing required ones, an unsupported cdiVersion, a malformed kind or
// device name are errors that start with the file and the field:
// ``CDI spec `/etc/cdi/x.yaml`: devices[0].containerEdits: unknown field `envs` ``.
Result<CdiSpec> parse_cdi_spec(std::string_view text, const std::string& file);

// `vendor.com/class=name`: true for a syntactically fully-qualified CDI name.
bool is_cdi_name(std::string_view name);

class CdiRegistry {
 public:
  // Loads every *.json, *.yaml and *.yml of `host_root`/etc/cdi, then
  // `host_root`/var/run/cdi (missing directories are fine). A device defined
  // in a later directory replaces the earlier one; two files of the same
  // directory defining one device is an error naming both.
  static Result<CdiRegistry> load(const std::string& host_root);
  // The same over explicit directories, lowest priority first.
  static Result<CdiRegistry> load_dirs(const std::vector<std::string>& dirs, const std::string& host_root = "/");

  // The merged edits for `names` (each `vendor.com/class=name`, or
  // `vendor.com/class=all` for every device of that kind when the spec has no
  // device literally called `all`): spec-level edits once per spec, then each
  // device's. Device node majors/minors left out by the spec are read from
  // the host node; host paths get the host root prefixed.
  Result<ContainerEdits> resolve(const std::vector<std::string>& names) const;

  // Every qualified device name, sorted.
  std::vector<std::string> device_names() const;
  const std::vector<CdiSpec>& specs() const { return specs_; }

 private:
  struct Entry {
    std::string qualified;
    size_t spec;    // index into specs_
    size_t device;  // index into specs_[spec].devices
    size_t priority;
  };
  std::vector<CdiSpec> specs_;
  std::vector<Entry> entries_;
  std::string host_root_ = "/";
};

// `root` + `path` with exactly one '/' between ("/" + path is path).
std::string under_root(const std::string& root, std::string_view path);

}  // namespace brick::gpu
