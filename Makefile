# The front door: a thin layer over CMake.
#   make          install missing Debian packages, then build
#   make test     ... and run every test (unit, integration as root, sanitizer build)
#   make up       ... and bring up examples/triangle.yaml
#   make deb      ... and the Debian package (build/topo_VERSION-1_ARCH.deb)
#   make install  ... and install it under PREFIX (default /usr/local), DESTDIR respected
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS ?= $(shell nproc)
# Debug information of lines and functions only: what a backtrace and a sanitizer's report
# show, at two thirds of the compile time of -g (make test builds topo three times).
LINES_ONLY ?= -g1
CMAKE ?= cmake

.PHONY: all deps build test sanitize-test tsan-test fuzz bench up install deb deb-check build-types clean format

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOPO_WERROR=ON \
		-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(LINES_ONLY) -O2 -DNDEBUG" >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

test: build sanitize-test tsan-test fuzz
	cd $(BUILD) && ctest --output-on-failure -j 1

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize-test: deps
	@$(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTOPO_SANITIZE=ON -DTOPO_WERROR=ON \
		-DCMAKE_CXX_FLAGS_DEBUG="$(LINES_ONLY)" >/dev/null
	@$(CMAKE) --build $(ASAN_BUILD) -j $(JOBS) --target topo_unit_tests
	$(ASAN_BUILD)/topo_unit_tests --gtest_brief=1

# ThreadSanitizer: the unit tests, and (as root) the integration tests of up, change and down,
# whose topo binaries are built with it too (namespaces are made on several threads, /etc/netns
# links on another). A race makes the binary exit non-zero, and so the test fail.
TSAN_TESTS ?= Up.*:Change.*:RouteWatchKernel*
tsan-test: deps
	@$(CMAKE) -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTOPO_TSAN=ON -DTOPO_WERROR=ON \
		-DCMAKE_CXX_FLAGS_DEBUG="$(LINES_ONLY)" >/dev/null
	@$(CMAKE) --build $(TSAN_BUILD) -j $(JOBS) --target topo topo-core topo_unit_tests \
		topo_race_tests
	TSAN_OPTIONS=halt_on_error=1 $(TSAN_BUILD)/topo_unit_tests --gtest_brief=1
	TSAN_OPTIONS=halt_on_error=1 $(TSAN_BUILD)/topo_race_tests --gtest_brief=1 \
		--gtest_filter='$(TSAN_TESTS)'

# The loader and validator under libFuzzer (clang), seeded with the examples, for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
# The fuzzer builds the language layer and the model under it: every .cc of those two folders,
# each to an object of its own (on every core: one clang for all of them takes twice as long).
FUZZ_SOURCES = tests/fuzz_loader.cc $(wildcard topo/language/*.cc) $(wildcard topo/model/*.cc)
FUZZ_OBJECTS = $(patsubst %.cc,$(BUILD)/fuzz-obj/%.o,$(FUZZ_SOURCES))
FUZZ_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all
$(BUILD)/fuzz-obj/%.o: %.cc $(wildcard topo/language/*.h topo/model/*.h)
	@mkdir -p $(dir $@)
	@clang++ -std=c++20 -I. $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(BUILD)/fuzz_loader: $(FUZZ_OBJECTS)
	@clang++ $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_OBJECTS) -o $@ -lyaml-cpp -lfmt

fuzz: deps
	@$(MAKE) --no-print-directory -j $(JOBS) $(BUILD)/fuzz_loader
	@mkdir -p $(BUILD)/fuzz-corpus
	@cp examples/*.yaml $(BUILD)/fuzz-corpus/
	@$(BUILD)/fuzz_loader -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
		-artifact_prefix=$(BUILD)/fuzz- -print_final_stats=1 $(BUILD)/fuzz-corpus \
		>$(BUILD)/fuzz.log 2>&1 || { tail -n 60 $(BUILD)/fuzz.log; echo "fuzz: FAILED"; exit 1; }
	@echo "fuzz: $$(grep -c . $(BUILD)/fuzz.log) lines of log, no crash in $(FUZZ_SECONDS) s:" \
		"$$(grep -o 'stat::number_of_executed_units: *[0-9]*' $(BUILD)/fuzz.log)"

# Every CMake build type with Debian 12's GCC and clang, as someone packaging topo builds it
# (warnings are not errors there): topo and topo-core, in build-types/<compiler>-<type>.
BUILD_TYPES ?= Debug Release RelWithDebInfo MinSizeRel
build-types: deps
	@for cxx in g++ clang++; do for type in $(BUILD_TYPES); do \
		dir=build-types/$$cxx-$$type; \
		CXX=$$cxx $(CMAKE) -S . -B $$dir -DCMAKE_BUILD_TYPE=$$type -DBUILD_TESTING=OFF >/dev/null && \
		$(CMAKE) --build $$dir -j $(JOBS) --target topo topo-core >$$dir.log 2>&1 && \
		echo "$$cxx $$type: built ($$(grep -c 'warning:' $$dir.log) warnings)" || \
		{ tail -n 20 $$dir.log; echo "$$cxx $$type: FAILED"; exit 1; }; \
	done; done

# topo against ../shared/bench/floor.sh and iproute2, and a chain split over two simulated hosts
# against one, as root (see bench/run.sh).
bench: build
	bash bench/run.sh

up: build
	$(BUILD)/topo up examples/triangle.yaml
	@echo
	@echo "The lab is up. Look inside:"
	@echo "  ip netns list"
	@echo "  ip netns exec triangle-r1 ip addr"
	@echo "  ip netns exec triangle-r1 ping -c1 10.0.0.3      # r3's loopback"
	@echo "  $(BUILD)/topo exec triangle r1 -- ping -c1 r3     # names resolve in every node"
	@echo "Take it down:"
	@echo "  $(BUILD)/topo down triangle"

PREFIX ?= /usr/local
install: build
	DESTDIR="$(DESTDIR)" $(CMAKE) --install $(BUILD) --prefix "$(PREFIX)"

# The package: what `make install` places, under /usr (cmake/packaging.cmake).
deb: build
	cd $(BUILD) && cpack -G DEB >/dev/null && ls topo_*.deb

# The package checked as a new user meets it (scripts/deb-check.sh; root, network for apt).
deb-check: deb
	sh scripts/deb-check.sh $(BUILD)

format:
	clang-format -i netlink/*.h netlink/*.cc topo/*.cc topo/*/*.h topo/*/*.cc tests/*.cc tests/*/*.h tests/*/*.cc

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
