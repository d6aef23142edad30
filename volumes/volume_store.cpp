#include "volumes/volume_store.hpp"

#include <ftw.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "base/file.hpp"
#include "base/ids.hpp"
#include "base/json.hpp"
#include "base/private_dir.hpp"
#include "base/scope_exit.hpp"

namespace brick::volumes {
namespace {

namespace fs = std::filesystem;

std::string record_json(const Volume& v) {
  nlohmann::json j = {{"name", v.name},          {"driver", v.driver},         {"driver_opts", v.driver_opts},
                      {"labels", v.labels},      {"created_at", v.created_at}, {"mountpoint", v.mountpoint},
                      {"anonymous", v.anonymous}};
  return json_text(j, 2) + "\n";
}

Result<Volume> parse_record(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    Volume v;
    v.name = j.at("name").get<std::string>();
    v.driver = j.value("driver", std::string("local"));
    v.driver_opts = j.value("driver_opts", Options{});
    v.labels = j.value("labels", Options{});
    v.created_at = j.value("created_at", std::string());
    v.mountpoint = j.value("mountpoint", std::string());
    v.anonymous = j.value("anonymous", false);
    return v;
  } catch (const nlohmann::json::exception& e) {
    return fail(e.what());
  }
}

bool matches(const Volume& v, const std::string& filter) {
  auto eq = filter.find('=');
  auto it = v.labels.find(filter.substr(0, eq));
  if (it == v.labels.end()) return false;
  return eq == std::string::npos || it->second == filter.substr(eq + 1);
}

// nftw keeps no user pointer; these are only touched under the store lock.
uint64_t g_removed_bytes = 0;
int remove_entry(const char* path, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_F) g_removed_bytes += static_cast<uint64_t>(st->st_size);
  return ::remove(path) == 0 ? 0 : errno;
}

// Removes a tree without following symlinks or crossing into another
// filesystem: a mount left inside a volume makes the removal fail (EBUSY)
// instead of deleting what is mounted there.
Status remove_tree(const std::string& path, uint64_t* bytes) {
  g_removed_bytes = 0;
  int rc = ::nftw(path.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  if (bytes) *bytes += g_removed_bytes;
  if (rc < 0) {
    if (errno == ENOENT) return {};
    return fail_errno("removing `" + path + "`");
  }
  if (rc > 0) return fail(Error::from_errno("removing `" + path + "`", rc));
  return {};
}

}  // namespace

Result<VolumeStore> VolumeStore::open(const std::string& root) {
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(root) / "volumes", ec);
  if (ec) return fail(Error("opening the volume store under `" + root + "`: " + ec.message(), ec.value()));
  // A container writes what it likes into a volume, setuid-root files too:
  // no host user may reach them by their path here.
  BRICK_TRY_CTX(make_private_dir(dir.string()), "opening the volume store under `" + root + "`");
  return VolumeStore(dir.lexically_normal().string());
}

Result<Volume> VolumeStore::get(const std::string& name) const {
  BRICK_TRY(validate_name(name));
  std::string record = path(name) + "/volume.json";
  auto text = read_file(record);
  if (!text && text.error().errno_value() == ENOENT)
    return fail(Error("no such volume `" + name + "`; `brick volume ls` lists them", ENOENT));
  if (!text) return fail(std::move(text).error().context("reading volume `" + name + "`"));
  auto v = parse_record(*text);
  if (!v)
    return fail(std::move(v).error().context("volume `" + name + "`: record `" + record +
                                             "` is corrupt; remove the volume directory `" + path(name) + "`"));
  return v;
}

Result<std::vector<Volume>> VolumeStore::list(const std::vector<std::string>& label_filters) const {
  std::vector<Volume> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with(".") || !it->is_directory(ec)) continue;
    Volume v = BRICK_TRY(get(name));
    bool keep = true;
    for (const auto& f : label_filters) keep = keep && matches(v, f);
    if (keep) out.push_back(std::move(v));
  }
  if (ec) return fail(Error("listing volumes in `" + dir_ + "`: " + ec.message(), ec.value()));
  std::sort(out.begin(), out.end(), [](const Volume& a, const Volume& b) { return a.name < b.name; });
  return out;
}

Result<Volume> VolumeStore::create(const std::string& name, const Options& driver_opts, const Options& labels) {
  auto lock = BRICK_TRY_CTX(FileLock::acquire(dir_ + "/lock"), "creating volume `" + name + "`");
  return create_locked(name, driver_opts, labels, false);
}

Result<Volume> VolumeStore::create_anonymous(const Options& driver_opts, const Options& labels) {
  auto lock = BRICK_TRY_CTX(FileLock::acquire(dir_ + "/lock"), "creating an anonymous volume");
  std::string name = BRICK_TRY_CTX(random_hex(32), "creating an anonymous volume");
  Options with_label = labels;
  with_label[kAnonymousLabel] = "";
  return create_locked(name, driver_opts, with_label, true);
}

