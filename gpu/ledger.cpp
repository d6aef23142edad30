#include "gpu/ledger.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file.hpp"
#include "base/strings.hpp"

namespace brick::gpu {

using nlohmann::json;

namespace {

std::string gpus_word(int64_t n) { return std::to_string(n) + (n == 1 ? " GPU" : " GPUs"); }

// An entry belongs to a GPU by UUID when both have one (indexes may change
// across reboots), else by index.
bool same_gpu(const LedgerEntry& e, const GpuInfo& g) {
  if (!e.uuid.empty() && !g.uuid.empty()) return e.uuid == g.uuid;
  return e.index == g.index;
}

}  // namespace

bool option_true(std::string_view value) {
  std::string v = to_lower(value);
  return v == "true" || v == "1" || v == "yes";
}

Result<GpuRequest> parse_gpus_flag(std::string_view value) {
  GpuRequest r;
  const std::string what = "invalid --gpus `" + std::string(value) + "`";
  auto parse_count = [&](std::string_view v) -> Result<int64_t> {
    if (v == "all") return int64_t{-1};
    int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < 1)
      return fail(what + ": count `" + std::string(v) + "` is not a positive number or `all`");
    return n;
  };
  // CSV as docker's opts.GpuOpts: double quotes group commas into one field.
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (char c : value) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      fields.emplace_back();
    else
      fields.back() += c;
  }
  if (quoted) return fail(what + ": unterminated quote");
  for (const std::string& field : fields) {
    size_t eq = field.find('=');
    if (eq == std::string::npos) {
      if (fields.size() != 1) return fail(what + ": `" + field + "` is not KEY=VALUE");
      r.count = BRICK_TRY(parse_count(field));
      continue;
    }
    const std::string key = field.substr(0, eq), val = field.substr(eq + 1);
    if (key == "count")
      r.count = BRICK_TRY(parse_count(val));
    else if (key == "device")
      r.device_ids = split(val, ',');
    else if (key == "driver")
      r.driver = val;
    else if (key == "capabilities")
      r.capabilities = split(val, ',');
    else if (key == "options")
      return fail(what + ": `options` is not supported");
    else
      return fail(what + ": unknown field `" + key + "`");
  }
  if (r.count && !r.device_ids.empty()) return fail(what + ": count and device cannot both be set");
  for (const std::string& id : r.device_ids)
    if (id.empty()) return fail(what + ": an empty device id");
  if (r.capabilities.empty()) r.capabilities = {"gpu"};
  return r;
}

Ledger::Ledger(std::string root) : root_(std::move(root)) {}

std::string Ledger::path() const { return root_ + "/gpu/ledger.json"; }

Result<std::vector<LedgerEntry>> Ledger::load() const {
  std::vector<LedgerEntry> out;
  auto text = read_file(path());
  if (!text) {
    if (text.error().errno_value() == ENOENT) return out;
    return std::unexpected(std::move(text).error().context("reading the GPU ledger"));
  }
  try {
    json doc = json::parse(*text);
    for (const json& e : doc.at("entries")) {
      LedgerEntry entry;
      entry.index = e.at("index").get<unsigned>();
      entry.uuid = e.value("uuid", "");
      entry.holder = e.at("holder").get<std::string>();
      entry.shared = e.value("shared", false);
      out.push_back(std::move(entry));
    }
  } catch (const json::exception& e) {
    return fail("GPU ledger `" + path() + "` is corrupt: " + e.what());
  }
  return out;
}

Status Ledger::store(const std::vector<LedgerEntry>& entries) const {
  json doc;
  doc["entries"] = json::array();
  for (const LedgerEntry& e : entries)
    doc["entries"].push_back({{"index", e.index}, {"uuid", e.uuid}, {"holder", e.holder}, {"shared", e.shared}});
  return write_file_atomic(path(), doc.dump(2) + "\n");
}

