// GPUs end to end against a fake host tree (root, inside sandbox.sh): the
// fake NVML discovers two GPUs, the ledger hands two services different ones
// and refuses a third, and a container started with the edits sees exactly
// its /dev/nvidiaN (right major/minor), the control nodes, the driver
// libraries read-only and the environment, while the device cgroup denies a
// GPU node it was not given. A CDI spec's nodes, mounts and env appear too.
//
// The hidden [.real-gpu] case runs only as the `gpu`-labelled ctest test and
// needs a real NVIDIA driver: `nvidia-smi -L` in a brick container lists only
// the reserved GPU.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "base/file.hpp"
#include "base/ids.hpp"
#include "base/temp_dir.hpp"
#include "gpu/cdi.hpp"
#include "gpu/discovery.hpp"
#include "gpu/inject.hpp"
#include "gpu/ledger.hpp"
#include "integration/busybox.hpp"
#include "orchestrator/gpu_grant.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/spawn.hpp"
#include "unit/gpu/gpu_fixture.hpp"

using namespace brick;
using namespace brick::testing;
using namespace brick::gpu;
using namespace brick::gpu::testing;
namespace fs = std::filesystem;

namespace {

constexpr uint32_t k64 = kLdFlagElfLibc6 | kLdFlagX8664;
const std::string kLibDir = "/usr/lib/x86_64-linux-gnu/";

// A host with two GPUs as the driver lays them out, NVML included.
TempDir fake_host() {
  auto root = TempDir::create("brick-host");
  REQUIRE(root);
  const std::string r = root->path();
  REQUIRE(make_node(r, "dev/nvidia0", kNvidiaMajor, 0));
  REQUIRE(make_node(r, "dev/nvidia1", kNvidiaMajor, 1));
  REQUIRE(make_node(r, "dev/nvidiactl", kNvidiaMajor, 255));
  REQUIRE(make_node(r, "dev/nvidia-uvm", 237, 0));
  REQUIRE(make_node(r, "dev/nvidia-uvm-tools", 237, 1));
  fs::create_directories(r + kLibDir);
  fs::copy_file(BRICK_FAKE_NVML, r + kLibDir + "libnvidia-ml.so.1");
  put(r, kLibDir + "libcuda.so.1", "fake libcuda\n");
  put(r, "etc/ld.so.cache",
      ld_cache_bytes({{"libnvidia-ml.so.1", kLibDir + "libnvidia-ml.so.1", k64},
                      {"libcuda.so.1", kLibDir + "libcuda.so.1", k64}}));
  put(r, "gpus.txt",
      "GPU-0000aaaa|NVIDIA Fake 80GB|85899345920|85899345920|0|0\n"
      "GPU-1111bbbb|NVIDIA Fake 80GB|85899345920|85899345920|0|1\n");
  ::setenv("FAKE_NVML_GPUS", (r + "/gpus.txt").c_str(), 1);
  return std::move(*root);
}

// What the orchestrator does with ContainerEdits.
void apply(const ContainerEdits& edits, runtime::ContainerSpec& spec) { orchestrator::apply_edits(edits, spec); }

// Runs `spec` to its end in a cgroup of its own (so the device rules apply).
Ran run_in_cgroup(const runtime::ContainerSpec& spec) {
  auto layout = runtime::detect_host_cgroup_layout();
  REQUIRE(layout);
  auto cg = runtime::Cgroup::create(*layout, "brick-test/gpu-" + random_hex(6).value(), spec.linux.resources);
  INFO((cg ? "" : cg.error().message()));
  REQUIRE(cg);
  runtime::SpawnOptions options;
  options.before_start = [&](pid_t pid) { return cg->add_process(pid); };
  auto ran = run_container(spec, options);
  INFO((ran ? "" : ran.error().message()));
  REQUIRE(ran);
  REQUIRE(cg->destroy());
  return *ran;
}

// Runs `script` in a container with `edits`, in a cgroup of its own.
Ran run(const TempDir& rootfs, const ContainerEdits& edits, const std::string& script) {
  runtime::ContainerSpec spec = runtime::default_spec();
  spec.root.path = rootfs.path();
  spec.process.args = {"sh", "-c", script};
  apply(edits, spec);
  return run_in_cgroup(spec);
}

}  // namespace

