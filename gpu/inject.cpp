#include "gpu/inject.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <map>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "gpu/cdi.hpp"
#include "gpu/ld_cache.hpp"

namespace brick::gpu {

namespace {

const std::vector<std::string> kAllCapabilities = {"compute", "compat32", "graphics", "utility", "video", "display"};

// The driver's libraries per capability, as nvidia-container-toolkit lists
// them (libnvidia-container's src/nvc_info.c). Missing ones are skipped
// except the first of compute and utility, without which the GPU is useless.
const std::map<std::string, std::vector<std::string>> kLibraries = {
    {"utility", {"libnvidia-ml.so", "libnvidia-cfg.so"}},
    {"compute",
     {"libcuda.so", "libcudadebugger.so", "libnvidia-opencl.so", "libnvidia-ptxjitcompiler.so",
      "libnvidia-fatbinaryloader.so", "libnvidia-allocator.so", "libnvidia-compiler.so", "libnvidia-nvvm.so",
      "libnvidia-gpucomp.so"}},
    {"video", {"libvdpau_nvidia.so", "libnvidia-encode.so", "libnvidia-opticalflow.so", "libnvcuvid.so"}},
    {"graphics",
     {"libnvidia-eglcore.so", "libnvidia-glcore.so", "libnvidia-tls.so", "libnvidia-glsi.so", "libnvidia-fbc.so",
      "libnvidia-ifr.so", "libnvidia-rtcore.so", "libnvoptix.so", "libGLX_nvidia.so", "libEGL_nvidia.so",
      "libGLESv2_nvidia.so", "libGLESv1_CM_nvidia.so", "libnvidia-glvkspirv.so"}},
};
const std::vector<std::string> kUtilityBinaries = {"nvidia-smi", "nvidia-debugdump", "nvidia-persistenced"};
const std::vector<std::string> kComputeBinaries = {"nvidia-cuda-mps-control", "nvidia-cuda-mps-server"};

Result<DeviceNode> node_from_host(const std::string& root, const std::string& path) {
  const std::string host = under_root(root, path);
  struct stat st {};
  if (::stat(host.c_str(), &st) < 0) return fail_errno("NVIDIA device node `" + host + "`");
  if (!S_ISCHR(st.st_mode)) return fail("NVIDIA device node `" + host + "` is not a character device");
  DeviceNode node;
  node.path = path;
  node.host_path = host;
  node.type = 'c';
  node.major = major(st.st_rdev);
  node.minor = minor(st.st_rdev);
  node.file_mode = 0666;
  return node;
}

MountEdit read_only_bind(const std::string& root, const std::string& path) {
  return MountEdit{under_root(root, path), path, "bind", {"ro", "nosuid", "nodev", "bind"}};
}

std::string ids_of(const std::vector<GpuInfo>& chosen, bool uuid) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < chosen.size(); ++i)
    ids.push_back(uuid && !chosen[i].uuid.empty() ? chosen[i].uuid : std::to_string(uuid ? chosen[i].index : i));
  return join(ids, ",");
}

}  // namespace

