// Container edits for chosen GPUs: nodes with the host's major/minor,
// libraries found through the ld.so cache, the environment; a CDI spec
// replacing all of it; clear failures.
#include "gpu/inject.hpp"

#include <stdio.h>

#include <catch2/catch.hpp>

#include "base/temp_dir.hpp"
#include "gpu/ld_cache.hpp"
#include "gpu_fixture.hpp"

using namespace brick;
using namespace brick::gpu;
using namespace brick::gpu::testing;

namespace {

constexpr uint32_t k64 = kLdFlagElfLibc6 | kLdFlagX8664;

// Two GPUs (minors 0 and 1), the control nodes, two driver libraries and
// nvidia-smi. False without root (mknod).
bool fake_driver(const std::string& root) {
  if (!make_node(root, "dev/nvidia0", kNvidiaMajor, 0)) return false;
  REQUIRE(make_node(root, "dev/nvidia1", kNvidiaMajor, 1));
  REQUIRE(make_node(root, "dev/nvidiactl", kNvidiaMajor, 255));
  REQUIRE(make_node(root, "dev/nvidia-uvm", 237, 0));
  const std::string lib = "/usr/lib/x86_64-linux-gnu/";
  put(root, "etc/ld.so.cache",
      ld_cache_bytes({{"libnvidia-ml.so.1", lib + "libnvidia-ml.so.1", k64},
                      {"libcuda.so.1", "/usr/lib/i386-linux-gnu/libcuda.so.1", kLdFlagElfLibc6},  // 32-bit: skipped
                      {"libcuda.so.1", lib + "libcuda.so.1", k64},
                      {"libcudart.so.12", lib + "libcudart.so.12", k64}}));
  put(root, "usr/bin/nvidia-smi", "#!/bin/sh\n");
  std::filesystem::permissions(root + "/usr/bin/nvidia-smi", std::filesystem::perms::owner_all);
  return true;
}

std::vector<GpuInfo> gpu1() {
  GpuInfo g;
  g.index = 1, g.minor = 1, g.uuid = "GPU-bbbb";
  return {g};
}

}  // namespace

TEST_CASE("inject: capabilities") {
  CHECK(*driver_capabilities({"gpu"}) == std::vector<std::string>{"compute", "utility"});
  CHECK(*driver_capabilities({}) == std::vector<std::string>{"compute", "utility"});
  CHECK(*driver_capabilities({"gpu", "utility"}) == std::vector<std::string>{"utility"});
  CHECK(driver_capabilities({"all"})->size() == 6);
  auto bad = driver_capabilities({"gpu", "tensor"});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() ==
        "unknown GPU capability `tensor` (known: gpu, all, compute, compat32, graphics, utility, video, display)");
}

TEST_CASE("inject: nodes, libraries, nvidia-smi and environment of the chosen GPU") {
  auto root = TempDir::create("brick-gpu");
  REQUIRE(root);
  if (!fake_driver(root->path())) return;
  auto edits = nvidia_edits(root->path(), gpu1(), {"gpu"});
  REQUIRE(edits);
  REQUIRE(edits->device_nodes.size() == 3);
  CHECK(edits->device_nodes[0].path == "/dev/nvidia1");
  CHECK(edits->device_nodes[0].host_path == root->path() + "/dev/nvidia1");
  CHECK(edits->device_nodes[0].major == 195);
  CHECK(edits->device_nodes[0].minor == 1);
  CHECK(edits->device_nodes[1].path == "/dev/nvidiactl");
  CHECK(edits->device_nodes[1].minor == 255);
  CHECK(edits->device_nodes[2].path == "/dev/nvidia-uvm");
  CHECK(edits->device_nodes[2].major == 237);
  std::vector<std::string> targets;
  for (const MountEdit& m : edits->mounts) {
    targets.push_back(m.container_path);
    CHECK(m.host_path == root->path() + m.container_path);
    CHECK(m.options == std::vector<std::string>{"ro", "nosuid", "nodev", "bind"});
  }
  CHECK(targets == std::vector<std::string>{"/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                                            "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "/usr/bin/nvidia-smi"});
  // Each library's directory once, for the container's ldconfig.
  CHECK(edits->ldconfig_dirs == std::vector<std::string>{"/usr/lib/x86_64-linux-gnu"});
  CHECK(edits->env == std::vector<std::string>{"NVIDIA_VISIBLE_DEVICES=GPU-bbbb",
                                               "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
                                               "CUDA_VISIBLE_DEVICES=GPU-bbbb"});
}

