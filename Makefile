# Livefeed. `make run` serves the app; `make test` runs everything. Both
# install what they need (Debian's chromium, the e2e npm packages) when missing.

SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

GO      ?= go
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./data
GOFILES := $(shell find . -name '*.go' -not -path './e2e/*' -not -path './node_modules/*') go.mod go.sum
APPFILES := $(shell find app shared -name '*.go') go.mod go.sum
CHROMIUM ?= /usr/bin/chromium

.PHONY: all build run test go-test vet e2e bench chromium clean fuzz

all: build

build: bin/livefeed

# The wasm app: only app/ and shared/ go into it (no server code).
web/app.wasm: $(APPFILES)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o web/app.wasm ./app/cmd/wasm

web/app.wasm.gz: web/app.wasm
	gzip -9 -k -f web/app.wasm

# The server embeds web/ (including app.wasm.gz), so the wasm is built first.
# Its version (go-app's update check) is the hash of the wasm and the sources.
bin/livefeed: web/app.wasm.gz $(GOFILES) $(wildcard web/*)
	@mkdir -p bin
	$(GO) build -trimpath -ldflags "-X main.version=$$(cat web/* | sha256sum | cut -c1-12)" -o bin/livefeed ./server/cmd/livefeed

run: build
	./bin/livefeed serve --addr $(ADDR) --data $(DATA)

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app/... ./shared/...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (gofmt -l . ; echo "gofmt needed"; exit 1)

go-test: build vet
	$(GO) test -race -count=1 ./...
	# The storm (2,000 clients) and the chaos loop (200 clients, 5 SIGKILLs)
	# are built without -race (see their files).
	$(GO) test -count=1 -run 'Storm|Chaos' -v ./server/resilience/ 2>&1 | grep -E '^(---|ok|FAIL|PASS|panic)|storm|chaos|server:' 

test: go-test e2e

chromium:
	@test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium)

e2e/node_modules: e2e/package.json e2e/package-lock.json
	cd e2e && npm ci --no-audit --no-fund
	@touch e2e/node_modules

e2e: build chromium e2e/node_modules
	cd e2e && CI=$${CI:-} npx playwright test

# A short fuzzing run of the protocol decoder.
fuzz:
	$(GO) test -run XXX -fuzz FuzzDecode -fuzztime 60s ./shared/protocol/

bench:
	$(GO) test -run XXX -bench . -benchtime 2000x ./server/eventlog/

clean:
	rm -rf bin web/app.wasm web/app.wasm.gz e2e/artifacts e2e/test-results