Result<std::vector<GpuInfo>> Ledger::reserve(const std::vector<GpuInfo>& gpus, const GpuRequest& request,
                                             const HolderAlive& alive) {
  const std::string driver = request.driver.empty() ? "nvidia" : request.driver;
  const std::string what = "service `" + request.service + "` reserves ";
  if (driver != "nvidia") return fail(what + "a device of driver `" + driver + "`, which brick does not support");
  if (!request.device_ids.empty() && request.count)
    return fail(what + "GPUs by both count and device_ids; use one of them");
  const int64_t count = request.count.value_or(request.device_ids.empty() ? 1 : 0);
  const std::string amount = count < 0                    ? "all GPUs"
                             : request.device_ids.empty() ? gpus_word(count)
                                                          : "GPU " + join(request.device_ids, ", ");
  if (gpus.empty()) return fail(what + amount + " (" + driver + "); this host has no GPU");
  if (count == 0 && request.device_ids.empty()) return std::vector<GpuInfo>{};

  if (request.holder.empty()) return fail(what + amount + ": no holder (project/container) given");
  std::error_code ec;
  std::filesystem::create_directories(root_ + "/gpu", ec);
  if (ec) return fail(Error("creating `" + root_ + "/gpu`: " + ec.message(), ec.value()));
  FileLock lock = BRICK_TRY_CTX(FileLock::acquire(root_ + "/gpu/ledger.lock"), "locking the GPU ledger");
  std::vector<LedgerEntry> entries = BRICK_TRY(load());
  const size_t before = entries.size();
  if (alive)
    std::erase_if(entries, [&](const LedgerEntry& e) { return e.holder != request.holder && !alive(e.holder); });
  const bool reclaimed = entries.size() != before;

  // The same container asking again (a restart) keeps what it has.
  std::vector<GpuInfo> mine;
  for (const GpuInfo& g : gpus)
    for (const LedgerEntry& e : entries)
      if (e.holder == request.holder && same_gpu(e, g)) mine.push_back(g);
  if (!mine.empty()) {
    if (reclaimed) BRICK_TRY_CTX(store(entries), "writing the GPU ledger");
    return mine;
  }

  auto holders_of = [&](const GpuInfo& g) {
    std::vector<const LedgerEntry*> out;
    for (const LedgerEntry& e : entries)
      if (same_gpu(e, g)) out.push_back(&e);
    return out;
  };
  // Shared holders admit other shared holders; anyone else needs it empty.
  auto is_free = [&](const GpuInfo& g) {
    for (const LedgerEntry* e : holders_of(g))
      if (!(request.shared && e->shared)) return false;
    return true;
  };
  auto held_list = [&](const std::vector<const GpuInfo*>& which) {
    std::vector<std::string> parts;
    for (const GpuInfo* g : which) {
      std::vector<std::string> names;
      for (const LedgerEntry* e : holders_of(*g)) names.push_back("`" + e->holder + "`");
      parts.push_back("GPU " + std::to_string(g->index) + " held by " + join(names, ", "));
    }
    return join(parts, ", ");
  };

  std::vector<const GpuInfo*> chosen, busy;
  if (!request.device_ids.empty()) {
    for (const std::string& id : request.device_ids) {
      auto it = std::find_if(gpus.begin(), gpus.end(), [&](const GpuInfo& g) {
        return std::to_string(g.index) == id || (!g.uuid.empty() && g.uuid == id);
      });
      if (it == gpus.end()) {
        std::vector<std::string> known;
        for (const GpuInfo& g : gpus) known.push_back(std::to_string(g.index));
        return fail(what + "GPU `" + id + "` (" + driver + "); this host has no such GPU (it has GPU " +
                    join(known, ", ") + ")");
      }
      if (std::find(chosen.begin(), chosen.end(), &*it) != chosen.end()) continue;
      (is_free(*it) ? chosen : busy).push_back(&*it);
    }
    if (!busy.empty()) return fail(what + amount + " (" + driver + "); " + held_list(busy));
  } else {
    std::vector<const GpuInfo*> free;
    for (const GpuInfo& g : gpus) (is_free(g) ? free : busy).push_back(&g);
    const int64_t want = count < 0 ? static_cast<int64_t>(gpus.size()) : count;
    if (want > static_cast<int64_t>(gpus.size()))
      return fail(what + amount + " (" + driver + "); this host has " + gpus_word(static_cast<int64_t>(gpus.size())));
    if (static_cast<int64_t>(free.size()) < want)
      return fail(what + amount + " (" + driver + "); " + std::to_string(free.size()) + " of " +
                  std::to_string(gpus.size()) + " free: " + held_list(busy));
    std::stable_sort(free.begin(), free.end(), [](const GpuInfo* a, const GpuInfo* b) {
      if (a->memory_free != b->memory_free) return a->memory_free > b->memory_free;
      return a->index < b->index;
    });
    chosen.assign(free.begin(), free.begin() + want);
    std::sort(chosen.begin(), chosen.end(), [](const GpuInfo* a, const GpuInfo* b) { return a->index < b->index; });
  }

  std::vector<GpuInfo> out;
  for (const GpuInfo* g : chosen) {
    entries.push_back(LedgerEntry{g->index, g->uuid, request.holder, request.shared});
    out.push_back(*g);
  }
  BRICK_TRY_CTX(store(entries), "writing the GPU ledger");
  return out;
}

Status Ledger::release(const std::string& holder) {
  if (::access((root_ + "/gpu").c_str(), F_OK) != 0) return {};
  FileLock lock = BRICK_TRY_CTX(FileLock::acquire(root_ + "/gpu/ledger.lock"), "locking the GPU ledger");
  std::vector<LedgerEntry> entries = BRICK_TRY(load());
  if (std::erase_if(entries, [&](const LedgerEntry& e) { return e.holder == holder; }) == 0) return {};
  return store(entries);
}

Result<std::vector<std::string>> Ledger::reclaim(const HolderAlive& alive) {
  std::vector<std::string> dropped;
  if (::access((root_ + "/gpu").c_str(), F_OK) != 0) return dropped;
  FileLock lock = BRICK_TRY_CTX(FileLock::acquire(root_ + "/gpu/ledger.lock"), "locking the GPU ledger");
  std::vector<LedgerEntry> entries = BRICK_TRY(load());
  std::set<std::string> seen;
  std::erase_if(entries, [&](const LedgerEntry& e) {
    if (alive(e.holder)) return false;
    if (seen.insert(e.holder).second) dropped.push_back(e.holder);
    return true;
  });
  if (!dropped.empty()) BRICK_TRY_CTX(store(entries), "writing the GPU ledger");
  return dropped;
}

Result<std::vector<LedgerEntry>> Ledger::entries() const {
  if (::access((root_ + "/gpu").c_str(), F_OK) != 0) return std::vector<LedgerEntry>{};
  FileLock lock = BRICK_TRY_CTX(FileLock::acquire(root_ + "/gpu/ledger.lock"), "locking the GPU ledger");
  return load();
}

}  // namespace brick::gpu
