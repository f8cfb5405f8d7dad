# Thin wrapper over CMake. `make run` and `make test` are the two commands a newcomer needs.
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
WERROR     ?= OFF
CMAKE_ARGS ?=

PREFIX     ?= /usr

.PHONY: all deps build install run test test-unit test-integration test-asan sanitize-build test-sanitizers test-sanitizers-ci fuzz fuzz-long bench bench-portal bench-proxy soak format format-check tidy clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSHELTER_WERROR=$(WERROR) $(CMAKE_ARGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Lays out shelterd, the tools, the systemd unit and the docs under PREFIX (DESTDIR honoured);
# docs/operations.md#install-layout.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# Starts shelterd in the foreground on loopback with the embedded defaults (no config file).
run: build
	@bash scripts/run-demo.sh $(BUILD)/proxy/shelterd

# Builds everything and runs every test (unit and integration) through ctest.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

test-integration: build
	cd $(BUILD) && ctest --output-on-failure -L integration

# Address and undefined-behaviour sanitizers, in a build tree of their own: every test.
test-asan: deps
	$(MAKE) test BUILD=build-asan BUILD_TYPE=Debug CMAKE_ARGS="-DSHELTER_SANITIZE=ON"

# The unit tests alone under ASan + UBSan (CI runs the `sanitize-ci` set): only the unit-test
# binaries are built, at -O1 as ASan advises and with line tables only (-g1), which compiles in about half
# the time of -O0 -g and still names file:line in every report.
SANITIZE_BUILD ?= build-sanitize
SANITIZE_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# SANITIZE_SET picks the tests: `unit` (every unit test) or `sanitize-ci` (the parsers and the
# pure decision code, which CI runs: see tests/CMakeLists.txt).
SANITIZE_SET ?= unit
SANITIZE_TARGET = $(if $(filter sanitize-ci,$(SANITIZE_SET)),unit-tests-ci,unit-tests)
SANITIZE_FILTER = $(if $(filter sanitize-ci,$(SANITIZE_SET)),-R "$$(cat sanitize-ci-tests.regex)")
sanitize-build: deps
	cmake -S . -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" \
	  -DSHELTER_SANITIZE=ON -DSHELTER_WERROR=$(WERROR)
	cmake --build $(SANITIZE_BUILD) -j $(JOBS) --target $(SANITIZE_TARGET)

test-sanitizers: sanitize-build
	cd $(SANITIZE_BUILD) && $(SANITIZE_ENV) ctest --output-on-failure --no-tests=error -j $(JOBS) \
	  -L unit $(SANITIZE_FILTER)

# What CI runs under the sanitizers (.ci/run): the parsers' and the decision code's unit tests.
test-sanitizers-ci:
	$(MAKE) test-sanitizers SANITIZE_SET=sanitize-ci

# libFuzzer targets (clang), each run for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHELTER_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS) --target fuzzers
	bash scripts/run-fuzzers.sh build-fuzz $(FUZZ_SECONDS)

# The long run behind docs/fuzzing.md: each target until FUZZ_LONG_RUNS executions or
# FUZZ_LONG_SECONDS, one at a time, at the lowest priority; the parsers most exposed to the
# network first. Not part of `make test`.
FUZZ_LONG_RUNS    ?= 10000000
FUZZ_LONG_SECONDS ?= 600
FUZZ_LONG_TARGETS ?= dns_message client_hello http_head url list_parser http_response \
	http_chunked http_cookie http_form resp steering token portal_session case_record snapshot \
	time_zone config
fuzz-long: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHELTER_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS) --target fuzzers
	nice -n 19 bash scripts/run-fuzzers.sh build-fuzz $(FUZZ_LONG_SECONDS) $(FUZZ_LONG_RUNS) $(FUZZ_LONG_TARGETS)

# Whole-program DNS benchmark (dnsperf) against shelterd, unbound and dnsdist, the list engine
# under snapshot swaps, plus micro-benchmarks.
bench: build
	bash scripts/bench-dns.sh $(BUILD)
	bash scripts/bench-reload.sh $(BUILD)
	bash scripts/bench-profiles.sh $(BUILD)
	bash scripts/bench-list-updates.sh $(BUILD)
	bash scripts/bench-web.sh $(BUILD)
	bash scripts/bench-portal.sh $(BUILD)
	$(BUILD)/tests/bench/blocklist_bench --benchmark_min_time=0.5
	$(BUILD)/tests/bench/schedule_bench --benchmark_min_time=0.5
	$(BUILD)/tests/bench/profiles_bench --benchmark_min_time=0.5
	$(BUILD)/tests/bench/forwarder_bench
	$(BUILD)/tests/bench/list_updates_bench --benchmark_repetitions=3 --benchmark_min_time=0.5
	$(BUILD)/tests/bench/health_board_bench --benchmark_repetitions=3 --benchmark_min_time=0.3
	$(BUILD)/tests/bench/client_hello_bench --benchmark_repetitions=3 --benchmark_min_time=0.5
	MODE=query-log LIST_SIZE=1000 bash scripts/bench-dns.sh $(BUILD)
	$(BUILD)/tests/bench/query_log_bench --benchmark_repetitions=3

# The parents' portal against nginx (its family page), its changes against the fsync floor,
# and a sign-in's cost.
bench-portal: build
	bash scripts/bench-portal.sh $(BUILD)

# The filtering proxy against squid (+ squidGuard) and e2guardian (not part of `make bench` yet);
# `make bench-proxy PEERS_ONLY=1` runs the peers alone.
bench-proxy: build
	bash scripts/bench-proxy.sh $(BUILD)/proxy/shelterd

# Soak (not part of `make test` or `make bench`): dnsperf at saturation for SOAK_SECONDS with a
# reload every 5 s and a Redis restart in the middle, RUNS times; fails on a crash, a reload not
# in force, an unclean stop or RSS growth (docs/BENCHMARKS.md, section 16).
SOAK_SECONDS ?= 60
RUNS         ?= 3
soak: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target shelterd
	SOAK_SECONDS=$(SOAK_SECONDS) RUNS=$(RUNS) bash scripts/soak.sh $(BUILD)

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

format-check:
	git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror

# clang-tidy (bugprone, performance, modernize; see .clang-tidy) over the library sources.
tidy: build
	git ls-files 'blocklist/*.cc' 'policy/*.cc' 'proxy/*.cc' | xargs -n 1 clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf build build-asan build-sanitize build-fuzz
