#include "gpu/discovery.hpp"

#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "gpu/cdi.hpp"

namespace brick::gpu {

namespace {

// The few NVML entry points brick calls, with their C signatures (nvml.h).
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr nvmlReturn_t kNvmlNotSupported = 3;

struct Nvml {
  nvmlReturn_t (*init)();
  nvmlReturn_t (*shutdown)();
  const char* (*error_string)(nvmlReturn_t);
  nvmlReturn_t (*count)(unsigned*);
  nvmlReturn_t (*handle)(unsigned, nvmlDevice_t*);
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned);
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned);
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*);
  nvmlReturn_t (*minor_number)(nvmlDevice_t, unsigned*);
  nvmlReturn_t (*mig_mode)(nvmlDevice_t, unsigned*, unsigned*);
  nvmlReturn_t (*driver_version)(char*, unsigned);
};

struct DlClose {
  void operator()(void* h) const { ::dlclose(h); }
};

// Where libnvidia-ml.so.1 lives under a fake root; on the real root the
// dynamic loader's own search (ld.so.cache) finds it.
const char* const kLibDirs[] = {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
                                "/lib/x86_64-linux-gnu",     "/lib64",     "/lib",
                                "/usr/lib/aarch64-linux-gnu"};

std::string field(std::string_view text, std::string_view key) {
  for (const std::string& line : split(text, '\n')) {
    std::string_view l = line;
    if (!l.starts_with(key)) continue;
    l.remove_prefix(key.size());
    l = trim(l);
    if (!l.starts_with(':')) continue;
    return std::string(trim(l.substr(1)));
  }
  return "";
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string host_root() {
  const char* env = ::getenv("BRICK_HOST_ROOT");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("/");
}

Result<Discovery> discover_nvml(const std::string& root) {
  std::unique_ptr<void, DlClose> lib;
  std::string tried;
  if (root.empty() || root == "/") {
    lib.reset(::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL));
    tried = "libnvidia-ml.so.1";
  } else {
    for (const char* dir : kLibDirs) {
      std::string path = under_root(root, std::string(dir) + "/libnvidia-ml.so.1");
      if (::access(path.c_str(), F_OK) != 0) continue;
      tried = path;
      lib.reset(::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
      break;
    }
    if (tried.empty()) return fail("no libnvidia-ml.so.1 under `" + root + "`");
  }
  if (!lib) {
    const char* why = ::dlerror();
    return fail("loading `" + tried + "`: " + (why ? why : "unknown error"));
  }
  Nvml api{};
  auto sym = [&](auto& fn, const char* name) -> Status {
    void* p = ::dlsym(lib.get(), name);
    if (p == nullptr) return fail("`" + tried + "` has no `" + name + "`");
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
    return {};
  };
  BRICK_TRY(sym(api.init, "nvmlInit_v2"));
  BRICK_TRY(sym(api.shutdown, "nvmlShutdown"));
  BRICK_TRY(sym(api.error_string, "nvmlErrorString"));
  BRICK_TRY(sym(api.count, "nvmlDeviceGetCount_v2"));
  BRICK_TRY(sym(api.handle, "nvmlDeviceGetHandleByIndex_v2"));
  BRICK_TRY(sym(api.uuid, "nvmlDeviceGetUUID"));
  BRICK_TRY(sym(api.name, "nvmlDeviceGetName"));
  BRICK_TRY(sym(api.memory, "nvmlDeviceGetMemoryInfo"));
  BRICK_TRY(sym(api.minor_number, "nvmlDeviceGetMinorNumber"));
  BRICK_TRY(sym(api.mig_mode, "nvmlDeviceGetMigMode"));
  BRICK_TRY(sym(api.driver_version, "nvmlSystemGetDriverVersion"));

  auto check = [&](nvmlReturn_t rc, const std::string& what) -> Status {
    if (rc == kNvmlSuccess) return {};
    const char* s = api.error_string(rc);
    return fail("NVML " + what + ": " + (s ? s : "error " + std::to_string(rc)));
  };
  BRICK_TRY(check(api.init(), "nvmlInit"));
  struct Shutdown {
    Nvml& api;
    ~Shutdown() { api.shutdown(); }
  } shutdown{api};

  Discovery out;
  out.method = "nvml";
  char buf[256] = {};
  BRICK_TRY(check(api.driver_version(buf, sizeof buf), "reading the driver version"));
  out.driver_version = buf;
  unsigned count = 0;
  BRICK_TRY(check(api.count(&count), "counting devices"));
  for (unsigned i = 0; i < count; ++i) {
    const std::string gpu = "GPU " + std::to_string(i);
    nvmlDevice_t dev = nullptr;
    BRICK_TRY(check(api.handle(i, &dev), gpu + ": getting its handle"));
    GpuInfo info;
    info.index = i;
    buf[0] = '\0';
    BRICK_TRY(check(api.uuid(dev, buf, sizeof buf), gpu + ": reading its UUID"));
    info.uuid = buf;
    buf[0] = '\0';
    BRICK_TRY(check(api.name(dev, buf, sizeof buf), gpu + ": reading its name"));
    info.name = buf;
    nvmlMemory_t mem{};
    BRICK_TRY(check(api.memory(dev, &mem), gpu + ": reading its memory"));
    info.memory_total = mem.total;
    info.memory_free = mem.free;
    unsigned minor_number = i;
    BRICK_TRY(check(api.minor_number(dev, &minor_number), gpu + ": reading its minor number"));
    info.minor = static_cast<int>(minor_number);
    unsigned current = 0, pending = 0;
    nvmlReturn_t rc = api.mig_mode(dev, &current, &pending);
    if (rc != kNvmlNotSupported) BRICK_TRY(check(rc, gpu + ": reading its MIG mode"));
    info.mig_enabled = rc == kNvmlSuccess && current == 1;
    out.gpus.push_back(std::move(info));
  }
  return out;
}

Result<Discovery> discover_procfs(const std::string& root) {
  Discovery out;
  const std::string dir = under_root(root, "/proc/driver/nvidia/gpus");
  if (!is_dir(dir)) return fail("no `" + dir + "`");
  out.method = "procfs";
  if (auto version = read_file(under_root(root, "/proc/driver/nvidia/version"))) {
    // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 ..."
    std::vector<std::string> words;
    for (const std::string& w : split(*version, ' '))
      if (!w.empty()) words.push_back(w);
    for (size_t i = 0; i + 1 < words.size(); ++i)
      if (words[i] == "Module") out.driver_version = words[i + 1];
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return fail_errno("reading `" + dir + "`");
  std::vector<std::string> buses;
  while (struct dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') buses.push_back(e->d_name);
  ::closedir(d);
  // nvidia-smi's default order (CUDA_DEVICE_ORDER=PCI_BUS_ID) is the bus order.
  std::sort(buses.begin(), buses.end());
  for (const std::string& bus : buses) {
    const std::string file = dir + "/" + bus + "/information";
    std::string text = BRICK_TRY_CTX(read_file(file), "discovering GPUs");
    GpuInfo info;
    info.index = static_cast<unsigned>(out.gpus.size());
    info.name = field(text, "Model");
    info.uuid = field(text, "GPU UUID");
    info.pci_bus_id = field(text, "Bus Location");
    if (info.pci_bus_id.empty()) info.pci_bus_id = bus;
    std::string minor = field(text, "Device Minor");
    int m = -1;
    auto [p, ec] = std::from_chars(minor.data(), minor.data() + minor.size(), m);
    if (ec != std::errc() || p != minor.data() + minor.size() || m < 0)
      return fail("`" + file + "`: no valid `Device Minor` line");
    info.minor = m;
    if (info.name.empty()) return fail("`" + file + "`: no `Model` line");
    out.gpus.push_back(std::move(info));
  }
  return out;
}

Result<Discovery> discover_dev(const std::string& root) {
  Discovery out;
  out.method = "dev";
  const std::string dir = under_root(root, "/dev");
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return fail_errno("reading `" + dir + "`");
  std::vector<int> minors;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.starts_with("nvidia") || name.size() == 6) continue;
    std::string_view digits = name.substr(6);
    if (digits.find_first_not_of("0123456789") != std::string_view::npos) continue;
    struct stat st {};
    const std::string path = dir + "/" + std::string(name);
    if (::stat(path.c_str(), &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != kNvidiaMajor) continue;
    minors.push_back(static_cast<int>(minor(st.st_rdev)));
  }
  ::closedir(d);
  std::sort(minors.begin(), minors.end());
  for (int m : minors) {
    GpuInfo info;
    info.index = static_cast<unsigned>(out.gpus.size());
    info.minor = m;
    info.name = "NVIDIA GPU (model unknown)";
    out.gpus.push_back(std::move(info));
  }
  return out;
}

Result<Discovery> discover_gpus(const std::string& root) {
  auto nvml = discover_nvml(root);
  if (nvml) return nvml;
  std::string why = nvml.error().message();
  Result<Discovery> fallback = discover_procfs(root);
  if (!fallback && is_dir(under_root(root, "/proc/driver/nvidia/gpus"))) return fallback;  // present but broken
  if (!fallback) fallback = discover_dev(root);
  if (!fallback) {
    Discovery none;
    none.method = "none";
    none.nvml_error = why;
    return none;
  }
  if (fallback->gpus.empty()) fallback->method = "none";
  fallback->nvml_error = why;
  return fallback;
}

}  // namespace brick::gpu
