#include "orchestrator/execute.hpp"

#include <sys/stat.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "base/catch_all.hpp"
#include "compose/graph.hpp"
#include "engine/spec_options.hpp"
#include "gpu/cdi.hpp"
#include "gpu/discovery.hpp"
#include "gpu/ledger.hpp"
#include "images/store.hpp"
#include "net/network.hpp"
#include "orchestrator/gpu_grant.hpp"
#include "orchestrator/records.hpp"
#include "orchestrator/release.hpp"
#include "orchestrator/slots.hpp"
#include "orchestrator/translate.hpp"
#include "runtime/container.hpp"
#include "volumes/volume_store.hpp"

namespace brick::orchestrator {
namespace {

using namespace std::chrono_literals;

// How a service's task ended: `root` failures are reported; a service left
// unstarted because a dependency failed is not (the dependency's error says why).
struct Outcome {
  bool ok = true;
  bool root = false;
  std::string error;
};

class Executor {
 public:
  Executor(const compose::Project& project, const Plan& plan, const ExecuteOptions& options,
           runtime::ContainerStore store, compose::ServiceGraph graph)
      : project_(project),
        plan_(plan),
        o_(options),
        store_(std::move(store)),
        graph_(std::move(graph)),
        slots_(options.parallel) {}

  Status run() {
    // Images first: a missing one fails `up` before it creates anything.
    BRICK_TRY(resolve_images());
    BRICK_TRY(check_containers());
    BRICK_TRY(networks());
    BRICK_TRY(volumes());
    for (const Step& s : plan_.steps)
      if (s.level < 0 && s.action == Action::remove_container)
        BRICK_TRY_CTX(remove(s.container_id, s.name), "removing orphan container `" + s.name + "`");
    std::vector<std::string> services;
    for (const Step& s : plan_.steps)
      if (s.level >= 0 && std::find(services.begin(), services.end(), s.service) == services.end())
        services.push_back(s.service);
    {
      std::vector<std::jthread> threads;
      for (const std::string& name : services) threads.emplace_back([this, name] { run_service(name); });
    }
    std::string errors;
    for (const std::string& name : services) {
      const Outcome& out = outcomes_.at(name);
      if (!out.ok && out.root) errors += (errors.empty() ? "" : "; ") + out.error;
    }
    if (!errors.empty()) return fail(errors);
    return {};
  }

 private:
  void emit(std::string kind, std::string name, std::string status, std::string detail = "") {
    if (o_.progress) o_.progress({std::move(kind), std::move(name), std::move(status), std::move(detail)});
  }

  Status networks() {
    std::shared_ptr<net::NetworkHost> host;
    std::optional<net::NetworkStore> store;
    for (const Step& s : plan_.steps) {
      if (s.action != Action::create_network) continue;
      if (!store) {
        host = net::kernel_host(o_.run_root);
        store = BRICK_TRY(net::NetworkStore::open(o_.root, host));
      }
      compose::Network fallback;
      fallback.key = s.name.substr(std::min(s.name.size(), project_.name.size() + 1));
      fallback.name = s.name;
      const compose::Network* decl = &fallback;
      for (const auto& [key, n] : project_.networks)
        if (n.name == s.name) decl = &n;
      net::NetworkSpec spec = BRICK_TRY_CTX(network_spec(project_, *decl), "creating network `" + s.name + "`");
      BRICK_TRY_CTX(store->create(spec), "creating network `" + s.name + "`");
      emit("Network", s.name, "Created");
    }
    // The project's networks that already have a record: one left by a
    // brick killed mid-create has no bridge yet, and gets it now.
    std::set<std::string> used;
    for (const Step& s : plan_.steps)
      if (s.action == Action::create_container || s.action == Action::recreate_container)
        for (const NetworkAttachment& a : BRICK_TRY(desired(s)).networks) used.insert(a.name);
    if (used.empty() || !std::filesystem::exists(o_.root + "/networks")) return {};
    if (!store) store = BRICK_TRY(net::NetworkStore::open(o_.root, net::kernel_host(o_.run_root)));
    for (const std::string& name : used)
      if (store->get(name)) BRICK_TRY(store->ensure(name));
    return {};
  }

