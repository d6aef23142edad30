#!/bin/bash
# Every C++ source is formatted as .clang-format says (the quality bar).
set -u
cd "$BRICK_SOURCE_DIR" || exit 1
command -v clang-format >/dev/null || { echo "clang-format not installed"; exit 1; }
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find base compose cli orchestrator runtime images net volumes gpu tests fuzz -name '*.[ch]pp')
# shellcheck disable=SC2086
if ! clang-format --dry-run -Werror $files; then
  echo "run: clang-format -i \$(git ls-files '*.cpp' '*.hpp')"
  exit 1
fi