TEST_CASE("two services get different GPUs; the container sees exactly its own", "[gpu]") {
  REQUIRE(::geteuid() == 0);
  TempDir host = fake_host();
  TempDir rootfs = busybox_rootfs();
  auto state = TempDir::create("brick-state");
  REQUIRE(state);

  auto found = discover_gpus(host.path());
  REQUIRE(found);
  CHECK(found->method == "nvml");
  REQUIRE(found->gpus.size() == 2);

  Ledger ledger(state->path());
  GpuRequest one;
  one.count = 1;
  one.service = "trainer-1", one.holder = "ml/trainer-1";
  auto first = ledger.reserve(found->gpus, one);
  REQUIRE(first);
  one.service = "trainer-2", one.holder = "ml/trainer-2";
  auto second = ledger.reserve(found->gpus, one);
  REQUIRE(second);
  REQUIRE(first->size() == 1);
  REQUIRE(second->size() == 1);
  CHECK((*first)[0].index != (*second)[0].index);
  one.service = "trainer-3", one.holder = "ml/trainer-3";
  auto third = ledger.reserve(found->gpus, one);
  REQUIRE_FALSE(third);
  CHECK(third.error().message() ==
        "service `trainer-3` reserves 1 GPU (nvidia); 0 of 2 free: GPU 0 held by `ml/trainer-1`, GPU 1 held by "
        "`ml/trainer-2`");

  // trainer-2 holds GPU 1: its container gets /dev/nvidia1 and nothing of GPU 0.
  REQUIRE((*second)[0].index == 1);
  auto edits = gpu_edits(host.path(), *second, {"gpu"});
  INFO((edits ? "" : edits.error().message()));
  REQUIRE(edits);
  Ran ran = run(rootfs, *edits,
                "ls /dev | grep nvidia | sort | tr '\\n' ' '; echo;"
                "stat -c '%n %F %t:%T %a' /dev/nvidia1 /dev/nvidiactl /dev/nvidia-uvm;"
                "env | grep -E '^(NVIDIA|CUDA)_' | sort;"
                "cat " +
                    kLibDir +
                    "libcuda.so.1;"
                    "echo x > " +
                    kLibDir +
                    "libcuda.so.1 2>/dev/null && echo lib-writable;"
                    // Allowed by the cgroup: without a driver the open fails with
                    // ENXIO, never EPERM.
                    "cat /dev/nvidia1 2>&1 | grep -q 'not permitted' && echo nvidia1-denied;"
                    "mknod /dev/nvidia0 c 195 0 && cat /dev/nvidia0; echo open-nvidia0=$?");
  INFO(ran.output);
  CHECK(ran.output.starts_with("nvidia-uvm nvidia-uvm-tools nvidia1 nvidiactl \n"));
  CHECK(ran.output.find("/dev/nvidia1 character special file c3:1 666\n") != std::string::npos);
  CHECK(ran.output.find("/dev/nvidiactl character special file c3:ff 666\n") != std::string::npos);
  CHECK(ran.output.find("/dev/nvidia-uvm character special file ed:0 666\n") != std::string::npos);
  CHECK(ran.output.find("CUDA_VISIBLE_DEVICES=GPU-1111bbbb\nNVIDIA_DRIVER_CAPABILITIES=compute,utility\n"
                        "NVIDIA_VISIBLE_DEVICES=GPU-1111bbbb\n") != std::string::npos);
  CHECK(ran.output.find("fake libcuda\n") != std::string::npos);
  CHECK(ran.output.find("lib-writable") == std::string::npos);
  CHECK(ran.output.find("nvidia1-denied") == std::string::npos);
  // The node it made itself is refused by the device cgroup.
  CHECK(ran.output.find("cat: can't open '/dev/nvidia0': Operation not permitted\nopen-nvidia0=1\n") !=
        std::string::npos);

  // Removing trainer-1 frees GPU 0 for trainer-3.
  REQUIRE(ledger.release("ml/trainer-1"));
  auto again = ledger.reserve(found->gpus, one);
  REQUIRE(again);
  CHECK((*again)[0].index == 0);
  ::unsetenv("FAKE_NVML_GPUS");
}

