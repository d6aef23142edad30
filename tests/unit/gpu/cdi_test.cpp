// CDI specs: JSON and YAML, spec- and device-level edits, directory priority,
// conflicts and malformed specs with the exact messages a user sees.
#include "gpu/cdi.hpp"

#include <catch2/catch.hpp>

#include "base/temp_dir.hpp"
#include "gpu_fixture.hpp"

using namespace brick;
using namespace brick::gpu;
using brick::gpu::testing::put;

namespace {

const char* kYamlSpec = R"(cdiVersion: "0.6.0"
kind: nvidia.com/gpu
devices:
  - name: "0"
    containerEdits:
      deviceNodes:
        - path: /dev/nvidia0
          major: 195
          minor: 0
          fileMode: 0666
  - name: gpu1
    containerEdits:
      deviceNodes:
        - {path: /dev/nvidia1, major: 195, minor: 1}
      env: [GPU1=yes]
containerEdits:
  env:
    - NVIDIA_VISIBLE_DEVICES=void
  deviceNodes:
    - path: /dev/nvidiactl
      major: 195
      minor: 255
      permissions: rw
  mounts:
    - hostPath: /usr/lib/libcuda.so.1
      containerPath: /usr/lib/libcuda.so.1
      options: [ro, nosuid, nodev, bind]
  hooks:
    - hookName: createContainer
      path: /usr/bin/nvidia-cdi-hook
      args: [nvidia-cdi-hook, update-ldcache]
)";

const char* kJsonSpec = R"({"cdiVersion": "0.5.0", "kind": "example.com/fpga",
  "devices": [{"name": "a", "containerEdits": {"env": ["FPGA=a"],
    "deviceNodes": [{"path": "/dev/fpga0", "type": "c", "major": 240, "minor": 3, "uid": 1000, "gid": 44}]}}]})";

std::string error_of(std::string_view text, const std::string& file = "/etc/cdi/bad.yaml") {
  auto spec = parse_cdi_spec(text, file);
  REQUIRE_FALSE(spec);
  return spec.error().message();
}

}  // namespace

TEST_CASE("cdi: a YAML spec with spec-level and device edits parses") {
  auto spec = parse_cdi_spec(kYamlSpec, "x.yaml");
  REQUIRE(spec);
  CHECK(spec->kind == "nvidia.com/gpu");
  CHECK(spec->cdi_version == "0.6.0");
  REQUIRE(spec->devices.size() == 2);
  CHECK(spec->devices[0].name == "0");
  REQUIRE(spec->devices[0].edits.device_nodes.size() == 1);
  const DeviceNode& n0 = spec->devices[0].edits.device_nodes[0];
  CHECK(n0.path == "/dev/nvidia0");
  CHECK(n0.major == 195);
  CHECK(n0.minor == 0);
  CHECK(n0.file_mode == 0666u);  // YAML 1.1 octal
  CHECK(spec->edits.env == std::vector<std::string>{"NVIDIA_VISIBLE_DEVICES=void"});
  REQUIRE(spec->edits.mounts.size() == 1);
  CHECK(spec->edits.mounts[0].options == std::vector<std::string>{"ro", "nosuid", "nodev", "bind"});
  REQUIRE(spec->edits.hooks.size() == 1);
  CHECK(spec->edits.hooks[0].hook_name == "createContainer");
  CHECK(spec->edits.hooks[0].args.size() == 2);
  CHECK(spec->edits.device_nodes[0].permissions == "rw");
}

TEST_CASE("cdi: a JSON spec parses with uid, gid and type") {
  auto spec = parse_cdi_spec(kJsonSpec, "x.json");
  REQUIRE(spec);
  const DeviceNode& n = spec->devices[0].edits.device_nodes[0];
  CHECK(n.type == 'c');
  CHECK(n.major == 240);
  CHECK(n.minor == 3);
  CHECK(n.uid == 1000u);
  CHECK(n.gid == 44u);
}

TEST_CASE("cdi: malformed specs are errors naming the file and the field") {
  CHECK(
      error_of(
          "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n  - name: a\n    containerEdits:\n      envs: [A=1]\n") ==
      "CDI spec `/etc/cdi/bad.yaml`: devices[0].containerEdits: unknown field `envs`");
  CHECK(error_of("cdiVersion: 0.6.0\nkind: nvidia.com/gpu\nvendor: x\ndevices: []\n") ==
        "CDI spec `/etc/cdi/bad.yaml`: unknown field `vendor`");
  CHECK(error_of("cdiVersion: 9.9.9\nkind: nvidia.com/gpu\ndevices: []\n") ==
        "CDI spec `/etc/cdi/bad.yaml`: cdiVersion: unsupported version `9.9.9` (brick reads 0.3.0 to 0.8.0)");
  CHECK(error_of("cdiVersion: 0.6.0\nkind: gpu\ndevices: []\n") ==
        "CDI spec `/etc/cdi/bad.yaml`: kind: `gpu` is not of the form vendor.com/class");
  CHECK(error_of("kind: nvidia.com/gpu\ndevices: []\n") ==
        "CDI spec `/etc/cdi/bad.yaml`: missing required field `cdiVersion`");
  CHECK(error_of("cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n  - name: a\n    containerEdits:\n      "
                 "deviceNodes:\n        - {path: /dev/x, major: abc}\n") ==
        "CDI spec `/etc/cdi/bad.yaml`: devices[0].containerEdits.deviceNodes[0].major: expected an integer, got "
        "string");
  CHECK(error_of("cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n  - name: a\n    containerEdits:\n      "
                 "mounts:\n        - {hostPath: /a}\n") ==
        "CDI spec `/etc/cdi/bad.yaml`: devices[0].containerEdits.mounts[0]: missing required field `containerPath`");
  CHECK(error_of("cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n  - name: a\n    containerEdits: {env: [A=1]}\n"
                 "  - name: a\n    containerEdits: {env: [A=2]}\n") ==
        "CDI spec `/etc/cdi/bad.yaml`: devices[1]: device `a` is defined twice");
  CHECK(error_of("{\"cdiVersion\": \"0.6.0\",", "/var/run/cdi/x.json")
            .starts_with("CDI spec `/var/run/cdi/x.json`: not valid JSON: "));
  CHECK(error_of("cdiVersion: [0.6.0\n").starts_with("CDI spec `/etc/cdi/bad.yaml`: not valid YAML: line "));
}

