#include "orchestrator/gpu_grant.hpp"

#include <catch2/catch.hpp>

using namespace brick;
using namespace brick::orchestrator;

TEST_CASE("apply_edits: library directories reach the spec for the container's ldconfig") {
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
  runtime::ContainerSpec spec = runtime::default_spec();
  std::vector<std::string> warnings;
  apply_edits(edits, spec, warnings);
  CHECK(spec.ld_library_dirs == std::vector<std::string>{"/usr/lib/x86_64-linux-gnu", "/opt/cuda/lib"});
  // update-ldcache is done by brick itself; any other hook is named, not run.
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "the CDI createContainer hook `/usr/bin/nvidia-ctk` is not run: brick does not run OCI hooks");
  // Applied twice (two GPUs), a directory is listed once.
  apply_edits(edits, spec, warnings);
  CHECK(spec.ld_library_dirs.size() == 2);
}