  Status volumes() {
    std::optional<volumes::VolumeStore> store;
    for (const Step& s : plan_.steps) {
      if (s.action != Action::create_volume) continue;
      if (!store) store = BRICK_TRY(volumes::VolumeStore::open(o_.root));
      volumes::Options opts, labels;
      for (const auto& [key, v] : project_.volumes) {
        if (v.name != s.name) continue;
        if (v.driver && *v.driver != "local")
          return fail("volume `" + key + "`: driver `" + *v.driver + "` is not supported (only local)");
        opts = v.driver_opts;
        labels = v.labels;
        labels[std::string(kVolumeLabel)] = key;
      }
      labels[std::string(kProjectLabel)] = project_.name;
      labels[std::string(kVersionLabel)] = o_.version;
      BRICK_TRY_CTX(store->create(s.name, opts, labels), "creating volume `" + s.name + "`");
      emit("Volume", "\"" + s.name + "\"", "Created");
    }
    return {};
  }

  // The images of every service the plan creates a container for, resolved
  // once here: the store is not shared between threads.
  Status resolve_images() {
    std::optional<images::Store> store;
    for (const Step& s : plan_.steps) {
      if (s.action != Action::create_container && s.action != Action::recreate_container) continue;
      if (images_.contains(s.service)) continue;
      const compose::Service& svc = *project_.service(s.service);
      if (!svc.image)
        return fail("service `" + s.service + "` has no image: building images is not supported by compose up yet");
      if (!store) store = BRICK_TRY(images::Store::open(o_.root));
      images::ImageInfo info = BRICK_TRY_CTX(store->resolve(*svc.image), "service `" + s.service + "`");
      images_.emplace(s.service, std::move(info));
    }
    return {};
  }

  Status remove(const std::string& id, const std::string& name) {
    SlotGuard slot(slots_);
    auto state = runtime::observe_container(store_, id);
    if (!state) return {};  // already gone
    if (state->running()) {
      emit("Container", name, "Stopping");
      BRICK_TRY(runtime::stop_container(store_, id, 0, o_.timeout));
    }
    BRICK_TRY(runtime::remove_container(store_, id, true));
    BRICK_TRY_CTX(release_container(o_.root, o_.run_root, *state), "container `" + name + "`");
    emit("Container", name, "Removed");
    return {};
  }

  // Every container the plan makes, translated before anything is created:
  // a service brick cannot run as asked fails `up` with nothing changed.
  // Device mappings are checked here too; GPUs only at create, where the
  // ledger decides (its refusal names the holders).
  Status check_containers() {
    for (const Step& s : plan_.steps)
      if (s.action == Action::create_container || s.action == Action::recreate_container) {
        DesiredContainer d = BRICK_TRY(desired(s));
        runtime::ContainerSpec scratch;
        BRICK_TRY_CTX(engine::with_devices(scratch, d.devices), "service `" + d.service + "`");
        BRICK_TRY(check_gpus(d));
      }
    return {};
  }

  // A host without any GPU, or without the CDI devices named, fails up
  // before anything exists; who gets which GPU is the ledger's call later.
  Status check_gpus(const DesiredContainer& d) {
    if (!d.gpus.empty()) {
      if (!host_gpus_) host_gpus_ = BRICK_TRY(gpu::discover_gpus(gpu::host_root())).gpus.size();
      if (*host_gpus_ == 0)
        return fail("service `" + d.service +
                    "` reserves a GPU, but this host has none (no NVML, no /proc/driver/nvidia, no /dev/nvidia*)");
    }
    if (!d.cdi_devices.empty()) {
      gpu::CdiRegistry registry = BRICK_TRY(gpu::CdiRegistry::load(gpu::host_root()));
      BRICK_TRY_CTX(registry.resolve(d.cdi_devices), "service `" + d.service + "`");
    }
    return {};
  }

  // GPUs reserved under the container's holder (`project/name`, known now)
  // and device mappings, written into the new record's spec. A failure
  // removes the record: nothing of the container is left.
  Status grant_devices(const DesiredContainer& d, runtime::ContainerState& state) {
    std::lock_guard ledger_lock(gpu_mu_);  // one reservation at a time among this up's tasks
    return grant_container_devices(o_.root, o_.run_root, store_, d, state);
  }