Result<std::vector<std::string>> driver_capabilities(const std::vector<std::string>& capabilities) {
  std::vector<std::string> out;
  for (const std::string& c : capabilities) {
    if (c == "gpu") continue;
    if (c == "all") return kAllCapabilities;
    if (std::find(kAllCapabilities.begin(), kAllCapabilities.end(), c) == kAllCapabilities.end())
      return fail("unknown GPU capability `" + c + "` (known: gpu, all, " + join(kAllCapabilities, ", ") + ")");
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  if (out.empty()) out = {"compute", "utility"};
  return out;
}

Result<ContainerEdits> nvidia_edits(const std::string& root, const std::vector<GpuInfo>& chosen,
                                    const std::vector<std::string>& capabilities) {
  if (chosen.empty()) return fail("no GPU was reserved");
  const std::vector<std::string> caps = BRICK_TRY(driver_capabilities(capabilities));
  auto has = [&](std::string_view c) { return std::find(caps.begin(), caps.end(), c) != caps.end(); };
  ContainerEdits out;
  for (const GpuInfo& g : chosen) {
    const int minor = g.minor >= 0 ? g.minor : static_cast<int>(g.index);
    DeviceNode node =
        BRICK_TRY_CTX(node_from_host(root, "/dev/nvidia" + std::to_string(minor)), "GPU " + std::to_string(g.index));
    out.device_nodes.push_back(std::move(node));
  }
  out.device_nodes.push_back(BRICK_TRY_CTX(node_from_host(root, "/dev/nvidiactl"), "the NVIDIA driver"));
  for (const char* optional : {"/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"})
    if (::access(under_root(root, optional).c_str(), F_OK) == 0)
      out.device_nodes.push_back(BRICK_TRY(node_from_host(root, optional)));

  const std::string cache_path = under_root(root, "/etc/ld.so.cache");
  std::string data = BRICK_TRY_CTX(read_file(cache_path), "finding the NVIDIA driver libraries");
  std::vector<LdCacheEntry> cache = BRICK_TRY_CTX(parse_ld_cache(data), "`" + cache_path + "`");
  const uint32_t abi = native_ld_abi();
  for (const std::string& cap : caps) {
    auto libs = kLibraries.find(cap);
    if (libs == kLibraries.end()) continue;
    for (size_t i = 0; i < libs->second.size(); ++i) {
      const std::string& lib = libs->second[i];
      auto it = std::find_if(cache.begin(), cache.end(), [&](const LdCacheEntry& e) {
        return (e.flags & 0xff00) == abi && e.name.starts_with(lib) &&
               (e.name.size() == lib.size() || e.name[lib.size()] == '.');
      });
      if (it == cache.end()) {
        if (i == 0 && (cap == "compute" || cap == "utility"))
          return fail("NVIDIA driver library `" + lib + "` (for `" + cap + "`) is not in `" + cache_path + "`");
        continue;
      }
      MountEdit m = read_only_bind(root, it->path);
      if (std::find(out.mounts.begin(), out.mounts.end(), m) == out.mounts.end()) out.mounts.push_back(std::move(m));
      const std::string dir = it->path.substr(0, it->path.rfind('/'));
      if (!dir.empty() && std::find(out.ldconfig_dirs.begin(), out.ldconfig_dirs.end(), dir) == out.ldconfig_dirs.end())
        out.ldconfig_dirs.push_back(dir);
    }
  }
  auto bind_binaries = [&](const std::vector<std::string>& names) {
    for (const std::string& name : names)
      for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/bin/"})
        if (::access(under_root(root, dir + name).c_str(), X_OK) == 0) {
          out.mounts.push_back(read_only_bind(root, dir + name));
          break;
        }
  };
  if (has("utility")) bind_binaries(kUtilityBinaries);
  if (has("compute")) bind_binaries(kComputeBinaries);

  out.env = {"NVIDIA_VISIBLE_DEVICES=" + ids_of(chosen, true), "NVIDIA_DRIVER_CAPABILITIES=" + join(caps, ","),
             "CUDA_VISIBLE_DEVICES=" + ids_of(chosen, true)};
  return out;
}

Result<ContainerEdits> gpu_edits(const std::string& root, const std::vector<GpuInfo>& chosen,
                                 const std::vector<std::string>& capabilities) {
  if (chosen.empty()) return fail("no GPU was reserved");
  CdiRegistry cdi = BRICK_TRY(CdiRegistry::load(root));
  const std::vector<std::string> known = cdi.device_names();
  std::vector<std::string> names;
  for (const GpuInfo& g : chosen) {
    std::string by_uuid = "nvidia.com/gpu=" + g.uuid, by_index = "nvidia.com/gpu=" + std::to_string(g.index);
    if (!g.uuid.empty() && std::find(known.begin(), known.end(), by_uuid) != known.end())
      names.push_back(by_uuid);
    else if (std::find(known.begin(), known.end(), by_index) != known.end())
      names.push_back(by_index);
  }
  if (names.empty()) return nvidia_edits(root, chosen, capabilities);
  if (names.size() != chosen.size())
    return fail("the CDI specs define only some of the reserved GPUs as nvidia.com/gpu devices");
  // The spec decides everything, the environment included (NVIDIA's own
  // specs set NVIDIA_VISIBLE_DEVICES=void so no legacy hook acts again).
  (void)capabilities;
  return cdi.resolve(names);
}

}  // namespace brick::gpu