TEST_CASE("inject: missing pieces fail clearly") {
  auto root = TempDir::create("brick-gpu");
  REQUIRE(root);
  auto none = nvidia_edits(root->path(), {}, {"gpu"});
  REQUIRE_FALSE(none);
  CHECK(none.error().message() == "no GPU was reserved");
  auto no_node = nvidia_edits(root->path(), gpu1(), {"gpu"});
  REQUIRE_FALSE(no_node);
  CHECK(no_node.error().message() ==
        "GPU 1: NVIDIA device node `" + root->path() + "/dev/nvidia1`: No such file or directory");
  if (!fake_driver(root->path())) return;
  put(root->path(), "etc/ld.so.cache", ld_cache_bytes({{"libcuda.so.1", "/usr/lib/libcuda.so.1", k64}}));
  auto no_lib = nvidia_edits(root->path(), gpu1(), {"gpu"});
  REQUIRE_FALSE(no_lib);
  CHECK(no_lib.error().message() ==
        "NVIDIA driver library `libnvidia-ml.so` (for `utility`) is not in `" + root->path() + "/etc/ld.so.cache`");
}

TEST_CASE("inject: a CDI spec for nvidia.com/gpu replaces brick's own edits") {
  auto root = TempDir::create("brick-gpu");
  REQUIRE(root);
  if (!fake_driver(root->path())) return;
  put(root->path(), "var/run/cdi/nvidia.yaml", R"(cdiVersion: 0.6.0
kind: nvidia.com/gpu
devices:
  - name: GPU-bbbb
    containerEdits:
      deviceNodes: [{path: /dev/nvidia1}]
containerEdits:
  env: [NVIDIA_VISIBLE_DEVICES=void]
  deviceNodes: [{path: /dev/nvidiactl}]
  mounts: [{hostPath: /usr/bin/nvidia-smi, containerPath: /usr/bin/nvidia-smi, options: [ro, bind]}]
)");
  auto edits = gpu_edits(root->path(), gpu1(), {"gpu"});
  REQUIRE(edits);
  CHECK(edits->env == std::vector<std::string>{"NVIDIA_VISIBLE_DEVICES=void"});
  REQUIRE(edits->device_nodes.size() == 2);
  CHECK(edits->device_nodes[1].path == "/dev/nvidia1");
  CHECK(edits->device_nodes[1].major == 195);  // read from the host node
  CHECK(edits->device_nodes[1].minor == 1);
  REQUIRE(edits->mounts.size() == 1);
  CHECK(edits->mounts[0].host_path == root->path() + "/usr/bin/nvidia-smi");
}

TEST_CASE("ld.so.cache: the host's own cache reads as `ldconfig -p` lists it") {
  auto data = read_file("/etc/ld.so.cache");
  if (!data) {
    WARN("no /etc/ld.so.cache on this host");
    return;
  }
  auto parsed = parse_ld_cache(*data);
  REQUIRE(parsed);
  FILE* p = ::popen("ldconfig -p 2>/dev/null || /sbin/ldconfig -p", "r");
  REQUIRE(p != nullptr);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = ::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  ::pclose(p);
  auto listed = parse_ldconfig_output(text);
  REQUIRE_FALSE(listed.empty());
  REQUIRE(parsed->size() == listed.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    CHECK(parsed->at(i).name == listed[i].name);
    CHECK(parsed->at(i).path == listed[i].path);
  }
  auto libc = std::find_if(parsed->begin(), parsed->end(), [](const LdCacheEntry& e) { return e.name == "libc.so.6"; });
  REQUIRE(libc != parsed->end());
  CHECK((libc->flags & 0xff00) == native_ld_abi());
  CHECK_FALSE(parse_ld_cache("garbage"));
}
