// The allocation ledger: 2 GPUs and 3 requests, release, pins, all, shared,
// stale holders, and the failure messages a user reads.
#include "gpu/ledger.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>

#include "base/file.hpp"
#include "base/temp_dir.hpp"

using namespace brick;
using namespace brick::gpu;

namespace {

std::vector<GpuInfo> two_gpus() {
  GpuInfo a, b;
  a.index = 0, a.uuid = "GPU-a", a.name = "H100", a.memory_free = 10;
  b.index = 1, b.uuid = "GPU-b", b.name = "H100", b.memory_free = 10;
  return {a, b};
}

GpuRequest req(std::string service, std::string holder, std::optional<int64_t> count = 1) {
  GpuRequest r;
  r.service = std::move(service);
  r.holder = std::move(holder);
  r.count = count;
  return r;
}

std::vector<unsigned> indexes(const std::vector<GpuInfo>& gpus) {
  std::vector<unsigned> out;
  for (const GpuInfo& g : gpus) out.push_back(g.index);
  return out;
}

}  // namespace

TEST_CASE("ledger: two services get different GPUs, a third fails, release frees") {
  auto root = TempDir::create("brick-ledger");
  REQUIRE(root);
  Ledger ledger(root->path());
  const auto gpus = two_gpus();
  auto first = ledger.reserve(gpus, req("trainer-1", "ml/trainer-1"));
  REQUIRE(first);
  CHECK(indexes(*first) == std::vector<unsigned>{0});
  auto second = ledger.reserve(gpus, req("trainer-2", "ml/trainer-2"));
  REQUIRE(second);
  CHECK(indexes(*second) == std::vector<unsigned>{1});
  auto third = ledger.reserve(gpus, req("trainer-3", "ml/trainer-3"));
  REQUIRE_FALSE(third);
  CHECK(third.error().message() ==
        "service `trainer-3` reserves 1 GPU (nvidia); 0 of 2 free: GPU 0 held by `ml/trainer-1`, GPU 1 held by "
        "`ml/trainer-2`");
  auto entries = ledger.entries();
  REQUIRE(entries);
  CHECK(entries->size() == 2);  // the failure recorded nothing

  REQUIRE(ledger.release("ml/trainer-1"));
  auto again = ledger.reserve(gpus, req("trainer-3", "ml/trainer-3"));
  REQUIRE(again);
  CHECK(indexes(*again) == std::vector<unsigned>{0});
  // The same holder asking again (a restart) keeps its GPU.
  auto restart = ledger.reserve(gpus, req("trainer-2", "ml/trainer-2"));
  REQUIRE(restart);
  CHECK(indexes(*restart) == std::vector<unsigned>{1});
}

TEST_CASE("ledger: the issue's message on a one-GPU host") {
  auto root = TempDir::create("brick-ledger");
  REQUIRE(root);
  Ledger ledger(root->path());
  std::vector<GpuInfo> one = {two_gpus()[0]};
  REQUIRE(ledger.reserve(one, req("trainer-1", "ml/trainer-1")));
  auto second = ledger.reserve(one, req("trainer-2", "ml/trainer-2"));
  REQUIRE_FALSE(second);
  CHECK(second.error().message() ==
        "service `trainer-2` reserves 1 GPU (nvidia); 0 of 1 free: GPU 0 held by `ml/trainer-1`");
  auto too_many = ledger.reserve(one, req("big", "ml/big", 2));
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().message() == "service `big` reserves 2 GPUs (nvidia); this host has 1 GPU");
  auto none = ledger.reserve({}, req("x", "ml/x"));
  REQUIRE_FALSE(none);
  CHECK(none.error().message() == "service `x` reserves 1 GPU (nvidia); this host has no GPU");
}

TEST_CASE("ledger: most free memory first, then lowest index") {
  auto root = TempDir::create("brick-ledger");
  REQUIRE(root);
  Ledger ledger(root->path());
  auto gpus = two_gpus();
  GpuInfo c;
  c.index = 2, c.uuid = "GPU-c", c.memory_free = 50;
  gpus.push_back(c);
  auto got = ledger.reserve(gpus, req("a", "p/a", 2));
  REQUIRE(got);
  CHECK(indexes(*got) == std::vector<unsigned>{0, 2});
}

TEST_CASE("ledger: device_ids pin, all takes every GPU") {
  auto root = TempDir::create("brick-ledger");
  REQUIRE(root);
  Ledger ledger(root->path());
  const auto gpus = two_gpus();
  GpuRequest pin = req("pinned", "p/pinned", std::nullopt);
  pin.device_ids = {"GPU-b"};
  auto pinned = ledger.reserve(gpus, pin);
  REQUIRE(pinned);
  CHECK(indexes(*pinned) == std::vector<unsigned>{1});
  GpuRequest pin2 = req("other", "p/other", std::nullopt);
  pin2.device_ids = {"1"};
  auto clash = ledger.reserve(gpus, pin2);
  REQUIRE_FALSE(clash);
  CHECK(clash.error().message() == "service `other` reserves GPU 1 (nvidia); GPU 1 held by `p/pinned`");
  pin2.device_ids = {"5"};
  auto missing = ledger.reserve(gpus, pin2);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() ==
        "service `other` reserves GPU `5` (nvidia); this host has no such GPU (it has GPU 0, 1)");
  auto all = ledger.reserve(gpus, req("everything", "p/everything", -1));
  REQUIRE_FALSE(all);
  CHECK(all.error().message() ==
        "service `everything` reserves all GPUs (nvidia); 1 of 2 free: GPU 1 held by `p/pinned`");
  REQUIRE(ledger.release("p/pinned"));
  auto all_now = ledger.reserve(gpus, req("everything", "p/everything", -1));
  REQUIRE(all_now);
  CHECK(indexes(*all_now) == std::vector<unsigned>{0, 1});
}

