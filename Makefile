# KVPortal: `make run` starts the portal on the embedded defaults,
# `make test` runs every check and test.

GO ?= go
BIN := bin/portal

.PHONY: run build test generate templ-check vet fmt-check test-go fuzz bench clean

run: build
	$(BIN) serve --demo-users

build: generate
	$(GO) build -o $(BIN) ./cmd/portal

generate:
	$(GO) tool templ generate -path views >/dev/null

test: fmt-check templ-check vet test-go

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

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 -timeout 15m ./...

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzValidate -fuzztime=60s ./rkvstore

clean:
	rm -rf bin
