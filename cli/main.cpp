#include <CLI/CLI.hpp>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"brick: compose-style containers for one Linux host, without a daemon", "brick"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "Show the brick version");
  version->callback([] { std::cout << "brick version " << BRICK_VERSION << "\n"; });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;
  }
  return 0;
}
