# pmfit — the two commands a fresh Debian 12 machine with Node 20 needs:
#   make demo   set everything up and crash-test the built-in scenarios
#   make test   set everything up and run the whole test suite (ava + c8 coverage)
# Both are idempotent: each step re-runs only when its inputs changed.

APT_PACKAGES := libpmem-dev libpmemobj-dev qemu-user gcc make binutils
# Only the test suite needs a browser (the HTML report is rendered in headless Chromium).
TEST_APT_PACKAGES := chromium
BUILD := build
TS_SOURCES := $(shell find core icount harness scenarios reports test bench -name '*.ts' 2>/dev/null)
PMFIT := node bin/pmfit.js

.PHONY: all demo test coverage lint build deps native allcounts bench clean pack clients

# A crash test that must find its bug: pmfit exits 1 on a finding, anything else is a failure.
expect-finding = @$(PMFIT) $(1); status=$$?; \
	if [ $$status -eq 1 ]; then echo '== caught, as expected'; else echo "== expected exit 1 (a finding), got $$status"; exit 1; fi

# allcounts of one native scenario program: $(1) program, $(2) pool size, $(3) run arguments
allcounts-of = $(PMFIT) allcounts -j 2 --pool $(BUILD)/allcounts-$(1).pool --size $(2) \
	--init '$(BUILD)/scenarios/$(1) init {pool}' --check '$(BUILD)/scenarios/$(1) check {pool}' \
	-- $(BUILD)/scenarios/$(1) run {pool} $(3)

all: build

$(BUILD)/.apt-ok: tools/ensure-packages.sh
	@mkdir -p $(BUILD)
	@tools/ensure-packages.sh $(APT_PACKAGES)
	@touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(BUILD)/.apt-ok node_modules/.package-lock.json

dist/.tsbuildinfo: $(TS_SOURCES) tsconfig.json node_modules/.package-lock.json
	npx tsc -p tsconfig.json
	@touch $@

# The native parts: the QEMU tracer plugin and its helpers, and the C scenarios.
include icount/icount.mk
include scenarios/native/native.mk
include harness/check/fork-server/fork-server.mk
include test/clients/clients.mk

native: $(BUILD)/.apt-ok
	@$(MAKE) --no-print-directory tracer native-scenarios fork-server

build: deps dist/.tsbuildinfo native

demo: build
	@echo '== pmfit demo: built-in TS scenarios, crash-tested at every event'
	$(PMFIT) run basic list-append
	@echo '== the buggy append (link persisted before its node) must be caught:'
	$(call expect-finding,run list-append-buggy --model adr)
	@echo '== allcounts of the seed'"'"'s basic example (C, traced once under QEMU):'
	$(call allcounts-of,basic,4096,)
	@echo '== a real check of C code: the word-count tree on a crash-safe allocator, then its buggy twin'
	$(PMFIT) run native/binarytree --quiet --report text=-
	$(call expect-finding,run native/binarytree-buggy --model adr --strategy strict)

allcounts: build
	$(call allcounts-of,basic,4096,)
	$(call allcounts-of,binarytree,65536,the quick brown fox jumps over the lazy dog)

$(BUILD)/.apt-test-ok: tools/ensure-packages.sh
	@mkdir -p $(BUILD)
	@tools/ensure-packages.sh $(TEST_APT_PACKAGES)
	@touch $@

# Format and lint (biome), one-way imports between the flow's folders, and the tracer's C warnings.
lint: deps
	npx biome check
	node tools/check-layers.mjs

# The suite without coverage instrumentation: V8 coverage in every pmfit process the e2e tests
# start costs a quarter more CPU, which `make test` cannot afford within its five minutes.
# NODE_EXTRA_CA_CERTS (set on some machines, this one included) makes every Node process read a CA
# bundle as it starts: ~50 ms of CPU each, over the ~1,000 Node processes of the suite. No test and no
# pmfit process makes a TLS connection; npm (test/e2e/package.test.ts) gets it back from
# PMFIT_TEST_CA_CERTS in case it must reach the registry.
test: build $(BUILD)/.apt-test-ok lint
	PMFIT_TEST_CA_CERTS="$$NODE_EXTRA_CA_CERTS" NODE_EXTRA_CA_CERTS= npx ava

# The same suite under c8: line and branch coverage of every process it starts.
coverage: build $(BUILD)/.apt-test-ok
	npx c8 ava

# The libpmemobj client corpus (test/clients/): every map and its buggy twin crash-tested (minutes).
clients: build clients-build
	PMFIT_CLIENTS=1 npx ava --timeout=45m dist/test/e2e/libpmemobj-clients.test.js

# Benchmarks print their figures and write bench/results/*.json with the machine noted.
bench: build
	node dist/bench/engine.js
	node dist/bench/compact-trace.js
	node dist/bench/checks.js
	node dist/bench/scaling.js
	node dist/bench/tracer.js
	node dist/bench/compare.js
	node dist/bench/threads.js
	node dist/bench/pipeline.js

clean:
	rm -rf dist $(BUILD) coverage

# The installable package: compiled JS and the C sources (see README, Installing).
pack: build
	npm pack
