// The GPU allocation ledger: which container holds which GPU, in
// `<root>/gpu/ledger.json`, read and rewritten under `<root>/gpu/ledger.lock`
// so two `up` at once never hand one GPU to both.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "gpu/discovery.hpp"

namespace brick::gpu {

// One device reservation, as compose's deploy.resources.reservations.devices
// (or `gpus:`, or `brick run --gpus`) expresses it.
struct GpuRequest {
  std::string service;  // for messages: ``service `trainer-2` ...``
  std::string holder;   // "project/container", recorded in the ledger
  std::string driver = "nvidia";
  std::optional<int64_t> count;           // -1: all; unset with no device_ids: 1
  std::vector<std::string> device_ids;    // indexes or UUIDs
  bool shared = false;                    // options: {shared: "true"}
  std::vector<std::string> capabilities;  // for inject: gpu, compute, utility, ...
};

// `brick run --gpus` as docker reads it: `all`, a count (`2`), or CSV
// fields `count=N|all`, `device=ID[,ID...]` (quote the whole value to list
// several: '"device=0,2"'), `driver=nvidia`, `capabilities=a[,b]`.
Result<GpuRequest> parse_gpus_flag(std::string_view value);

struct LedgerEntry {
  unsigned index = 0;
  std::string uuid;
  std::string holder;
  bool shared = false;
};

// Is the container `holder` ("project/container") still there? Entries of
// holders for which it answers false are dropped before each reservation.
using HolderAlive = std::function<bool(const std::string& holder)>;

class Ledger {
 public:
  explicit Ledger(std::string root);  // the --root directory

  // Chooses GPUs for `request` among `gpus` and records them: `count: N`
  // takes the N free GPUs with the most free memory (then lowest index),
  // device_ids exactly those, count -1 all of them. A holder that already
  // holds GPUs gets the same ones back. Fails without recording anything:
  // ``service `trainer-2` reserves 1 GPU (nvidia); 0 of 1 free: GPU 0 held by `ml/trainer-1` ``.
  Result<std::vector<GpuInfo>> reserve(const std::vector<GpuInfo>& gpus, const GpuRequest& request,
                                       const HolderAlive& alive = {});
  // Drops every entry of `holder`; releasing nothing is fine.
  Status release(const std::string& holder);
  // Drops the entries whose holder is not alive; returns the holders dropped.
  Result<std::vector<std::string>> reclaim(const HolderAlive& alive);
  // Every entry, by GPU index.
  Result<std::vector<LedgerEntry>> entries() const;

  std::string path() const;

 private:
  Result<std::vector<LedgerEntry>> load() const;
  Status store(const std::vector<LedgerEntry>& entries) const;
  std::string root_;
};

// `options: {shared: "true"}` and friends.
bool option_true(std::string_view value);

}  // namespace brick::gpu