TEST_CASE("cdi: names") {
  CHECK(is_cdi_name("nvidia.com/gpu=0"));
  CHECK(is_cdi_name("nvidia.com/gpu=all"));
  CHECK(is_cdi_name("vendor.com/class=GPU-1234:mig-1"));
  CHECK_FALSE(is_cdi_name("/dev/nvidia0"));
  CHECK_FALSE(is_cdi_name("nvidia.com=0"));
  CHECK_FALSE(is_cdi_name("nvidia.com/gpu="));
}

TEST_CASE("cdi: the registry resolves names, `all`, and spec-level edits once") {
  auto root = TempDir::create("brick-cdi");
  REQUIRE(root);
  put(root->path(), "etc/cdi/nvidia.yaml", kYamlSpec);
  put(root->path(), "var/run/cdi/fpga.json", kJsonSpec);
  auto reg = CdiRegistry::load(root->path());
  REQUIRE(reg);
  CHECK(reg->device_names() ==
        std::vector<std::string>{"example.com/fpga=a", "nvidia.com/gpu=0", "nvidia.com/gpu=gpu1"});

  auto one = reg->resolve({"nvidia.com/gpu=0"});
  REQUIRE(one);
  REQUIRE(one->device_nodes.size() == 2);
  CHECK(one->device_nodes[0].path == "/dev/nvidiactl");
  CHECK(one->device_nodes[0].host_path == root->path() + "/dev/nvidiactl");
  CHECK(one->device_nodes[1].path == "/dev/nvidia0");
  CHECK(one->mounts[0].host_path == root->path() + "/usr/lib/libcuda.so.1");
  CHECK(one->env == std::vector<std::string>{"NVIDIA_VISIBLE_DEVICES=void"});

  auto all = reg->resolve({"nvidia.com/gpu=all"});
  REQUIRE(all);
  CHECK(all->device_nodes.size() == 3);  // nvidiactl once
  CHECK(all->env == std::vector<std::string>{"NVIDIA_VISIBLE_DEVICES=void", "GPU1=yes"});

  auto missing = reg->resolve({"nvidia.com/gpu=7"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() ==
        "unresolvable CDI device `nvidia.com/gpu=7` (known: nvidia.com/gpu=0, nvidia.com/gpu=gpu1)");
  auto unknown_kind = reg->resolve({"amd.com/gpu=0"});
  REQUIRE_FALSE(unknown_kind);
  CHECK(unknown_kind.error().message() ==
        "unresolvable CDI device `amd.com/gpu=0` (no CDI spec defines kind `amd.com/gpu`)");
}

TEST_CASE("cdi: /var/run/cdi overrides /etc/cdi, equal priority conflicts name both files") {
  auto root = TempDir::create("brick-cdi");
  REQUIRE(root);
  put(root->path(), "etc/cdi/a.yaml",
      "cdiVersion: 0.6.0\nkind: x.com/y\ndevices:\n  - name: d\n    containerEdits: {env: [FROM=etc]}\n");
  put(root->path(), "var/run/cdi/b.yaml",
      "cdiVersion: 0.6.0\nkind: x.com/y\ndevices:\n  - name: d\n    containerEdits: {env: [FROM=run]}\n");
  auto reg = CdiRegistry::load(root->path());
  REQUIRE(reg);
  auto edits = reg->resolve({"x.com/y=d"});
  REQUIRE(edits);
  CHECK(edits->env == std::vector<std::string>{"FROM=run"});

  put(root->path(), "var/run/cdi/c.json",
      R"({"cdiVersion": "0.6.0", "kind": "x.com/y", "devices": [{"name": "d", "containerEdits": {"env": ["FROM=c"]}}]})");
  auto conflict = CdiRegistry::load(root->path());
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().message() == "CDI device `x.com/y=d` is defined in both `" + root->path() +
                                          "/var/run/cdi/b.yaml` and `" + root->path() + "/var/run/cdi/c.json`");

  put(root->path(), "var/run/cdi/c.json", "{\"cdiVersion\": \"0.6.0\", \"kind\": \"x.com/y\", \"devicez\": []}");
  auto bad = CdiRegistry::load(root->path());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() == "CDI spec `" + root->path() + "/var/run/cdi/c.json`: unknown field `devicez`");
}