  Result<DesiredContainer> desired(const Step& step) {
    const images::ImageInfo& image = images_.at(step.service);
    TranslateInput in;
    in.project = &project_;
    in.service = project_.service(step.service);
    in.image = &image.config;
    in.image_id = image.id;
    in.number = step.number;
    in.hard_limits = host_hard_limits();
    in.version = o_.version;
    return translate(in);
  }

  // `old`: the container this one replaces, whose anonymous volumes it keeps.
  Result<std::string> create(const Step& step, const runtime::ContainerState* old = nullptr) {
    DesiredContainer d = BRICK_TRY(desired(step));
    for (const std::string& w : d.warnings) emit("Warning", "container `" + d.name + "`: " + w, "");
    std::vector<std::string> kept;
    if (old && !o_.renew_anon_volumes) kept = keep_anonymous_volumes(*old, d);
    runtime::CreateOptions options = create_options(project_, d);
    options.anonymous_volumes = kept;
    options.layers = images_.at(step.service).layer_dirs;
    SlotGuard slot(slots_);
    runtime::ContainerState state = BRICK_TRY(runtime::create_container(store_, options));
    BRICK_TRY(grant_devices(d, state));
    return state.id;
  }

  Status start(const std::string& id, const std::string& name) {
    SlotGuard slot(slots_);
    runtime::StartOptions so;
    so.monitor_binary = o_.monitor_binary;
    runtime::StartResult r = BRICK_TRY(runtime::start_container(store_, id, so));
    if (r.code != 0) return fail(r.error.empty() ? "exited with code " + std::to_string(r.code) : r.error);
    emit("Container", name, "Started");
    return {};
  }

  // Blocks until every dependency of `service` in this plan has finished its
  // task; fails when a required one failed.
  Status wait_for_tasks(const std::string& service) {
    const compose::Service& s = *project_.service(service);
    std::unique_lock lock(mu_);
    for (const std::string& dep : graph_.dependencies(service)) {
      if (!planned(dep)) continue;
      cv_.wait(lock, [&] { return outcomes_.contains(dep); });
      if (outcomes_.at(dep).ok) continue;
      auto edge = s.depends_on.find(dep);
      if (edge != s.depends_on.end() && !edge->second.required) continue;
      return fail("dependency `" + dep + "` failed");
    }
    return {};
  }

  bool planned(const std::string& service) const {
    return std::any_of(plan_.steps.begin(), plan_.steps.end(),
                       [&](const Step& s) { return s.level >= 0 && s.service == service; });
  }

  // compose's waitDependencies: every container of each dependency meets
  // the edge's condition. A non-required dependency that fails is a warning.
  Status wait_for_conditions(const std::string& service) {
    const compose::Service& s = *project_.service(service);
    for (const auto& [dep, edge] : s.depends_on) {
      if (!project_.services.contains(dep)) {
        if (edge.required) return fail("dependency `" + dep + "` is not an active service");
        continue;
      }
      std::map<std::string, std::string> labels = {{std::string(kProjectLabel), project_.name},
                                                   {std::string(kServiceLabel), dep},
                                                   {std::string(kOneoffLabel), "False"}};
      std::vector<runtime::ContainerState> containers = BRICK_TRY(store_.list_by_labels(labels));
      if (containers.empty()) {
        if (!edge.required || o_.no_deps) continue;
        return fail("dependency `" + dep + "` has no container");
      }
      for (const runtime::ContainerState& c : containers) {
        Status met = wait_for_condition(c, edge.condition);
        if (!met && !edge.required) {
          emit("Container", c.name, "Warning", met.error().full());
          continue;
        }
        BRICK_TRY_CTX(std::move(met), "service `" + dep + "`");
      }
    }
    return {};
  }

  Status wait_for_condition(const runtime::ContainerState& c, const std::string& condition) {
    auto deadline = std::chrono::steady_clock::now() + o_.dependency_timeout;
    for (;;) {
      runtime::ContainerState now = BRICK_TRY(runtime::observe_container(store_, c.id));
      ConditionCheck check = check_condition(condition, now);
      if (check.readiness == Readiness::failed) return fail(check.reason);
      if (check.readiness == Readiness::ready) {
        if (condition == "service_healthy") report_once(c.name, "Healthy");
        if (condition == "service_completed_successfully") report_once(c.name, "Exited");
        return {};
      }
      if (std::chrono::steady_clock::now() > deadline)
        return fail("timed out after " + std::to_string(o_.dependency_timeout.count()) + "s waiting for " + condition);
      std::this_thread::sleep_for(100ms);
    }
  }

