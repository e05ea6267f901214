# The two commands of the README: `make test` and `make demo`. Each installs what is missing
# (Debian 12 packages, through scripts/install-deps.sh), configures with CMake, builds with Ninja
# into build/ (binaries in build/bin/) and runs.
BUILD ?= build
BUILD_TYPE ?= Release
CMAKE_FLAGS ?=
CTEST_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all deps configure build test unit integration netns demo asan bench clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit $(CTEST_FLAGS)

integration: build
	cd $(BUILD) && ctest --output-on-failure -L integration $(CTEST_FLAGS)

netns: build
	cd $(BUILD) && ctest --output-on-failure -L netns $(CTEST_FLAGS)

demo: build
	@WEFT_BIN_DIR=$(abspath $(BUILD))/bin bash scripts/demo.sh

# The same suites under AddressSanitizer and UndefinedBehaviorSanitizer, in their own tree.
asan:
	@$(MAKE) test BUILD=build-asan BUILD_TYPE=RelWithDebInfo \
	  CMAKE_FLAGS="-DWEFT_ASAN=ON -DWEFT_UBSAN=ON -DWEFT_BUILD_BENCH=OFF $(CMAKE_FLAGS)"

bench: build
	@bash bench/run-bench.sh

clean:
	rm -rf $(BUILD) build-asan
