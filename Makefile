# placer: top-level entry points.  Everything real is in CMake; this file
# installs dependencies and picks build directories.
#
#   make deps    install every Debian package placer needs (idempotent)
#   make build   build into build/ (binaries in build/bin/)
#   make test    deps + -Werror + ASan/UBSan build in build-test/ + ctest
#                + format check + make fuzz for TEST_FUZZ_SECONDS (20)
#   make demo    deps + build + a tour of the examples
#   make fuzz    libFuzzer on the JSON loader and on placerd's request
#                handling for 60 s each (FUZZ_SECONDS=...), and on the
#                topology importers for half as long
#   make bench   release build in build-release/ + every benchmark
#   make format  reformat the C sources with clang-format

SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
# make test ends with a short fuzz run per target (and every input that
# once crashed one, fuzz/regress/), so a parser regression fails CI
TEST_FUZZ_SECONDS ?= 20

# Debian 12 packages: build tools, the libraries of ARCHITECTURE.md, and
# the tools tests and later issues drive (cbc, iperf3, python3 protobuf;
# gnuplot draws placer simulate's report, chromium opens it in a test).
PACKAGES := build-essential cmake pkg-config clang clang-format \
	libclang-rt-14-dev \
	libjansson-dev libprotobuf-c-dev protobuf-c-compiler libxml2-dev \
	libsqlite3-dev libglpk-dev glpk-utils libuv1-dev libzmq3-dev \
	libnl-route-3-dev libcriterion-dev libinih-dev libsystemd-dev scdoc \
	coinor-cbc iperf3 iproute2 protobuf-compiler python3 python3-zmq \
	python3-protobuf gnuplot-nox chromium \
	libmicrohttpd-dev libgnutls28-dev curl libcurl4-gnutls-dev \
	python3-jsonschema prometheus

CMAKE_FLAGS ?=

.PHONY: all deps build test demo demo-real fuzz bench format format-check clean

all: build

deps:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "make deps: installing" $$missing; \
	    if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	        --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

build:
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DPLACER_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j $(JOBS) -- --no-print-directory

test: deps
	@$(MAKE) --no-print-directory format-check
	@cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DPLACER_WERROR=ON \
	    -DPLACER_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-test -j $(JOBS) -- --no-print-directory
	@cd build-test && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

demo: deps build
	@./scripts/demo.sh build/bin

# root: agents in network namespaces enforcing a real plan
demo-real: deps build
	@./scripts/demo-real.sh build/bin

fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug \
	    -DPLACER_FUZZ=ON -DPLACER_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_load fuzz_import fuzz_request seed_request \
	    fuzz_agent seed_agent fuzz_sim fuzz_http -- --no-print-directory
	@./scripts/fuzz.sh build-fuzz/bin/fuzz_load $(FUZZ_SECONDS)
	@./scripts/fuzz.sh build-fuzz/bin/fuzz_import $$(( $(FUZZ_SECONDS) / 2 ))
	@./scripts/fuzz.sh build-fuzz/bin/fuzz_request $(FUZZ_SECONDS)
	@./scripts/fuzz.sh build-fuzz/bin/fuzz_agent $$(( $(FUZZ_SECONDS) / 2 ))
	@./scripts/fuzz.sh build-fuzz/bin/fuzz_sim $$(( $(FUZZ_SECONDS) / 2 ))
	@./scripts/fuzz.sh build-fuzz/bin/fuzz_http $$(( $(FUZZ_SECONDS) / 2 ))

bench: deps
	@cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release \
	    -DPLACER_TESTS=OFF -DPLACER_BENCH=ON >/dev/null
	@cmake --build build-release -j $(JOBS) -- --no-print-directory
	@build-release/bin/bench_load "$(CURDIR)"
	@build-release/bin/bench_analysis
	@build-release/bin/bench_plan 5
	@PLACER_SRC="$(CURDIR)" build-release/bin/bench_plan table 3 16 2 1
	@build-release/bin/bench_plan mesh 5 10 1
	@build-release/bin/bench_plan admit 400 1
	@build-release/bin/bench_packing "$(CURDIR)/bench/data" 10
	@build-release/bin/bench_packing "$(CURDIR)/bench/data" 10 t120 1
	@build-release/bin/bench_service build-release/bin 3
	@build-release/bin/bench_service build-release/bin 3 16
	@build-release/bin/bench_service build-release/bin fill 16 8 1
	@build-release/bin/bench_http build-release/bin 3 2
	@build-release/bin/bench_agents build-release/bin 200
	@build-release/bin/bench_simulate 10000 100 1
	@PLACER_SRC="$(CURDIR)" build-release/bin/bench_simulate examples 10000 1
	@if [ "$$(id -u)" -eq 0 ]; then \
	    GUARANTEE_FULL=1 tests/agent/test_guarantee.sh build-release/bin "$(CURDIR)" | \
	    sed -n '/^scenario/,$$p'; \
	else echo "bench: the guarantee scenarios need root (skipped)"; fi

FORMAT_FILES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null)

format:
	@clang-format -i $(FORMAT_FILES)

format-check:
	@out=$$(clang-format --dry-run $(FORMAT_FILES) 2>&1); \
	if [ -n "$$out" ]; then echo "$$out" | head -30; \
	    echo "format check failed: run 'make format'"; exit 1; fi; \
	echo "format check: $(words $(FORMAT_FILES)) files clean"

clean:
	rm -rf build build-test build-fuzz build-release