  void report_once(const std::string& name, const std::string& status) {
    {
      std::lock_guard lock(mu_);
      if (!reported_.insert(name + "\n" + status).second) return;
    }
    emit("Container", name, status);
  }

  // One service's steps, in the plan's order: scale-down removals,
  // recreations and creations, then (after its dependencies are met) starts.
  void run_service(const std::string& service) {
    Outcome out;
    // On its own thread: an exception would end brick with std::terminate.
    Status done = catch_all([&] { return service_steps(service, out.root); });
    if (!done) {
      out.ok = false;
      out.error = done.error().full();
    }
    {
      std::lock_guard lock(mu_);
      outcomes_[service] = std::move(out);
    }
    cv_.notify_all();
  }

  Status service_steps(const std::string& service, bool& root) {
    root = false;
    BRICK_TRY(wait_for_tasks(service));
    root = true;
    std::map<std::string, std::string> ids;  // container name → id, for the starts
    bool waited = false;
    for (const Step& s : plan_.steps) {
      if (s.level < 0 || s.service != service) continue;
      std::string what = "service `" + service + "`";
      switch (s.action) {
        case Action::remove_container:
          BRICK_TRY_CTX(remove(s.container_id, s.name), what + ": removing `" + s.name + "`");
          break;
        case Action::recreate_container: {
          auto old = store_.load(s.container_id);
          BRICK_TRY_CTX(remove(s.container_id, s.name), what + ": recreating `" + s.name + "`");
          // Best effort: a volume that will not go is reported, not fatal.
          if (old && o_.renew_anon_volumes)
            for (const Error& e : volumes::remove_volumes(o_.root, old->anonymous_volumes))
              emit("Container", s.name, "Warning", e.full());
          ids[s.name] = BRICK_TRY_CTX(create(s, old ? &*old : nullptr), what + ": recreating `" + s.name + "`");
          emit("Container", s.name, "Recreated");
          break;
        }
        case Action::create_container:
          ids[s.name] = BRICK_TRY_CTX(create(s), what + ": creating `" + s.name + "`");
          emit("Container", s.name, "Created");
          break;
        case Action::start_container: {
          if (!waited) {
            BRICK_TRY_CTX(wait_for_conditions(service), what);
            waited = true;
          }
          std::string id = !s.container_id.empty() ? s.container_id : ids[s.name];
          if (auto started = start(id, s.name); !started) {
            emit("Container", s.name, "Error", started.error().full());
            return fail(std::move(started).error().context(what + ": starting `" + s.name + "`"));
          }
          break;
        }
        default: break;
      }
    }
    return {};
  }

  const compose::Project& project_;
  const Plan& plan_;
  const ExecuteOptions& o_;
  runtime::ContainerStore store_;
  compose::ServiceGraph graph_;
  Slots slots_;
  std::map<std::string, images::ImageInfo> images_;
  std::mutex mu_;
  std::mutex gpu_mu_;
  std::optional<size_t> host_gpus_;  // how many GPUs discovery finds, once asked
  std::condition_variable cv_;
  std::map<std::string, Outcome> outcomes_;
  std::set<std::string> reported_;
};

}  // namespace

Status execute(const compose::Project& project, const Plan& plan, const ExecuteOptions& options) {
  runtime::ContainerStore store = BRICK_TRY(runtime::ContainerStore::open(options.root, options.run_root));
  compose::ServiceGraph graph = BRICK_TRY(compose::ServiceGraph::build(project));
  Executor executor(project, plan, options, std::move(store), std::move(graph));
  return executor.run();
}

Result<FileLock> lock_project(const std::string& run_root, const std::string& project) {
  std::string dir = run_root + "/compose";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Error("creating `" + dir + "`", ec.value()));
  return BRICK_TRY_CTX(FileLock::acquire(dir + "/" + project + ".lock"), "locking project `" + project + "`");
}

}  // namespace brick::orchestrator