TEST_CASE("a CDI spec's device nodes, mounts and env all appear in the container", "[gpu]") {
  REQUIRE(::geteuid() == 0);
  TempDir host = fake_host();
  TempDir rootfs = busybox_rootfs();
  put(host.path(), "opt/tool/hello.txt", "from the CDI mount\n");
  put(host.path(), "etc/cdi/nvidia.yaml", R"(cdiVersion: 0.6.0
kind: nvidia.com/gpu
devices:
  - name: "1"
    containerEdits:
      deviceNodes: [{path: /dev/nvidia1}]
      env: [CDI_DEVICE=one]
containerEdits:
  env: [NVIDIA_VISIBLE_DEVICES=void]
  deviceNodes: [{path: /dev/nvidiactl}]
  mounts:
    - {hostPath: /opt/tool, containerPath: /opt/tool, options: [ro, rbind]}
)");
  auto found = discover_gpus(host.path());
  REQUIRE(found);
  std::vector<GpuInfo> chosen = {found->gpus[1]};
  chosen[0].uuid.clear();  // named by index in this spec
  auto edits = gpu_edits(host.path(), chosen, {"gpu"});
  INFO((edits ? "" : edits.error().message()));
  REQUIRE(edits);
  Ran ran = run(rootfs, *edits,
                "ls /dev | grep nvidia | sort | tr '\\n' ' '; echo; cat /opt/tool/hello.txt;"
                "env | grep -E '^(CDI_DEVICE|NVIDIA_VISIBLE_DEVICES)=' | sort");
  INFO(ran.output);
  CHECK(ran.output == "nvidia1 nvidiactl \nfrom the CDI mount\nCDI_DEVICE=one\nNVIDIA_VISIBLE_DEVICES=void\n");

  put(host.path(), "var/run/cdi/broken.json",
      "{\"cdiVersion\": \"0.6.0\", \"kind\": \"nvidia.com/gpu\", \"devices\": 1}");
  auto broken = gpu_edits(host.path(), chosen, {"gpu"});
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message() == "CDI spec `" + host.path() + "/var/run/cdi/broken.json`: devices: expected a list");
  ::unsetenv("FAKE_NVML_GPUS");
}

