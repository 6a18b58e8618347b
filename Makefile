# Makefile - the two entry points from the README, and conveniences.
#   make demo   install what is missing, build, and show the main job on a throwaway vault
#   make test   install what is missing, build, and pass every test (also run by .ci/run)
JOBS ?= 2

.PHONY: all deps build demo test test-dev test-asan test-ubsan fuzz-smoke fuzz-long fault-sweep \
	crash-trials mcp-deps bench clean format-check format mutants coverage

all: build

deps:
	./scripts/deps.sh

build: deps
	cmake --preset ci >/dev/null
	cmake --build --preset ci -j$(JOBS)

mcp-deps: deps
	@if [ -f tests/mcp/package-lock.json ]; then \
		cd tests/mcp && npm ci --no-audit --no-fund --loglevel=error; fi

demo: build mcp-deps
	./scripts/demo.sh build/secretctl

# Fails when a C file drifts from .clang-format; `make format` fixes it.
format-check:
	./scripts/format-check.sh

format:
	./scripts/format-check.sh --fix

test-dev: format-check build mcp-deps
	ctest --preset ci -j$(JOBS)

test-asan: deps mcp-deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j$(JOBS)
	ctest --preset asan -j$(JOBS)

fuzz-smoke: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j$(JOBS)
	./scripts/fuzz-smoke.sh build-fuzz

# Not in CI: every fuzz target for FUZZ_SECONDS (default 600) each, growing
# the corpus kept in build-fuzz/corpus/; every I/O fault at every call; many
# kill -9 trials (CRASH_TRIALS per write command).
fuzz-long: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j$(JOBS)
	./scripts/fuzz-long.sh build-fuzz

fault-sweep: build
	./scripts/fault-sweep.sh build

CRASH_TRIALS ?= 100
crash-trials: build
	./scripts/crash-trials.sh -n $(CRASH_TRIALS)

test: test-dev test-asan test-ubsan fuzz-smoke
	@echo "make test: all suites passed"

# Mutation check (not in CI; see docs/TESTING.md): MUTANTS_TIER=1 for the
# critical part only.
mutants: deps mcp-deps
	./scripts/mutants.sh

# Line and branch coverage per directory (gcovr), the agent daemon included.
coverage: deps mcp-deps
	./scripts/coverage.sh

# UBSan alone keeps the real guarded allocator (ASan swaps it for malloc):
# the unit tests, secmem's among them, against the allocator that ships.
test-ubsan: deps
	cmake --preset ubsan >/dev/null
	cmake --build --preset ubsan -j$(JOBS)
	ctest --preset ubsan -j$(JOBS) -R '^(unit|fuzz)/'

bench: deps mcp-deps
	@for b in bench/*.sh; do echo "== $$b"; sh "$$b" || exit 1; done

clean:
	rm -rf build build-asan build-ubsan build-coverage build-fuzz build-release
