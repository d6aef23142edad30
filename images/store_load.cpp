// Putting images into the store: staging, verification, and the commit that
// renames blobs and layers into place and names the image last.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file.hpp"
#include "base/ids.hpp"
#include "base/unique_fd.hpp"
#include "images/archive.hpp"
#include "images/layout.hpp"
#include "images/reference.hpp"
#include "images/store.hpp"
#include "images/unpack.hpp"

namespace brick::images {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A scratch directory under <store>/tmp, locked while in use so that prune
// can tell it from what a crashed load left; removed when done.
class Staging {
 public:
  static Result<Staging> create(const std::string& store_dir) {
    // prune sweeps every directory there whose lock nobody holds: under the
    // store lock, which prune holds too, no one sees this one before it is.
    auto store_lock = BRICK_TRY(FileLock::acquire(store_dir + "/lock"));
    std::string tmpl = store_dir + "/tmp/load-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) return fail_errno("creating staging directory under `" + store_dir + "`");
    auto lock = FileLock::acquire(tmpl + "/.lock");
    if (!lock) {
      std::error_code ec;
      fs::remove_all(tmpl, ec);
      return fail(lock.error());
    }
    return Staging(std::move(tmpl), std::move(*lock));
  }
  Staging(Staging&& other) noexcept : path_(std::exchange(other.path_, "")), lock_(std::move(other.lock_)) {}
  Staging& operator=(Staging&&) = delete;
  ~Staging() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);  // best effort; prune retries
  }
  const std::string& path() const { return path_; }

 private:
  Staging(std::string path, FileLock lock) : path_(std::move(path)), lock_(std::move(lock)) {}
  std::string path_;
  FileLock lock_;
};

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

Status fsync_path(const std::string& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening `" + path + "`");
  if (::fsync(fd.get()) != 0) return fail_errno("syncing `" + path + "`");
  return {};
}

// Hard-links `from` to `to` when they share a filesystem, else copies it.
Status link_or_copy(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return {};
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return fail_errno("opening `" + from + "`");
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out) return fail_errno("creating `" + to + "`");
  std::array<char, 1 << 16> buf;
  for (;;) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0) return fail_errno("reading `" + from + "`");
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(out.get(), buf.data() + off, static_cast<size_t>(n - off));
      if (w < 0) return fail_errno("writing `" + to + "`");
      off += w;
    }
  }
  if (::fsync(out.get()) != 0) return fail_errno("syncing `" + to + "`");
  return {};
}

std::string hex_of(const std::string& digest) { return digest.substr(7); }

std::string host_arch() {
  struct utsname u;
  if (::uname(&u) != 0) return "amd64";
  std::string m = u.machine;
  return m == "x86_64" ? "amd64" : m == "aarch64" ? "arm64" : m;
}

}  // namespace

Result<Store::Loaded> Store::commit(const ArchiveImage& image, const std::string& staging) {
  ImageConfig config = BRICK_TRY_CTX(parse_image_config(image.config), "image config");
  if (config.diff_ids.size() != image.layers.size())
    return fail("the manifest lists " + std::to_string(image.layers.size()) + " layers but rootfs.diff_ids has " +
                std::to_string(config.diff_ids.size()));
  if (::mkdir(staging.c_str(), 0700) != 0) return fail_errno("creating `" + staging + "`");
  struct Move {
    std::string from, to;
  };
  std::vector<Move> moves;  // blobs first, then layers; index.json after all
  std::set<std::string> staged;
  auto stage_bytes = [&](const std::string& bytes) -> Status {
    std::string digest = sha256_bytes(bytes);
    if (exists(blob_path(digest)) || !staged.insert(digest).second) return {};
    std::string tmp = staging + "/" + hex_of(digest);
    BRICK_TRY(write_file_atomic(tmp, bytes));
    moves.push_back({tmp, blob_path(digest)});
    return {};
  };
  BRICK_TRY(stage_bytes(image.config));
  BRICK_TRY(stage_bytes(image.manifest));

  UnpackOptions options;
  options.preserve_ownership = ::geteuid() == 0;
  std::set<std::string> unpacked;
  std::vector<Move> layer_moves;
  const auto verified = verified_layers();
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const LayerSource& layer = image.layers[i];
    const std::string& want_diff = config.diff_ids[i];
    std::string where = "layer " + std::to_string(i + 1) + " (" + layer.digest + ")";
    if (!is_valid_digest(layer.digest)) return fail(where + ": not a sha256 digest");
    if (!is_valid_digest(want_diff)) return fail(where + ": diff_id `" + want_diff + "` is not a sha256 digest");
    bool blob_stored = exists(blob_path(layer.digest));
    bool layer_stored = exists(layer_dir(want_diff)) || unpacked.count(want_diff);
    // A stored image already paired this blob with this diff_id, checked
    // when it was committed: loading it again reads no layer.
    if (blob_stored && layer_stored && verified.contains({layer.digest, want_diff})) continue;
    std::string source = blob_stored ? blob_path(layer.digest) : staging + "/" + hex_of(layer.digest);
    bool stage_blob = !blob_stored && staged.insert(layer.digest).second;
    if (stage_blob) BRICK_TRY_CTX(link_or_copy(layer.path, source), where);
    // One read yields both digests: while unpacking when the tree is new,
    // else by hashing alone.
    LayerDigests got;
    if (layer_stored) {
      got = BRICK_TRY_CTX(layer_digests(source), where);
    } else {
      std::string dest = staging + "/layer-" + hex_of(want_diff);
      if (::mkdir(dest.c_str(), 0755) != 0) return fail_errno("creating `" + dest + "`");
      auto unpacked_layer = unpack_layer(source, dest, options);
      if (!unpacked_layer) {
        // A blob that is not what its digest names is the error to report,
        // not whatever its bytes made the tar reader say.
        auto actual = sha256_file(source);
        if (actual && *actual != layer.digest) return fail(where + ": the blob's digest is `" + *actual + "`");
        return fail(std::move(unpacked_layer.error()).context("unpacking " + where));
      }
      UnpackResult r = std::move(*unpacked_layer);
      got = {r.compressed_digest, r.diff_id, r.compressed_size};
      unpacked.insert(want_diff);
      layer_moves.push_back({dest, layer_dir(want_diff)});
    }
    if (got.digest != layer.digest) return fail(where + ": the blob's digest is `" + got.digest + "`");
    if (stage_blob) moves.push_back({source, blob_path(layer.digest)});
    if (got.diff_id != want_diff)
      return fail(where + ": its content has diff_id `" + got.diff_id + "` but the config's rootfs.diff_ids[" +
                  std::to_string(i) + "] is `" + want_diff + "`");
  }
  moves.insert(moves.end(), layer_moves.begin(), layer_moves.end());
  {  // one flush for every file the unpacker wrote, before they are renamed in
    UniqueFd fd(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd) ::syncfs(fd.get());
  }

  Loaded out;
  out.manifest_digest = sha256_bytes(image.manifest);
  out.id = sha256_bytes(image.config);
  out.names = image.names;
  auto lock = BRICK_TRY(FileLock::acquire(dir_ + "/lock"));
  for (const auto& m : moves) {
    if (::rename(m.from.c_str(), m.to.c_str()) == 0) continue;
    // A concurrent load of the same layer won the race; ours is discarded
    // with the staging directory.
    if ((errno == EEXIST || errno == ENOTEMPTY) && exists(m.to)) continue;
    return fail_errno("moving `" + m.from + "` to `" + m.to + "`");
  }
  BRICK_TRY(fsync_path(dir_ + "/blobs/sha256", O_DIRECTORY));
  BRICK_TRY(fsync_path(dir_ + "/layers", O_DIRECTORY));
  auto entries = BRICK_TRY(read_index());
  set_names(entries, out.manifest_digest, image.manifest.size(), out.names);
  BRICK_TRY(write_index(entries));
  return out;
}

