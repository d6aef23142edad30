// A Project printed back as `docker compose config` prints it: the canonical
// long form, as JSON or YAML.
//
// Keys follow compose-go's struct order (its yaml/json tags); only what is set
// is printed. Where the model cannot tell "absent" from "empty", the optional's
// presence decides: a `type: volume` mount always prints `volume:` (`{}` when
// empty, as compose-go does for short syntax), a bind prints `bind:` when any
// bind_* optional holds a value.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "compose/project.hpp"

namespace brick::compose {

enum class OutputFormat {
  Yaml,  // the document `config` renders as YAML
  Json,  // `config --format json`: top-level keys sorted, `command`/`entrypoint` always present (null when unset)
};

nlohmann::ordered_json to_json(const Project& project, OutputFormat format = OutputFormat::Yaml);

// Block-style YAML as go-yaml v3 writes it with 2-space indent: sequences
// indented under their key, strings quoted only when they would read back as
// another type or cannot be plain.
std::string to_yaml(const nlohmann::ordered_json& value);

// JSON as Go's json.MarshalIndent(v, "", "  ") writes it (`<`, `>`, `&`
// escaped); no trailing newline.
std::string to_json_text(const nlohmann::ordered_json& value);

}  // namespace brick::compose
