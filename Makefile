# Veneer: `make dev` runs the worker locally in front of the demo storefront, with the console
# at /__veneer/ (it prints the URL and an admin token; `make dev ADMIN_TOKEN=<token>` picks it);
# `make test` runs every test. Both install what is missing first (see scripts/install-tools.sh).

SHELL := /bin/bash
PORT ?= 8787
ORIGIN ?=
ADMIN_TOKEN ?=
RULES ?= fixtures/rules/demo.json
DEMO_PORT ?= 8080

BIN := $(CURDIR)/node_modules/.bin
export WASM_BINDGEN_BIN := $(shell command -v wasm-bindgen 2>/dev/null || echo $(HOME)/.cargo/bin/wasm-bindgen)
export WASM_OPT_BIN := $(BIN)/wasm-opt
export ESBUILD_BIN := $(BIN)/esbuild

.PHONY: tools wasm console dev test test-native test-edge test-console lint

tools:
	@scripts/install-tools.sh

# The worker's two wasm modules, one Cargo feature each: the shop's (build/index.js +
# build/index_bg.wasm: visitors' pages, previews, /__veneer/collect), bundled into the entry,
# and the console's (edge/console/: its API, UI and publisher Durable Object), which
# edge/entry.mjs imports only when needed and wrangler uploads beside it (wrangler.toml). Both
# without the wasm's function names (KEEP_NAMES=1 keeps them, for the CPU profiles of
# bench/edge.mjs).
KEEP_NAMES ?=
wasm: tools
	worker-build --release -- --no-default-features --features shop
	worker-build --release -d edge/console -- --no-default-features --features console
	$(if $(KEEP_NAMES),,node scripts/strip-wasm-names.mjs build/index_bg.wasm)
	$(if $(KEEP_NAMES),,node scripts/strip-wasm-names.mjs edge/console/index_bg.wasm)

# The console's web UI (console/dist/__veneer/), bundled with esbuild; under a second.
console: tools
	npm run --silent build:console

dev: tools console
	@ADMIN_TOKEN="$(ADMIN_TOKEN)" scripts/dev.sh "$(PORT)" "$(ORIGIN)" "$(RULES)" "$(DEMO_PORT)"

test: export VENEER_NEED_BROWSER := 1
test: tools test-native wasm console test-edge test-console

test-native:
	cargo test --workspace --all-targets
	cargo test --doc

test-edge:
	node --test --test-concurrency=1 tests/edge/

# The console UI in Chromium against its mock API (console/dev-server.mjs).
test-console:
	npm run --silent test:console

lint:
	cargo fmt --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features shop -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features console -- -D warnings
