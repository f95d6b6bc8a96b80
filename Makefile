# pmfit — the two commands a fresh Debian 12 machine with Node 20 needs:
#   make demo   set everything up and crash-test the built-in scenarios
#   make test   set everything up and run the whole test suite (ava + c8 coverage)
# Both are idempotent: each step re-runs only when its inputs changed.

APT_PACKAGES := libpmem-dev libpmemobj-dev qemu-user gcc make binutils
BUILD := build
TS_SOURCES := $(shell find core icount harness scenarios reports test bench -name '*.ts' 2>/dev/null)
PMFIT := node bin/pmfit.js

.PHONY: all demo test build deps native allcounts bench clean

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

native: $(BUILD)/.apt-ok
	@$(MAKE) --no-print-directory tracer native-scenarios

build: deps dist/.tsbuildinfo native

demo: build
	@echo '== pmfit demo: the built-in scenarios, crash-tested at every event'
	$(PMFIT) run basic list-append
	@echo '== the buggy append must be caught (pmfit exits 1 on a finding):'
	@$(PMFIT) run list-append-buggy --model adr; status=$$?; \
	  if [ $$status -eq 1 ]; then echo '== caught, as expected'; else echo "== expected exit 1, got $$status"; exit 1; fi

test: build
	npx c8 ava

clean:
	rm -rf dist $(BUILD) coverage
