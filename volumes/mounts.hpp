// Volume requests (compose `volumes:`/`tmpfs:`/`secrets:`/`configs:`, docker
// `-v`, `--mount`, `--tmpfs`) turned into the runtime's mounts. Everything on
// the host side happens here: named volumes created on first use (or checked
// to exist when external), the image's content copied into an empty volume,
// bind sources resolved and created, secret and config files copied with
// their owner and mode. Where a mount lands inside the container is decided
// later, by the runtime, beneath the container root (runtime/mounts.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"
#include "volumes/volume_store.hpp"

namespace brick::volumes {

enum class MountKind { bind, volume, tmpfs };

struct MountRequest {
  MountKind kind = MountKind::volume;
  // bind: a host path (relative to MountContext::base_dir; `~` expands);
  // volume: a volume name, "" for a new anonymous volume.
  std::string source;
  std::string target;  // absolute, inside the container
  bool read_only = false;
  // bind
  std::string propagation;       // rprivate (default), private, rshared, shared, rslave, slave
  bool create_host_path = true;  // make a missing source directory (short syntax); false: refuse
  bool recursive = true;         // rbind (docker's default); false: plain bind
  std::string selinux;           // "z" or "Z": accepted; relabelling is not done (warning)
  // volume
  bool nocopy = false;    // do not copy the image's content into a new volume
  std::string subpath;    // mount this directory of the volume instead
  Options volume_opts;    // driver_opts for a volume created by this request (--mount volume-opt)
  Options volume_labels;  // labels for a volume created by this request (--mount volume-label)
  // tmpfs
  std::optional<uint64_t> tmpfs_size;      // bytes
  std::optional<uint32_t> tmpfs_mode;      // e.g. 01777
  std::vector<std::string> tmpfs_options;  // other words: exec, uid=1000, nr_inodes=...
};

// docker's `-v [SRC:]DST[:OPTS]`: a SRC starting with `/`, `.` or `~` is a
// bind (created when missing), another SRC a named volume, none an anonymous
// volume. OPTS: ro, rw, z, Z, nocopy, a propagation word; consistency words
// (cached, delegated, consistent) are accepted and ignored.
Result<MountRequest> parse_volume_flag(std::string_view spec);
// docker's `--mount type=bind|volume|tmpfs,src=...,dst=...,readonly,...`
// (keys: type, source/src, target/destination/dst, readonly/ro, consistency,
// bind-propagation, bind-recursive (enabled|disabled), bind-nonrecursive,
// volume-nocopy, volume-subpath, volume-opt, volume-label, volume-driver
// (local only), tmpfs-size, tmpfs-mode). A missing bind source is an error.
Result<MountRequest> parse_mount_flag(std::string_view spec);
// docker's `--tmpfs DST[:OPTS]`, OPTS as mount(8) takes them for tmpfs
// (size=64m, mode=1777, exec, uid=...).
Result<MountRequest> parse_tmpfs_flag(std::string_view spec);
// "64m", "1g", "1048576", "512k" as docker's RAMInBytes reads them.
Result<uint64_t> parse_size(std::string_view text);

// A top-level named volume as the project declares it.
struct VolumeDecl {
  bool external = false;  // must exist already
  Options driver_opts;    // `local` driver: type, device, o
  Options labels;
};

// A secret or config: content from a file or given inline (configs'
// `content`, an `environment` variable's value).
struct FileMountRequest {
  std::string name;                    // the secret/config name, also its file name
  std::optional<std::string> file;     // host path of the content
  std::optional<std::string> content;  // or the content itself
  std::string target;                  // "" = the default place
  std::optional<uint32_t> uid, gid;    // default: the user running brick (root)
  std::optional<uint32_t> mode;        // default 0444
};

struct MountContext {
  VolumeStore* store = nullptr;                // for named and anonymous volumes
  std::string base_dir;                        // relative bind sources resolve here (the project directory)
  std::string home;                            // `~`; "" reads $HOME
  std::string rootfs;                          // the container's prepared rootfs, for copy-up; "" copies nothing
  std::string files_dir;                       // per-container directory (under --run-root) for secret/config copies
  std::map<std::string, VolumeDecl> declared;  // named volumes by full name; others are created plain
  Options labels;  // labels on every volume this container creates (compose project, anonymous owner)
};

struct ResolvedMounts {
  std::vector<runtime::Mount> mounts;  // in request order, for ContainerSpec::mounts
  std::vector<std::string> volumes;    // every volume name used: record it with the container (in-use)
  std::vector<std::string> anonymous;  // the anonymous ones among them (removed by `rm -v`)
  std::vector<std::string> created;    // volumes this call created
  std::vector<std::string> warnings;   // for the user, once
};

// Adds one mount to `out`. Named volumes are created on first use with
// `ctx.labels` (an `external` one must exist); an empty new volume gets the
// image's content at the target copied in (owner, mode, xattrs, times,
// symlinks and hard links kept) unless `nocopy` or a `subpath`.
Status add_mount(const MountRequest& request, const MountContext& ctx, ResolvedMounts& out);
// A secret: a copy under `ctx.files_dir`/secrets with its uid/gid/mode, bound
// read-only at /run/secrets/<name> (or <target>, under /run/secrets unless
// absolute).
Status add_secret(const FileMountRequest& request, const MountContext& ctx, ResolvedMounts& out);
// A config: as a secret, at /<name> or <target>.
Status add_config(const FileMountRequest& request, const MountContext& ctx, ResolvedMounts& out);

// Copies the tree at `path` inside `rootfs` (resolved beneath it: the image's
// symlinks cannot point the copy at the host) into the empty directory
// `dest_dir`, keeping owners, modes, xattrs, times, symlinks and hard links;
// `dest_dir` itself takes the source directory's owner and mode. Nothing
// there (or not a directory): nothing copied, not an error.
Status copy_up(const std::string& rootfs, const std::string& path, const std::string& dest_dir);

// The in-use predicate for VolumeStore::remove/prune, from the volume names
// that existing containers record (ResolvedMounts::volumes).
InUse in_use_by(const std::vector<std::string>& used_names);

}  // namespace brick::volumes
