# Thin wrapper: install what is missing, then drive CMake.
#   make demo   build, generate a data set, train the baseline, print a comparison
#   make test   build and run every test (Check suites + CLI integration scripts)
#   make asan   the same tests built with -fsanitize=address,undefined
#   make bench  the benchmarks of bench/ (installs the peers: h5py, sklearn, torch)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps build demo test asan bench clean
all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

demo: build
	@scripts/demo $(BUILD)/tradeoff

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan: deps
	@$(MAKE) --no-print-directory test BUILD=build-asan \
	  CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Debug -DTRADEOFF_SANITIZE=ON"

bench: build
	@scripts/install-deps --bench
	@bash bench/run-all $(BUILD)

clean:
	rm -rf build build-asan
