// Loads a compose file from text for the orchestrator tests.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "compose/loader.hpp"

namespace brick::orchestrator::testing {

inline compose::Project load(std::string_view yaml, std::string name = "demo") {
  compose::LoadOptions o;
  o.files = {"-"};
  o.stdin_text = std::string(yaml);
  o.project_name = std::move(name);
  o.project_directory = "/srv/demo";
  o.working_directory = "/srv/demo";
  o.environment = {{"HOME", "/root"}};
  auto loaded = compose::load_project(o);
  INFO(yaml);
  if (!loaded) FAIL(loaded.error().full());
  return std::move(loaded->project);
}

}  // namespace brick::orchestrator::testing
