# Thin wrapper: install what is missing, then drive CMake.
#   make demo   build, generate a data set, train the baseline, print a comparison
#   make test   build and run every test (Check suites + CLI integration scripts)
#   make asan   the same tests built with -fsanitize=address,undefined (also: check-sanitize)
#   make bench  the benchmarks of bench/ (installs the peers: h5py, sklearn, torch)
#   make fuzz   the libFuzzer harnesses of tests/fuzz, a fixed seed and count over their corpus
#   make install  PREFIX (default /usr/local) and DESTDIR: bin/tradeoff, share/tradeoff/
#               (pricing.ini, configs/), share/doc/tradeoff/README.md
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

PREFIX ?= /usr/local

.PHONY: all deps build demo test asan check-sanitize bench fuzz install clean
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
	@if [ "$(FUZZ)" != 0 ]; then $(MAKE) --no-print-directory fuzz; fi

asan: deps
	@$(MAKE) --no-print-directory test BUILD=build-asan FUZZ=0 \
	  CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRADEOFF_SANITIZE=ON"

check-sanitize: asan

bench: build
	@scripts/install-deps --bench
	@bash bench/run-all $(BUILD)

# Fuzzing (issue 7): clang + libFuzzer build in build-fuzz; only the harnesses are built
# and only the fuzz/* ctests run (seed 1, FUZZ_RUNS inputs each, over a scratch copy of
# the corpus; FUZZ_SECONDS bounds each). (`make test FUZZ=0` skips it.)
FUZZ_RUNS ?= 20000
FUZZ_SECONDS ?= 15
fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRADEOFF_FUZZ=ON \
	  -DTRADEOFF_FUZZ_SECONDS=$(FUZZ_SECONDS) -DTRADEOFF_FUZZ_RUNS=$(FUZZ_RUNS) >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzzers -- --no-print-directory
	@cd build-fuzz && ctest --output-on-failure -j $(JOBS) -L fuzz

install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

clean:
	rm -rf build build-asan build-fuzz
