# The two commands of the README: `make test` and `make demo`. Each installs what is missing
# (Debian 12 packages, through scripts/install-deps.sh), configures with CMake, builds with Ninja
# into build/ (binaries in build/bin/) and runs.
BUILD ?= build
BUILD_TYPE ?= Release
CMAKE_FLAGS ?=
CTEST_FLAGS ?=
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build test unit integration netns demo asan fuzz bench clean

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

# The ClientHello parser under libFuzzer (with ASan and UBSan) for FUZZ_SECONDS, in its own clang
# tree. The captured hellos of the unit tests seed a corpus that stays in build-fuzz between runs;
# a crashing input is written to build-fuzz/ as crash-<sha1>.
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DWEFT_FUZZ=ON -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-fuzz --target client_hello_fuzz
	@mkdir -p build-fuzz/corpus/client_hello
	@cp tests/unit/tls/data/*.bin build-fuzz/corpus/client_hello/
	build-fuzz/bin/client_hello_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=20000 \
	  -print_final_stats=1 -artifact_prefix=build-fuzz/ build-fuzz/corpus/client_hello

bench: build
	@bash bench/run-bench.sh

clean:
	rm -rf $(BUILD) build-asan build-fuzz
