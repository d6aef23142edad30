#include "volumes/mounts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

#include "base/file.hpp"
#include "base/openat2.hpp"
#include "base/strings.hpp"
#include "base/unique_fd.hpp"

namespace brick::volumes {
namespace {

namespace fs = std::filesystem;

std::string octal(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%o", mode);
  return buf;
}

Result<std::string> expand_source(const std::string& source, const MountContext& ctx) {
  std::string path = source;
  if (path == "~" || path.starts_with("~/")) {
    std::string home = ctx.home;
    if (home.empty()) {
      const char* env = std::getenv("HOME");
      if (env == nullptr || *env == '\0') return fail("bind source `" + source + "`: `~` needs $HOME to be set");
      home = env;
    }
    path = home + path.substr(1);
  } else if (path.starts_with("~")) {
    return fail("bind source `" + source + "`: `~user` is not supported; write the path out");
  }
  if (path.empty() || path[0] != '/') {
    std::string base = ctx.base_dir;
    if (base.empty()) {
      std::error_code ec;
      base = fs::current_path(ec).string();
      if (ec) return fail("bind source `" + source + "`: reading the current directory: " + ec.message());
    }
    path = base + "/" + path;
  }
  std::string normal = fs::path(path).lexically_normal().string();
  if (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

bool is_empty_dir(const std::string& path, std::error_code& ec) { return fs::is_empty(path, ec); }

// The path with every symlink resolved (as docker's EvalSymlinks), for a
// mount that is then opened with nothing followed (runtime::Mount::source_nofollow).
Result<std::string> resolved_source(const std::string& path, const std::string& what) {
  std::error_code ec;
  fs::path real = fs::canonical(path, ec);
  if (ec) return fail(Error(what + ": resolving it: " + ec.message(), ec.value()));
  return real.string();
}

Status add_bind(const MountRequest& r, const MountContext& ctx, ResolvedMounts& out) {
  std::string source = BRICK_TRY(expand_source(r.source, ctx));
  struct stat st {};
  if (::stat(source.c_str(), &st) < 0) {
    if (errno != ENOENT) return fail_errno("bind source `" + source + "`");
    if (!r.create_host_path)
      return fail(
          Error("bind source path `" + source + "` does not exist (create it, or use the short syntax)", ENOENT));
    std::error_code ec;
    fs::create_directories(source, ec);
    if (ec) return fail(Error("creating bind source `" + source + "`: " + ec.message(), ec.value()));
  }
  if (!r.selinux.empty())
    out.warnings.push_back("bind `" + source + "`: `:" + r.selinux +
                           "` asks for an SELinux relabel, which brick does not do; mounted without it");
  std::vector<std::string> options{r.recursive ? "rbind" : "bind"};
  if (r.read_only) options.push_back("ro");
  options.push_back(r.propagation.empty() ? "rprivate" : r.propagation);
  // Resolved now, and opened without following symlinks at every start:
  // another container (or this one) may write where the path leads.
  source = BRICK_TRY(resolved_source(source, "bind source `" + source + "`"));
  out.mounts.push_back({r.target, "bind", source, std::move(options), true});
  return {};
}

std::vector<std::string> tmpfs_options(const MountRequest& r) {
  // docker's defaults for a tmpfs; an `exec` among the user's words undoes
  // noexec, since later words win.
  std::vector<std::string> options{"nosuid", "nodev", "noexec"};
  if (r.read_only) options.push_back("ro");
  for (const std::string& o : r.tmpfs_options) options.push_back(o);
  if (r.tmpfs_size) options.push_back("size=" + std::to_string(*r.tmpfs_size));
  if (r.tmpfs_mode) options.push_back("mode=" + octal(*r.tmpfs_mode));
  return options;
}

// A volume whose driver_opts say how to mount it (docker's local driver):
// mounted straight into the container rather than at its _data.
Result<runtime::Mount> driver_mount(const MountRequest& r, const Volume& v) {
  auto get = [&](const char* key) {
    auto it = v.driver_opts.find(key);
    return it == v.driver_opts.end() ? std::string() : it->second;
  };
  std::string type = get("type"), device = get("device"), o = get("o");
  std::vector<std::string> words;
  for (const std::string& w : split(o, ','))
    if (!w.empty()) words.push_back(w);
  if (r.read_only) words.push_back("ro");
  if (type == "tmpfs") return runtime::Mount{r.target, "tmpfs", device.empty() ? "tmpfs" : device, words};
  if (type == "none") {
    struct stat st {};
    if (::stat(device.c_str(), &st) < 0) return fail_errno("volume `" + v.name + "`: bind device `" + device + "`");
    std::string real = BRICK_TRY(resolved_source(device, "volume `" + v.name + "`: bind device `" + device + "`"));
    return runtime::Mount{r.target, "bind", real, words, true};
  }
  return runtime::Mount{r.target, type, device, words};
}

Status add_volume(const MountRequest& r, const MountContext& ctx, ResolvedMounts& out) {
  if (ctx.store == nullptr) return fail("mounting a volume needs a volume store");
  VolumeStore& store = *ctx.store;
  Options labels = ctx.labels;
  for (const auto& [k, val] : r.volume_labels) labels[k] = val;
  Volume v;
  if (r.source.empty()) {
    v = BRICK_TRY(store.create_anonymous(r.volume_opts, labels));
    out.created.push_back(v.name);
    out.anonymous.push_back(v.name);
  } else {
    auto decl = ctx.declared.find(r.source);
    auto existing = store.get(r.source);
    if (existing) {
      v = std::move(*existing);
    } else if (existing.error().errno_value() != ENOENT) {
      return fail(std::move(existing).error());
    } else if (decl != ctx.declared.end() && decl->second.external) {
      return fail(Error(
          "external volume `" + r.source + "` does not exist; create it first (`brick volume create " + r.source + "`)",
          ENOENT));
    } else {
      Options opts = r.volume_opts;
      if (decl != ctx.declared.end()) {
        opts = decl->second.driver_opts;
        for (const auto& [k, val] : decl->second.labels) labels[k] = val;
      }
      v = BRICK_TRY(store.create(r.source, opts, labels));
      out.created.push_back(v.name);
    }
    if (v.anonymous || v.labels.contains(kAnonymousLabel)) out.anonymous.push_back(v.name);
  }
  out.volumes.push_back(v.name);

  if (v.driver_opts.contains("type")) {
    if (!r.subpath.empty())
      return fail("volume `" + v.name + "`: a subpath of a volume with driver options is not supported");
    runtime::Mount m = BRICK_TRY_CTX(driver_mount(r, v), "volume `" + v.name + "`");
    out.mounts.push_back(std::move(m));
    return {};
  }

  std::string source = v.mountpoint;
  if (!r.subpath.empty()) {
    // Resolved beneath the volume: a symlink a container left in it cannot
    // make the subpath name a host directory.
    UniqueFd data(::open(v.mountpoint.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!data) return fail_errno("volume `" + v.name + "`: opening `" + v.mountpoint + "`");
    UniqueFd sub = BRICK_TRY_CTX(open_beneath(data.get(), r.subpath, O_PATH),
                                 "volume `" + v.name + "`: subpath `" + r.subpath + "` (it must exist)");
    // Only its path is kept: the runtime opens it again at every (re)start
    // with no symlink followed (runtime::Mount::source_nofollow), so one the
    // container puts there later cannot redirect the mount to the host.
    std::error_code ec;
    source = fs::read_symlink("/proc/self/fd/" + std::to_string(sub.get()), ec).string();
    if (ec) return fail("volume `" + v.name + "`: resolving subpath `" + r.subpath + "`: " + ec.message());
  } else if (!r.nocopy && !ctx.rootfs.empty()) {
    // docker fills a volume from the image whenever it is empty at mount
    // time. Locked, so two containers starting at once copy only once.
    std::string lock_path = fs::path(v.mountpoint).parent_path().string() + "/copy.lock";
    auto lock = BRICK_TRY_CTX(FileLock::acquire(lock_path), "volume `" + v.name + "`");
    std::error_code ec;
    bool empty = is_empty_dir(v.mountpoint, ec);
    if (ec) return fail("volume `" + v.name + "`: reading `" + v.mountpoint + "`: " + ec.message());
    if (empty) {
      auto copied = copy_up(ctx.rootfs, r.target, v.mountpoint);
      if (!copied) {
        // Emptied again, so the next mount tries afresh instead of keeping half a copy.
        for (fs::directory_iterator it(v.mountpoint, ec), end; !ec && it != end; it.increment(ec))
          fs::remove_all(it->path(), ec);
        return fail(std::move(copied).error().context("volume `" + v.name + "`"));
      }
    }
  }
  std::vector<std::string> options{"rbind"};
  if (r.read_only) options.push_back("ro");
  options.push_back("rprivate");
  if (r.subpath.empty()) source = BRICK_TRY(resolved_source(source, "volume `" + v.name + "`"));
  out.mounts.push_back({r.target, "bind", source, std::move(options), true});
  return {};
}

Status check_file_name(const std::string& kind, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    return fail(kind + " name `" + name + "` cannot be used as a file name");
  return {};
}

Status add_file(const char* kind, const FileMountRequest& r, const std::string& target, const MountContext& ctx,
                ResolvedMounts& out) {
  const std::string what = std::string(kind) + " `" + r.name + "`";
  BRICK_TRY(check_file_name(kind, r.name));
  if (ctx.files_dir.empty()) return fail(what + ": no per-container directory to copy it into");
  std::string content;
  if (r.content) {
    content = *r.content;
  } else if (r.file) {
    content = BRICK_TRY_CTX(read_file(*r.file), what);
  } else {
    return fail(what + ": it has neither a file nor content");
  }
  // Kept from other users of the host: the copy lives in a 0700 directory;
  // the container sees the file through its bind, not through this path.
  std::string dir = ctx.files_dir + "/" + kind + "s";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(what + ": creating `" + dir + "`: " + ec.message());
  if (::chmod(dir.c_str(), 0700) < 0) return fail_errno(what + ": securing `" + dir + "`");
  std::string path = dir + "/" + r.name;
  const uint32_t mode = r.mode.value_or(0444);
  BRICK_TRY_CTX(write_file_atomic(path, content, mode), what);
  // Unset, the owner is whoever runs brick: root, as docker's default.
  if ((r.uid || r.gid) &&
      ::chown(path.c_str(), r.uid ? *r.uid : static_cast<uid_t>(-1), r.gid ? *r.gid : static_cast<gid_t>(-1)) < 0)
    return fail_errno(what + ": setting the owner of `" + path + "`");
  // chown drops set-id bits; a mode asking for them gets them back.
  if (::chmod(path.c_str(), mode) < 0) return fail_errno(what + ": setting the mode of `" + path + "`");
  out.mounts.push_back({target, "bind", path, {"bind", "ro", "nosuid", "nodev", "noexec", "rprivate"}});
  return {};
}

}  // namespace

Status add_mount(const MountRequest& r, const MountContext& ctx, ResolvedMounts& out) {
  if (r.target.empty() || r.target[0] != '/')
    return fail("mount target `" + r.target + "` must be an absolute path inside the container");
  switch (r.kind) {
    case MountKind::bind: return add_bind(r, ctx, out);
    case MountKind::tmpfs: out.mounts.push_back({r.target, "tmpfs", "tmpfs", tmpfs_options(r)}); return {};
    case MountKind::volume: return add_volume(r, ctx, out);
  }
  return fail("unknown mount kind");
}

Status add_secret(const FileMountRequest& r, const MountContext& ctx, ResolvedMounts& out) {
  std::string target = r.target.empty()     ? "/run/secrets/" + r.name
                       : r.target[0] == '/' ? r.target
                                            : "/run/secrets/" + r.target;
  return add_file("secret", r, target, ctx, out);
}

Status add_config(const FileMountRequest& r, const MountContext& ctx, ResolvedMounts& out) {
  std::string target = r.target.empty() ? "/" + r.name : r.target[0] == '/' ? r.target : "/" + r.target;
  return add_file("config", r, target, ctx, out);
}

InUse in_use_by(const std::vector<std::string>& used_names) {
  return [names = std::set<std::string>(used_names.begin(), used_names.end())](const std::string& name) {
    return names.contains(name);
  };
}

}  // namespace brick::volumes
