# The README's two commands: `make up` and `make test`. Both install what they
# need first (scripts/install-deps is idempotent).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja
BRICK      := $(BUILD)/cli/brick

.PHONY: deps build build-asan test test-unit test-asan up fuzz bench format tidy clean

deps:
	./scripts/install-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DBRICK_SANITIZE=ON

# Only the unit tests (and the brick binary they drive) run under the
# sanitizers, so only they are built there.
build-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target unit_tests

# Everything through ctest, then the unit tests again under ASan+UBSan.
test: build build-asan
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -L unit

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

up: build
	./samples/quickstart/prepare
	$(BRICK) compose --project-directory samples/quickstart up

fuzz:
	./scripts/install-deps --fuzz
	./fuzz/run

bench: build
	./bench/run

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# clang-tidy 16: 14 cannot parse libstdc++ 12's <expected>; 16 can once
# __cpp_concepts reports C++20 (libstdc++ gates std::expected on it), and
# knows C++23 only as c++2b. bugprone-unchecked-optional-access is off in
# .clang-tidy: minutes per file here.
TIDY_ARGS := --extra-arg=-std=c++2b --extra-arg=-U__cpp_concepts --extra-arg=-D__cpp_concepts=202002L \
             --extra-arg=-Wno-unknown-warning-option
tidy: build
	command -v clang-tidy-16 >/dev/null || apt-get install -y -q clang-tidy-16
	git ls-files '*.cpp' | grep -v '^tests/\|^fuzz/' | xargs -P $(JOBS) -n 4 clang-tidy-16 -p $(BUILD) --quiet $(TIDY_ARGS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
