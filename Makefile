# The front door: a thin layer over CMake.
#   make          install missing Debian packages, then build
#   make test     ... and run every test (unit, integration as root, sanitizer build)
#   make up       ... and bring up examples/triangle.yaml
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE ?= cmake

.PHONY: all deps build test unit-test sanitize-test up down install clean format

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

test: build sanitize-test
	cd $(BUILD) && ctest --output-on-failure -j 1

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize-test: deps
	@$(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTOPO_SANITIZE=ON >/dev/null
	@$(CMAKE) --build $(ASAN_BUILD) -j $(JOBS) --target topo_unit_tests
	$(ASAN_BUILD)/topo_unit_tests --gtest_brief=1

up: build
	$(BUILD)/topo up examples/triangle.yaml
	@echo
	@echo "The lab is up. Look inside:"
	@echo "  ip netns list"
	@echo "  ip netns exec triangle-r1 ip addr"
	@echo "  ip netns exec triangle-r1 ping -c1 10.0.0.3      # r3's loopback, via r3 or r2"
	@echo "Take it down:"
	@echo "  $(BUILD)/topo down triangle"

install: build
	$(CMAKE) --install $(BUILD)

format:
	clang-format -i netlink/*.h netlink/*.cc topo/*.h topo/*.cc tests/*.cc

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
