# KVPortal: `make run` starts the portal on the embedded defaults,
# `make test` runs every check and test.

GO ?= go
BIN := bin/portal

.PHONY: chart-test client-check openapi run build test screenshots generate templ-check vet fmt-check test-go fuzz bench bench-scale bench-build compat clean

run: build
	@echo "==> starting the portal: embedded Postgres, built-in cloud simulator"
	$(BIN) serve --demo-users

# A cold build downloads and compiles every dependency without a word from
# go: say so first.
# Built without cgo, as the Dockerfile builds the image's binary: the portal
# needs no C code (the pure Go resolver and user lookup serve it), and a
# static binary maps no C library into every process (about 1.5 MB of
# resident memory).
build: generate
	@echo "==> compiling bin/portal (the first build takes a minute or two; later ones seconds)"
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/portal
	CGO_ENABLED=0 $(GO) build -o bin/kvportal ./cmd/kvportal

# templ's progress lines go to stderr: shown only when it fails.
generate:
	@echo "==> generating the page templates (templ)"
	@out=$$($(GO) tool templ generate -path views 2>&1) || { echo "$$out"; exit 1; }

test: fmt-check templ-check client-check vet test-go chart-test

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# The committed *_templ.go files must be what templ generates from the .templ
# sources: generate into a copy and compare.
templ-check:
	@tmp=$$(mktemp -d); cp -r views $$tmp/; \
	$(GO) tool templ generate -path $$tmp/views >/dev/null 2>&1 || { echo "templ generate failed"; rm -rf $$tmp; exit 1; }; \
	if ! diff -r -q views $$tmp/views >/dev/null; then \
		echo "views/*_templ.go are stale: run 'make generate' and commit the result"; diff -r -q views $$tmp/views; rm -rf $$tmp; exit 1; fi; \
	rm -rf $$tmp

# The committed client/client.gen.go must be what oapi-codegen makes of the
# committed client/openapi.json (which a test keeps equal to the served one).
client-check:
	@tmp=$$(mktemp -d); cp client/oapi-codegen.yaml client/openapi.json $$tmp/; \
	$(GO) build -o $$tmp/oapi-codegen github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen && \
	(cd $$tmp && ./oapi-codegen -config oapi-codegen.yaml openapi.json) || { echo "oapi-codegen failed"; rm -rf $$tmp; exit 1; }; \
	if ! cmp -s $$tmp/client.gen.go client/client.gen.go; then \
		echo "client/client.gen.go is stale: run 'make openapi' and commit the result"; rm -rf $$tmp; exit 1; fi; \
	rm -rf $$tmp

vet:
	$(GO) vet ./...

# Tests skipped for something the machine lacks (Chromium, the Postgres
# binaries, pgbouncer) note it in PORTAL_TEST_SKIPS; it is said last, whatever the
# outcome, where it can't be missed.
test-go:
	@skips=$$(mktemp); status=0; \
	PORTAL_TEST_SKIPS=$$skips $(GO) test -race -count=1 -timeout 30m ./... || status=$$?; \
	sort -u $$skips | while IFS= read -r why; do echo; echo "!!!!!!!! SKIPPED $$why !!!!!!!!"; done; \
	rm -f $$skips; exit $$status

# The Helm chart (deploy/helm/kvportal), rendered, linted and checked with
# Helm's Go SDK, offline. deploy/ is a module of its own so that Helm and the
# Kubernetes API types stay out of the portal's go.mod; the root's ./...
# patterns don't reach into it, hence its own vet and test.
chart-test:
	@echo "==> checking the Helm chart (deploy/helm/kvportal)"
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 ./...

# The README's pictures (docs/screenshots): the walkthrough test in
# Chromium, at 1366x900 and 390x844.
screenshots:
	@echo "==> taking the README's pictures in Chromium into docs/screenshots"
	PORTAL_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestBrowserWalkthrough$$' ./web

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzValidate -fuzztime=60s ./rkvstore

# Benchmarks: not part of `make test`. Installs wrk when absent,
# builds the portal and the baseline page, runs every workload (about 14
# minutes on 2 cores) and rewrites BENCHMARKS.md. BENCH_FLAGS passes flags to
# bench/cmd/benchrun, e.g. BENCH_FLAGS='-only 1,7 -runs 3 -duration 10s'.
BENCH_FLAGS ?=

bench: bench-build
	$(GO) run ./bench/cmd/benchrun $(BENCH_FLAGS)

# Does the portal answer as fast at ten times the data? Seeds 1M requests
# and 5M audit events, measures the pages that read them, grows the same
# database to 10M and 50M, restarts the portal and measures again; writes
# its own section of BENCHMARKS.md, which `make bench` keeps. About 30-60
# minutes on 2 cores, and about 30 GB free in the temporary directory.
# BENCH_FLAGS as above, e.g. BENCH_FLAGS='-scale-base 20000' for a quick try.
bench-scale: bench-build
	$(GO) run ./bench/cmd/benchrun -scale $(BENCH_FLAGS)

bench-build: build
	@command -v wrk >/dev/null 2>&1 || { echo "installing wrk"; \
		(apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null)) \
		|| { echo "wrk is needed: apt-get install wrk"; exit 1; }; }
	$(GO) build -o bin/basepage ./bench/cmd/basepage

# The official Node SDK for R-KVStore (signature version 3) against `portal
# sim`: not part of `make test`. Installs the SDK with npm into bin/compat on
# first use (Node.js and npm needed), then runs compat/compat.mjs.
compat: build
	./compat/run.sh $(BIN) bin/compat

clean:
	rm -rf bin

# The API's description as served, into client/openapi.json, and the Go
# client generated from it (a test fails while either is stale).
openapi:
	PORTAL_UPDATE_OPENAPI=1 $(GO) test -count=1 -run '^TestCommittedOpenAPIIsServed$$' ./api
	cd client && $(GO) generate ./...