TEST_CASE("ledger: shared holders share, an exclusive one does not join them") {
  auto root = TempDir::create("brick-ledger");
  REQUIRE(root);
  Ledger ledger(root->path());
  std::vector<GpuInfo> one = {two_gpus()[0]};
  GpuRequest a = req("nb", "ml/nb"), b = req("trainer", "ml/trainer");
  a.shared = b.shared = true;
  REQUIRE(ledger.reserve(one, a));
  REQUIRE(ledger.reserve(one, b));
  auto exclusive = ledger.reserve(one, req("solo", "ml/solo"));
  REQUIRE_FALSE(exclusive);
  CHECK(exclusive.error().message() ==
        "service `solo` reserves 1 GPU (nvidia); 0 of 1 free: GPU 0 held by `ml/nb`, `ml/trainer`");
  CHECK(option_true("true"));
  CHECK(option_true("True"));
  CHECK_FALSE(option_true("false"));
}

TEST_CASE("ledger: stale holders are reclaimed through the liveness hook") {
  auto root = TempDir::create("brick-ledger");
  REQUIRE(root);
  Ledger ledger(root->path());
  const auto gpus = two_gpus();
  REQUIRE(ledger.reserve(gpus, req("a", "ml/a")));
  REQUIRE(ledger.reserve(gpus, req("b", "ml/b")));
  std::set<std::string> alive = {"ml/b"};
  auto is_alive = [&](const std::string& h) { return alive.contains(h); };
  auto got = ledger.reserve(gpus, req("c", "ml/c"), is_alive);
  REQUIRE(got);
  CHECK(indexes(*got) == std::vector<unsigned>{0});  // ml/a is gone
  alive = {"ml/c"};
  auto dropped = ledger.reclaim(is_alive);
  REQUIRE(dropped);
  CHECK(*dropped == std::vector<std::string>{"ml/b"});
  auto entries = ledger.entries();
  REQUIRE(entries);
  REQUIRE(entries->size() == 1);
  CHECK((*entries)[0].holder == "ml/c");
}

TEST_CASE("ledger: a corrupt ledger is an error naming it") {
  auto root = TempDir::create("brick-ledger");
  REQUIRE(root);
  Ledger ledger(root->path());
  REQUIRE(ledger.reserve(two_gpus(), req("a", "ml/a")));
  REQUIRE(write_file_atomic(ledger.path(), "{"));
  auto e = ledger.entries();
  REQUIRE_FALSE(e);
  CHECK(e.error().message().starts_with("GPU ledger `" + ledger.path() + "` is corrupt: "));
}

TEST_CASE("ledger: two processes at once never get the same GPU") {
  auto root = TempDir::create("brick-ledger");
  REQUIRE(root);
  std::vector<GpuInfo> one = {two_gpus()[0]};
  std::vector<pid_t> pids;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      Ledger ledger(root->path());
      auto got = ledger.reserve(one, req("s" + std::to_string(i), "p/s" + std::to_string(i)));
      ::_exit(got ? 0 : 1);
    }
    pids.push_back(pid);
  }
  int won = 0;
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    won += WEXITSTATUS(status) == 0;
  }
  CHECK(won == 1);
  auto entries = Ledger(root->path()).entries();
  REQUIRE(entries);
  CHECK(entries->size() == 1);
}

TEST_CASE("ledger: --gpus as docker reads it") {
  auto all = parse_gpus_flag("all");
  REQUIRE(all);
  CHECK(all->count == -1);
  auto two = parse_gpus_flag("2");
  REQUIRE(two);
  CHECK(two->count == 2);
  CHECK(two->capabilities == std::vector<std::string>{"gpu"});
  auto devices = parse_gpus_flag("\"device=0,GPU-b\",capabilities=utility");
  REQUIRE(devices);
  CHECK_FALSE(devices->count);
  CHECK(devices->device_ids == std::vector<std::string>{"0", "GPU-b"});
  CHECK(devices->capabilities == std::vector<std::string>{"utility"});
  auto counted = parse_gpus_flag("count=1,driver=nvidia");
  REQUIRE(counted);
  CHECK(counted->count == 1);
  auto zero = parse_gpus_flag("0");
  REQUIRE_FALSE(zero);
  CHECK(zero.error().message() == "invalid --gpus `0`: count `0` is not a positive number or `all`");
  auto unknown = parse_gpus_flag("count=1,colour=red");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message() == "invalid --gpus `count=1,colour=red`: unknown field `colour`");
  auto both = parse_gpus_flag("count=1,device=0");
  REQUIRE_FALSE(both);
  CHECK(both.error().message() == "invalid --gpus `count=1,device=0`: count and device cannot both be set");
}

TEST_CASE("ledger: a missing root is created, a request without a holder is refused") {
  auto root = TempDir::create("brick-ledger");
  REQUIRE(root);
  Ledger ledger(root->path() + "/fresh/root");
  REQUIRE(ledger.reserve(two_gpus(), req("a", "ml/a")));
  auto nobody = ledger.reserve(two_gpus(), req("b", ""));
  REQUIRE_FALSE(nobody);
  CHECK(nobody.error().message() == "service `b` reserves 1 GPU: no holder (project/container) given");
}
