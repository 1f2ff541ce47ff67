# Team gateway: Terraform module + Rust Lambda authorizer.
# Slow builds are cached outside the clone so CI on a fresh clone stays warm.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# scripts/lib.sh sets the same paths for scripts run on their own; scripts/versions.env
# holds every pinned tool version.
CACHE_DIR        ?= $(HOME)/.cache/team-gateway
export CARGO_TARGET_DIR ?= $(CACHE_DIR)/cargo-target
export GOCACHE          ?= $(CACHE_DIR)/go-build
export GOMODCACHE       ?= $(CACHE_DIR)/go-mod
export TOOLS_BIN        ?= $(CACHE_DIR)/bin
export KAFKA_HOME_CACHE ?= $(CACHE_DIR)/kafka
export KAFKA_BOOTSTRAP  ?= 127.0.0.1:9092
export PATH := $(TOOLS_BIN):$(HOME)/.cargo/bin:$(PATH)
# librdkafka's cmake build needs an (empty) <curl/curl.h> (see authorizer/.cargo/config.toml).
# A path that is the same in every clone keeps the C dependencies' build cache warm.
# scripts/build-lambda.sh keeps it out of cargo-lambda's environment (cargo-lambda 1.9.2
# panics when it is set); cargo then takes the stub from authorizer/.cargo/config.toml.
export C_INCLUDE_PATH := $(CACHE_DIR)/stub-include
$(shell mkdir -p $(CACHE_DIR)/stub-include/curl && touch $(CACHE_DIR)/stub-include/curl/curl.h)

CARGO      := cargo
CRATE      := authorizer
RELEASE    := $(CARGO_TARGET_DIR)/release
AUTHZ      := $(RELEASE)/authz
BOOTSTRAP  := $(RELEASE)/bootstrap

.PHONY: help demo demo-up demo-down test tools build release build-native policy-layer lint rust-test conformance schema \
        kafka-up kafka-down integration validate go-test bench clean fuzz fuzz-smoke ts-test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

demo: build-native ## the local demo: Kafka, authorizer under a Lambda emulator, a token, a policy change
	@bash scripts/demo.sh run

demo-up: build-native ## start the demo gateway and leave it running
	@bash scripts/demo.sh up

demo-down: ## stop everything demo-up started
	@bash scripts/demo.sh down

test: tools lint rust-test fuzz-smoke conformance ts-test schema integration validate go-test ## everything CI runs
	@echo "make test: all suites passed"

tools: ## install the toolchain this repo needs (idempotent, cached)
	@bash scripts/tools.sh

build-native: ## release build of authz and bootstrap for this machine
	cd $(CRATE) && $(CARGO) build --release --locked --bins

build: ## the Lambda zip (arm64, provided.al2023) at dist/bootstrap-arm64.zip
	@bash scripts/build-lambda.sh arm64

release: ## both Lambda zips, SHA256SUMS, SBOMs and modules/authorizer/release.json (docs/release.md)
	@bash scripts/release.sh

policy-layer: build-native ## the baked-policy layer zip: make policy-layer POLICY=policy.json [OUT=dist/policy-layer.zip]
	@bash scripts/build-policy-layer.sh "$(POLICY)" $(OUT)

lint: ## cargo fmt and clippy, warnings are errors
	cd $(CRATE) && $(CARGO) fmt --all -- --check
	cd $(CRATE) && $(CARGO) clippy --release --locked --all-targets -- -D warnings

rust-test: ## unit, property and conformance tests (no broker needed)
	cd $(CRATE) && $(CARGO) test --release --locked

fuzz-smoke: ## a short run of every fuzz target (cargo-fuzz, nightly)
	@bash scripts/fuzz.sh smoke

fuzz: ## every fuzz target for longer (FUZZ_SECONDS per target, default 600)
	@bash scripts/fuzz.sh long

conformance: build-native ## run every decision case through the authz CLI
	$(AUTHZ) conformance conformance/

ts-test: build-native ## the TypeScript build: lint, typecheck, bundle, unit and parity tests, conformance
	@bash scripts/ts-test.sh

schema: ## the JSON Schemas against every policy in the repo and sample events
	@python3 scripts/schema-check.py

kafka-up: ## start a local Apache Kafka (KRaft) and print its bootstrap address
	@bash scripts/kafka.sh up

kafka-down: ## stop the local Kafka
	@bash scripts/kafka.sh down

integration: build-native ## policy-stream tests against a real broker
	@bash scripts/integration.sh

validate: ## Terraform: fmt, validate, test, tflint, checkov, docs
	@bash scripts/tf-check.sh

go-test: build-native ## terratest-style Go tests (binary + emulator + broker)
	@bash scripts/go-test.sh

bench: build-native ## criterion benchmarks and end-to-end measurements
	@bash scripts/bench.sh

clean: ## remove build outputs from the cache
	rm -rf $(CARGO_TARGET_DIR) dist
