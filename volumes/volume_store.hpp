// Named volumes of the `local` driver under `<root>/volumes/`:
//
//   <name>/_data        what containers see (the volume's mountpoint)
//   <name>/volume.json  the record: name, driver, driver_opts, labels,
//                       created_at, mountpoint, anonymous
//   lock                held while volumes are created or removed
//   .tmp-*, .trash-*    staging: a volume is built in .tmp-* and renamed into
//                       place, removed by renaming it to .trash-* first; what
//                       a crash leaves there prune removes
//
// driver_opts (`type`, `device`, `o`, as docker's local driver takes them)
// are validated and stored here; volumes/mounts.hpp mounts them (tmpfs,
// bind, nfs...) straight into each container that uses the volume.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace brick::volumes {

using Options = std::map<std::string, std::string>;

// Whether a container uses the volume with this name.
using InUse = std::function<bool(const std::string& name)>;

// The label docker puts on anonymous volumes; `prune` without `all` removes
// only volumes carrying it.
inline constexpr const char* kAnonymousLabel = "com.docker.volume.anonymous";

struct Volume {
  std::string name;
  std::string driver = "local";
  Options driver_opts;
  Options labels;
  std::string created_at;  // RFC 3339, UTC
  std::string mountpoint;  // absolute path of _data
  bool anonymous = false;
};

struct PruneReport {
  std::vector<std::string> deleted;  // names
  uint64_t reclaimed_bytes = 0;
};

// Fails, saying what a valid name looks like, unless `name` matches docker's
// [a-zA-Z0-9][a-zA-Z0-9_.-]+.
Status validate_name(const std::string& name);

// Checks driver_opts as docker's local driver would: only type, device, o;
// `device`/`o` need a `type`; type none with o=bind needs an absolute device
// that exists; other types but tmpfs need a device.
Status validate_local_options(const Options& opts);

// A docker-volume-inspect-shaped JSON object (Name, Driver, Mountpoint,
// Labels, Options, Scope, CreatedAt).
std::string to_inspect_json(const Volume& volume);

class VolumeStore {
 public:
  // Opens (creating if needed) the store under `<root>/volumes`.
  static Result<VolumeStore> open(const std::string& root);
  const std::string& dir() const { return dir_; }

  // Creates a volume. Creating one that exists with the same driver_opts and
  // labels returns it unchanged; with different ones it is an error.
  Result<Volume> create(const std::string& name, const Options& driver_opts = {}, const Options& labels = {});
  // A volume with a random 64-hex name, labelled as anonymous.
  Result<Volume> create_anonymous(const Options& driver_opts = {}, const Options& labels = {});

  // ENOENT in the error when there is no such volume.
  Result<Volume> get(const std::string& name) const;
  // Every volume, sorted by name, keeping those whose labels match every
  // filter: "key" (present) or "key=value".
  Result<std::vector<Volume>> list(const std::vector<std::string>& label_filters = {}) const;

  // Removes a volume and its data; refuses while `in_use` says a container
  // uses it. With `force` a missing volume is not an error (as docker's -f).
  Status remove(const std::string& name, bool force = false, const InUse& in_use = {});
  // Removes volumes no container uses: anonymous ones, or every one with
  // `all`; and whatever crashed creates or removes left behind.
  Result<PruneReport> prune(const InUse& in_use = {}, bool all = false);

 private:
  explicit VolumeStore(std::string dir) : dir_(std::move(dir)) {}
  Result<Volume> create_locked(const std::string& name, const Options& driver_opts, const Options& labels,
                               bool anonymous);
  Status remove_locked(const std::string& name, uint64_t* reclaimed);
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

// Removes each of `names` under `root` as far as it can (a container's
// anonymous volumes going with it): one error, naming the volume, for each
// that stays (in use elsewhere, or the store cannot be opened).
std::vector<Error> remove_volumes(const std::string& root, const std::vector<std::string>& names);

}  // namespace brick::volumes
