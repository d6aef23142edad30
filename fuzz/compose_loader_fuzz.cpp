// libFuzzer target: arbitrary bytes as a compose file on stdin, through the
// YAML reader and then the whole loading pipeline and what `config` does with
// its result. Any input must end in a value or an Error: never a crash, an
// escaped exception, a leak (ASan's leak check) or a hang (libFuzzer -timeout).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "compose/graph.hpp"
#include "compose/loader.hpp"
#include "compose/node.hpp"
#include "compose/serialize.hpp"

using namespace brick::compose;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  // Small limits so an alias bomb that fits max_len shows up as slow, not as
  // a 2-million-node tree the later stages then walk.
  (void)parse_yaml(text, "-", YamlLimits{.max_nodes = 200'000, .max_depth = 500});

  LoadOptions options;
  options.files = {"-"};
  options.stdin_text = std::string(text);
  options.environment = {};  // nothing from the fuzzer's own environment
  options.working_directory = "/tmp";
  auto loaded = load_project(options);
  if (!loaded) {
    (void)loaded.error().full();
    return 0;
  }
  (void)to_yaml(to_json(loaded->project));
  if (auto graph = ServiceGraph::build(loaded->project)) {
    (void)graph->stop_levels();
    auto names = loaded->project.service_names();
    if (!names.empty()) (void)graph->subgraph({names.front()}, false);
  }
  return 0;
}
