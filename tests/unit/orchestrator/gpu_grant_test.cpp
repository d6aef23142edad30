#include "orchestrator/gpu_grant.hpp"

#include <catch2/catch.hpp>

using namespace brick;
using namespace brick::orchestrator;

TEST_CASE("apply_edits: library directories reach the spec for the container's ldconfig, hooks its hook lists") {
  gpu::ContainerEdits edits;
  edits.mounts = {{"/host/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                   "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                   "bind",
                   {"ro", "bind"}}};
  edits.ldconfig_dirs = {"/usr/lib/x86_64-linux-gnu"};
  // What nvidia-ctk writes into its CDI specs, in both spellings.
  edits.hooks = {
      {"createContainer",
       "/usr/bin/nvidia-ctk",
       {"nvidia-ctk", "hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu", "--folder=/opt/cuda/lib"},
       {},
       {}},
      {"createContainer", "/usr/bin/nvidia-ctk", {"nvidia-ctk", "hook", "chmod", "--mode", "755"}, {}, {}},
  };
  edits.hooks.push_back({"poststop", "/usr/bin/cleanup", {}, {"A=1"}, 5});
  runtime::ContainerSpec spec = runtime::default_spec();
  apply_edits(edits, spec);
  CHECK(spec.ld_library_dirs == std::vector<std::string>{"/usr/lib/x86_64-linux-gnu", "/opt/cuda/lib"});
  // update-ldcache is done by brick itself; every other hook goes into the
  // spec under its hookName, to be run.
  REQUIRE(spec.hooks.create_container.size() == 1);
  CHECK(spec.hooks.create_container[0].args ==
        std::vector<std::string>{"nvidia-ctk", "hook", "chmod", "--mode", "755"});
  REQUIRE(spec.hooks.poststop.size() == 1);
  CHECK(spec.hooks.poststop[0] == runtime::Hook{"/usr/bin/cleanup", {}, {"A=1"}, 5});
  CHECK(spec.hooks.start_container.empty());
  // Applied twice (two GPUs), a directory or hook is listed once.
  apply_edits(edits, spec);
  CHECK(spec.ld_library_dirs.size() == 2);
  CHECK(spec.hooks.create_container.size() == 1);
}
