// run_hook without namespaces (no root needed): what a hook is given (argv,
// exactly its env, the state on stdin) and how its failures read.
#include "runtime/hooks.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/temp_dir.hpp"

using namespace brick;
using namespace brick::runtime;

namespace {

Hook sh(const std::string& script, std::vector<std::string> env = {}) {
  return Hook{"/bin/sh", {"my-hook", "-c", script}, std::move(env), {}};
}

}  // namespace

TEST_CASE("hook_state: the runtime spec's state, pid only when there is one") {
  auto j = nlohmann::json::parse(hook_state("1.0.2", "abc", "creating", 42, "/run/brick/abc"));
  CHECK(
      j ==
      nlohmann::json(
          {{"ociVersion", "1.0.2"}, {"id", "abc"}, {"status", "creating"}, {"pid", 42}, {"bundle", "/run/brick/abc"}}));
  CHECK_FALSE(nlohmann::json::parse(hook_state("1.0.2", "abc", "stopped", 0, "/b")).contains("pid"));
}

TEST_CASE("run_hook: args, exactly the hook's env, and the state on stdin") {
  TempDir dir = *TempDir::create();
  const std::string out = dir.path() + "/out";
  const std::string state = hook_state("1.0.2", "abc", "created", 7, "/bundle");
  // The environment the hook was executed with (sh adds PWD to its own):
  // only what the hook was given, not the caller's.
  Hook hook =
      sh("echo \"$0\" >" + out + "; tr '\\0' '\\n' </proc/$$/environ >>" + out + "; cat >>" + out, {"ONLY=this"});
  REQUIRE(run_hook(hook, "createContainer", state));
  auto text = read_file(out);
  REQUIRE(text);
  CHECK(*text == "my-hook\nONLY=this\n" + state);
}

TEST_CASE("run_hook: a failure names the kind, the path, the status and what it printed") {
  auto s = run_hook(sh("echo no GPU here >&2; exit 3"), "createRuntime", "{}");
  REQUIRE_FALSE(s);
  CHECK(s.error().message() == "createRuntime hook `/bin/sh`: exited with status 3: no GPU here");

  auto missing = run_hook(Hook{"/no/such/hook", {}, {}, {}}, "poststart", "{}");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() ==
        "poststart hook `/no/such/hook`: exited with status 127: brick: executing the hook: No such file or directory");

  auto relative = run_hook(Hook{"bin/hook", {}, {}, {}}, "poststop", "{}");
  REQUIRE_FALSE(relative);
  CHECK(relative.error().message() == "poststop hook `bin/hook`: the path must be absolute");

  auto killed = run_hook(sh("kill -9 $$"), "startContainer", "{}");
  REQUIRE_FALSE(killed);
  CHECK(killed.error().message() == "startContainer hook `/bin/sh`: killed by signal 9");
}

TEST_CASE("run_hook: a hook outliving its timeout is killed, one that leaves a daemon is not waited for") {
  Hook slow = sh("echo started; exec sleep 30");
  slow.timeout = 1;
  auto s = run_hook(slow, "createContainer", "{}");
  REQUIRE_FALSE(s);
  CHECK(s.error().message() == "createContainer hook `/bin/sh`: timed out after 1 s: started");

  // The background sleep keeps the output pipe open; the hook itself is done.
  REQUIRE(run_hook(sh("sleep 3 & echo done"), "poststart", "{}"));

  Hook zero = sh("true");
  zero.timeout = 0;
  auto bad = run_hook(zero, "poststop", "{}");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() == "poststop hook `/bin/sh`: timeout must be positive, not 0");

  // Each in order, up to the first failure.
  TempDir dir = *TempDir::create();
  const std::string out = dir.path() + "/out";
  auto all = run_hooks({sh("echo 1 >>" + out), sh("exit 1"), sh("echo 3 >>" + out)}, "prestart", "{}");
  REQUIRE_FALSE(all);
  CHECK(*read_file(out) == "1\n");
}
