# Thin wrapper: install what is missing, then drive CMake.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test clean
all: build
deps:
	@scripts/install-deps
build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
clean:
	rm -rf $(BUILD)