Result<Volume> VolumeStore::create_locked(const std::string& name, const Options& driver_opts, const Options& labels,
                                          bool anonymous) {
  std::string what = "creating volume `" + name + "`";
  BRICK_TRY_CTX(validate_name(name), what);
  BRICK_TRY_CTX(validate_local_options(driver_opts), what);
  struct stat st {};
  if (::lstat(path(name).c_str(), &st) == 0) {
    Volume existing = BRICK_TRY_CTX(get(name), what);
    if (existing.driver_opts == driver_opts && existing.labels == labels) return existing;
    return fail(Error(what +
                          ": a volume with that name already exists with different options or labels; "
                          "remove it first (`brick volume rm " +
                          name + "`) or create it as it was",
                      EEXIST));
  }
  Volume v;
  v.name = name;
  v.driver_opts = driver_opts;
  v.labels = labels;
  v.created_at = now_rfc3339();
  v.mountpoint = path(name) + "/_data";
  v.anonymous = anonymous;

  // Built aside and renamed into place: a crash leaves a whole volume or a
  // .tmp-* directory that prune removes, never a volume without its record.
  std::string staging = dir_ + "/.tmp-" + BRICK_TRY_CTX(random_hex(8), what);
  if (::mkdir(staging.c_str(), 0755) < 0) return fail(Error::from_errno("creating `" + staging + "`").context(what));
  ScopeExit cleanup([&] { (void)remove_tree(staging, nullptr); });
  if (::mkdir((staging + "/_data").c_str(), 0755) < 0)
    return fail(Error::from_errno("creating `" + staging + "/_data`").context(what));
  BRICK_TRY_CTX(write_file_atomic(staging + "/volume.json", record_json(v), 0644), what);
  if (::rename(staging.c_str(), path(name).c_str()) < 0)
    return fail(Error::from_errno("renaming `" + staging + "` to `" + path(name) + "`").context(what));
  cleanup.release();
  return v;
}

Status VolumeStore::remove(const std::string& name, bool force, const InUse& in_use) {
  std::string what = "removing volume `" + name + "`";
  BRICK_TRY_CTX(validate_name(name), what);
  auto lock = BRICK_TRY_CTX(FileLock::acquire(dir_ + "/lock"), what);
  auto v = get(name);
  if (!v && force && v.error().errno_value() == ENOENT) return {};
  if (!v) return fail(std::move(v).error().context(what));
  // Even -f keeps a volume a container uses, as docker does.
  if (in_use && in_use(name))
    return fail(Error(what + ": it is in use by a container; remove that container first", EBUSY));
  return remove_locked(name, nullptr);
}

Status VolumeStore::remove_locked(const std::string& name, uint64_t* reclaimed) {
  std::string what = "removing volume `" + name + "`";
  // Renamed away first so that the name is free and no half-removed volume
  // is ever listed; what a crash leaves in .trash-* prune removes.
  std::string trash = dir_ + "/.trash-" + BRICK_TRY_CTX(random_hex(8), what);
  if (::rename(path(name).c_str(), trash.c_str()) < 0)
    return fail(Error::from_errno("renaming `" + path(name) + "` aside").context(what));
  BRICK_TRY_CTX(remove_tree(trash, reclaimed), what);
  return {};
}

Result<PruneReport> VolumeStore::prune(const InUse& in_use, bool all) {
  auto lock = BRICK_TRY_CTX(FileLock::acquire(dir_ + "/lock"), "pruning volumes");
  PruneReport report;
  auto volumes = BRICK_TRY_CTX(list(), "pruning volumes");
  for (const auto& v : volumes) {
    if (!all && !v.anonymous && !v.labels.contains(kAnonymousLabel)) continue;
    if (in_use && in_use(v.name)) continue;
    BRICK_TRY(remove_locked(v.name, &report.reclaimed_bytes));
    report.deleted.push_back(v.name);
  }
  std::error_code ec;
  std::vector<std::string> leftovers;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with(".tmp-") || name.starts_with(".trash-")) leftovers.push_back(it->path().string());
  }
  for (const auto& p : leftovers) BRICK_TRY_CTX(remove_tree(p, &report.reclaimed_bytes), "pruning volumes");
  return report;
}

std::vector<Error> remove_volumes(const std::string& root, const std::vector<std::string>& names) {
  std::vector<Error> errors;
  if (names.empty()) return errors;
  auto store = VolumeStore::open(root);
  for (const std::string& name : names) {
    Status removed = store ? store->remove(name) : Status(fail(store.error()));
    if (!removed) errors.push_back(std::move(removed).error().context("volume `" + name + "`"));
  }
  return errors;
}

}  // namespace brick::volumes
