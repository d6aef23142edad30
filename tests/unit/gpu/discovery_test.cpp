// GPU discovery against fake host roots: the fake NVML library, the procfs
// fallback and the /dev fallback.
#include "gpu/discovery.hpp"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "base/temp_dir.hpp"
#include "gpu_fixture.hpp"

using namespace brick;
using namespace brick::gpu;
using namespace brick::gpu::testing;

namespace {

struct EnvVar {
  std::string name;
  EnvVar(std::string n, const std::string& value) : name(std::move(n)) { ::setenv(name.c_str(), value.c_str(), 1); }
  ~EnvVar() { ::unsetenv(name.c_str()); }
};

void install_fake_nvml(const std::string& root) {
  std::filesystem::create_directories(root + "/usr/lib/x86_64-linux-gnu");
  std::filesystem::copy_file(BRICK_FAKE_NVML, root + "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1");
}

const char* kInfo0 =
    "Model: \t\t NVIDIA A100-SXM4-40GB\nIRQ:   \t\t 34\nGPU UUID: \t GPU-aaaa\nVideo BIOS: \t 92.00.19.00.01\n"
    "Bus Type: \t PCIe\nBus Location: \t 0000:07:00.0\nDevice Minor: \t 0\nGPU Excluded:\t No\n";
const char* kInfo1 =
    "Model: \t\t NVIDIA A100-SXM4-40GB\nGPU UUID: \t GPU-bbbb\nBus Location: \t 0000:0f:00.0\nDevice Minor: \t 3\n";

}  // namespace

TEST_CASE("discovery: NVML through the library under the host root") {
  auto root = TempDir::create("brick-gpu");
  REQUIRE(root);
  install_fake_nvml(root->path());
  put(root->path(), "gpus.txt",
      "GPU-1111|NVIDIA H100 80GB HBM3|85899345920|85000000000|0|0\nGPU-2222|NVIDIA H100 80GB HBM3|85899345920|"
      "1000|1|1\n");
  EnvVar env("FAKE_NVML_GPUS", root->path() + "/gpus.txt");
  auto found = discover_gpus(root->path());
  REQUIRE(found);
  CHECK(found->method == "nvml");
  CHECK(found->driver_version == "535.00.00");
  REQUIRE(found->gpus.size() == 2);
  CHECK(found->gpus[0].index == 0);
  CHECK(found->gpus[0].uuid == "GPU-1111");
  CHECK(found->gpus[0].name == "NVIDIA H100 80GB HBM3");
  CHECK(found->gpus[0].memory_total == 85899345920ull);
  CHECK(found->gpus[0].memory_free == 85000000000ull);
  CHECK_FALSE(found->gpus[0].mig_enabled);
  CHECK(found->gpus[1].mig_enabled);
  CHECK(found->gpus[1].minor == 1);
}

TEST_CASE("discovery: an NVML that cannot initialise falls back to procfs") {
  auto root = TempDir::create("brick-gpu");
  REQUIRE(root);
  install_fake_nvml(root->path());  // FAKE_NVML_GPUS unset: "Driver Not Loaded"
  put(root->path(), "proc/driver/nvidia/gpus/0000:0f:00.0/information", kInfo1);
  put(root->path(), "proc/driver/nvidia/gpus/0000:07:00.0/information", kInfo0);
  put(root->path(), "proc/driver/nvidia/version",
      "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n");
  auto found = discover_gpus(root->path());
  REQUIRE(found);
  CHECK(found->method == "procfs");
  CHECK(found->nvml_error == "NVML nvmlInit: Driver Not Loaded");
  CHECK(found->driver_version == "535.104.05");
  REQUIRE(found->gpus.size() == 2);
  CHECK(found->gpus[0].uuid == "GPU-aaaa");  // bus order, not directory order
  CHECK(found->gpus[0].name == "NVIDIA A100-SXM4-40GB");
  CHECK(found->gpus[0].pci_bus_id == "0000:07:00.0");
  CHECK(found->gpus[1].index == 1);
  CHECK(found->gpus[1].minor == 3);

  put(root->path(), "proc/driver/nvidia/gpus/0000:10:00.0/information", "Model: x\n");
  auto broken = discover_gpus(root->path());
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message() ==
        "`" + root->path() + "/proc/driver/nvidia/gpus/0000:10:00.0/information`: no valid `Device Minor` line");
}

TEST_CASE("discovery: /dev/nvidiaN nodes when there is neither NVML nor procfs") {
  auto root = TempDir::create("brick-gpu");
  REQUIRE(root);
  if (!make_node(root->path(), "dev/nvidia1", kNvidiaMajor, 1)) return;
  REQUIRE(make_node(root->path(), "dev/nvidia0", kNvidiaMajor, 0));
  REQUIRE(make_node(root->path(), "dev/nvidiactl", kNvidiaMajor, 255));
  REQUIRE(make_node(root->path(), "dev/nvidia7", 1, 3));  // not major 195: not a GPU
  auto found = discover_gpus(root->path());
  REQUIRE(found);
  CHECK(found->method == "dev");
  CHECK(found->nvml_error == "no libnvidia-ml.so.1 under `" + root->path() + "`");
  REQUIRE(found->gpus.size() == 2);
  CHECK(found->gpus[0].minor == 0);
  CHECK(found->gpus[1].minor == 1);
  CHECK(found->gpus[1].memory_total == 0);
}

TEST_CASE("discovery: no GPU at all is not an error") {
  auto root = TempDir::create("brick-gpu");
  REQUIRE(root);
  std::filesystem::create_directories(root->path() + "/dev");
  auto found = discover_gpus(root->path());
  REQUIRE(found);
  CHECK(found->method == "none");
  CHECK(found->gpus.empty());
}

TEST_CASE("discovery: BRICK_HOST_ROOT chooses the root") {
  {
    EnvVar env("BRICK_HOST_ROOT", "/srv/fake");
    CHECK(host_root() == "/srv/fake");
  }
  ::unsetenv("BRICK_HOST_ROOT");
  CHECK(host_root() == "/");
}