Result<std::vector<Store::Loaded>> Store::load(const std::string& path, const std::string& select, bool is_dir) {
  Staging staging = BRICK_TRY(Staging::create(dir_));
  std::string layout = path;
  if (!is_dir) {
    layout = staging.path() + "/archive";
    if (::mkdir(layout.c_str(), 0700) != 0) return fail_errno("creating `" + layout + "`");
    BRICK_TRY(extract_archive(path, layout));
  }
  auto images = BRICK_TRY(read_layout(layout, select));
  if (images.empty()) return fail("`" + path + "` holds no image");
  std::vector<Loaded> out;
  for (size_t i = 0; i < images.size(); ++i) {
    std::string what = images[i].names.empty() ? "image " + std::to_string(i + 1) : "`" + images[i].names[0] + "`";
    out.push_back(BRICK_TRY_CTX(commit(images[i], staging.path() + "/image-" + std::to_string(i)), "loading " + what));
  }
  return out;
}

Result<std::vector<std::string>> Store::load_archive(const std::string& path, const std::string& select) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return fail_errno("loading `" + path + "`");
  auto loaded = BRICK_TRY_CTX(load(path, select, S_ISDIR(st.st_mode)), "loading `" + path + "`");
  std::vector<std::string> names;
  for (const auto& l : loaded) {
    if (l.names.empty()) names.push_back(l.id);
    names.insert(names.end(), l.names.begin(), l.names.end());
  }
  return names;
}

Result<std::string> Store::import_rootfs(const std::string& source, const std::string& name,
                                         const std::vector<std::string>& changes) {
  auto doit = [&]() -> Result<std::string> {
    Reference ref = BRICK_TRY(parse_reference(name));
    if (!ref.digest.empty()) return fail("an imported image cannot be named by digest");
    Staging staging = BRICK_TRY(Staging::create(dir_));
    struct stat st;
    if (::stat(source.c_str(), &st) != 0) return fail_errno("reading `" + source + "`");
    LayerSource layer;
    layer.path = source;
    if (S_ISDIR(st.st_mode)) {
      layer.path = staging.path() + "/rootfs.tar";
      BRICK_TRY(tar_directory(source, layer.path));
    }
    layer.media_type = BRICK_TRY(layer_media_type(layer.path));
    LayerDigests digests = BRICK_TRY(layer_digests(layer.path));
    layer.digest = digests.digest;
    layer.size = digests.size;
    const std::string& diff_id = digests.diff_id;
    std::string created = now_rfc3339();
    json config = {{"architecture", host_arch()},
                   {"os", "linux"},
                   {"created", created},
                   {"config", json::object()},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}},
                   {"history", {{{"created", created}, {"created_by", "brick image import"}}}}};
    ArchiveImage image;
    image.config = BRICK_TRY(apply_changes(config.dump(), changes));
    image.layers.push_back(std::move(layer));
    image.manifest = make_manifest(image.config, image.layers);
    image.names.push_back(ref.str());
    Loaded loaded = BRICK_TRY(commit(image, staging.path() + "/image"));
    return loaded.id;
  };
  return BRICK_TRY_CTX(doit(), "importing `" + source + "` as `" + name + "`");
}

}  // namespace brick::images