TEST_CASE("injected driver libraries are in the container's ld.so.cache, made by its own ldconfig", "[gpu]") {
  REQUIRE(::geteuid() == 0);
  TempDir host = fake_host();
  auto found = discover_gpus(host.path());
  REQUIRE(found);
  auto edits = gpu_edits(host.path(), {found->gpus[0]}, {"gpu"});
  INFO((edits ? "" : edits.error().message()));
  REQUIRE(edits);
  const std::string script =
      "cat /etc/ld.so.conf.d/000-brick-devices.conf 2>&1 | grep -v '^#'; ldconfig -p 2>&1 | grep nvidia";

  // An image with glibc's ldconfig (the host's: static, so it runs in a
  // busybox rootfs) and the usual /etc/ld.so.conf. The process runs as
  // uid 1000, ldconfig as the container's root.
  TempDir rootfs = busybox_rootfs();
  fs::create_directories(rootfs.path() + "/sbin");
  fs::copy_file("/sbin/ldconfig", rootfs.path() + "/sbin/ldconfig");
  put(rootfs.path(), "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  runtime::ContainerSpec spec = runtime::default_spec();
  spec.root.path = rootfs.path();
  spec.process.user = {1000, 1000, {}};
  apply(*edits, spec);
  CHECK(spec.ld_library_dirs == std::vector<std::string>{"/usr/lib/x86_64-linux-gnu"});
  spec.process.args = {"sh", "-c", script};
  Ran ran = run_in_cgroup(spec);
  INFO(ran.output);
  CHECK(ran.output.starts_with("/usr/lib/x86_64-linux-gnu\n"));
  CHECK(ran.output.find("libnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1\n") !=
        std::string::npos);
  // Written into the container's root (here the rootfs itself; in brick
  // the overlay's upper layer).
  CHECK(fs::exists(rootfs.path() + "/etc/ld.so.cache"));

  // Without libraries injected, nothing is written and ldconfig is not run.
  TempDir plain = busybox_rootfs();
  fs::create_directories(plain.path() + "/sbin");
  fs::copy_file("/sbin/ldconfig", plain.path() + "/sbin/ldconfig");
  Ran none = run(plain, ContainerEdits{}, "test -e /etc/ld.so.conf.d || test -e /etc/ld.so.cache || echo none");
  CHECK(none.output == "none\n");
  CHECK_FALSE(fs::exists(plain.path() + "/etc/ld.so.cache"));

  // ldconfig is the image's code: it runs as the container's root, with none
  // of the fds spawn's caller holds (here a directory of the host).
  TempDir scripted = busybox_rootfs();
  put(scripted.path(), "sbin/ldconfig",
      "#!/bin/sh\necho \"uid=$(id -u) fds=$(ls /proc/self/fd | tr '\\n' ' ')\" >/ldconfig.out\n");
  fs::permissions(scripted.path() + "/sbin/ldconfig", fs::perms(0755));
  const int leak = ::open("/", O_RDONLY | O_DIRECTORY);  // deliberately without O_CLOEXEC
  REQUIRE(leak >= 0);
  Ran scripted_ran = run(scripted, *edits, "cat /ldconfig.out");
  ::close(leak);
  INFO(scripted_ran.output);
  CHECK(scripted_ran.output == "uid=0 fds=0 1 2 3 \n");

  // An image without ldconfig (busybox) starts as before, nothing written.
  TempDir bare = busybox_rootfs();
  Ran ran_bare = run(bare, *edits, "test -e /etc/ld.so.conf.d && echo written; echo ok");
  CHECK(ran_bare.output == "ok\n");
  ::unsetenv("FAKE_NVML_GPUS");
}

TEST_CASE("a real GPU: nvidia-smi -L in a container lists only the reserved GPU", "[.real-gpu]") {
  if (::access("/dev/nvidiactl", F_OK) != 0 || ::access("/usr/bin/nvidia-smi", X_OK) != 0) {
    WARN("no NVIDIA driver on this host: skipping");
    std::exit(77);
  }
  auto found = discover_gpus("/");
  REQUIRE(found);
  REQUIRE_FALSE(found->gpus.empty());
  auto state = TempDir::create("brick-state");
  REQUIRE(state);
  Ledger ledger(state->path());
  GpuRequest req;
  req.service = "smi", req.holder = "test/smi", req.count = 1;
  auto chosen = ledger.reserve(found->gpus, req);
  REQUIRE(chosen);
  auto edits = gpu_edits("/", *chosen, {"utility"});
  INFO((edits ? "" : edits.error().message()));
  REQUIRE(edits);
  // A rootfs of the host's own /usr (read-only), so nvidia-smi's libc is there.
  auto rootfs = TempDir::create("brick-rootfs");
  REQUIRE(rootfs);
  runtime::ContainerSpec spec = runtime::default_spec();
  spec.root.path = rootfs->path();
  for (const char* dir : {"/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc"})
    if (fs::exists(dir) && !fs::is_symlink(dir))
      spec.mounts.push_back({dir, "bind", dir, {"rbind", "ro"}});
    else if (fs::is_symlink(dir))
      fs::create_symlink(fs::read_symlink(dir), rootfs->path() + dir);
  spec.process.args = {"nvidia-smi", "-L"};
  apply(*edits, spec);
  Ran ran = run_in_cgroup(spec);
  const std::string* output = &ran.output;
  INFO(*output);
  const std::string& uuid = (*chosen)[0].uuid;
  CHECK(output->find(uuid) != std::string::npos);
  size_t lines = std::count(output->begin(), output->end(), '\n');
  CHECK(lines == 1);
}

TEST_CASE("without NVML or procfs, the /dev/nvidiaN nodes are the GPUs", "[gpu]") {
  // The unit test of this skips without root (mknod); here it must run.
  REQUIRE(::geteuid() == 0);
  auto root = TempDir::create("brick-host");
  REQUIRE(root);
  REQUIRE(make_node(root->path(), "dev/nvidia2", kNvidiaMajor, 2));
  REQUIRE(make_node(root->path(), "dev/nvidia0", kNvidiaMajor, 0));
  REQUIRE(make_node(root->path(), "dev/nvidiactl", kNvidiaMajor, 255));
  REQUIRE(make_node(root->path(), "dev/nvidia5", 1, 3));
  auto found = discover_gpus(root->path());
  REQUIRE(found);
  CHECK(found->method == "dev");
  REQUIRE(found->gpus.size() == 2);
  CHECK(found->gpus[0].minor == 0);
  CHECK(found->gpus[1].index == 1);
  CHECK(found->gpus[1].minor == 2);
}

TEST_CASE("device nodes get their mode, owner and parent directories", "[gpu]") {
  REQUIRE(::geteuid() == 0);
  TempDir rootfs = busybox_rootfs();
  ContainerEdits edits;
  DeviceNode card;
  card.path = "/dev/dri/card0";
  card.major = 226, card.minor = 0, card.file_mode = 0640, card.uid = 1000, card.gid = 44;
  edits.device_nodes.push_back(card);
  Ran ran = run(rootfs, edits, "stat -c '%n %F %t:%T %a %u %g' /dev/dri/card0");
  INFO(ran.output);
  CHECK(ran.output == "/dev/dri/card0 character special file e2:0 640 1000 44\n");
  CHECK(ran.status.exit_code() == 0);
}
