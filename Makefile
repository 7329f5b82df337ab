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

.PHONY: all build run test go-test vet e2e bench chromium clean fuzz wasm-size cluster haproxy

all: build

build: bin/livefeed

# The wasm app: only app/ and shared/ go into it (no server code).
web/app.wasm: $(APPFILES)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o web/app.wasm ./app/cmd/wasm

# Compressed once here, served as they are (brotli to browsers that accept
# it, gzip to the others; see app/ui/static.go). Brotli -q 11 is a pure-Go
# encoder (server/internal/cmd/brotli), so the build needs nothing but Go;
# it takes about 50 s of CPU and 300 MB, once per wasm build
# (BROTLI_QUALITY=5 for quick local iterations: about 2 s, 15% larger).
BROTLI_QUALITY ?= 11

web/app.wasm.gz: web/app.wasm
	gzip -9 -n -k -f web/app.wasm

web/app.wasm.br: web/app.wasm
	$(GO) run ./server/internal/cmd/brotli -q $(BROTLI_QUALITY) web/app.wasm

# Where app.wasm's bytes go: its size raw, gzip -9 and brotli -q 11, then
# the code bytes per Go package of a build that keeps the function names
# (the shipped one is stripped). See docs/performance.md, "Browser app".
wasm-size: web/app.wasm.br web/app.wasm.gz
	@wc -c web/app.wasm web/app.wasm.gz web/app.wasm.br
	@mkdir -p bin
	GOOS=js GOARCH=wasm $(GO) build -trimpath -o bin/app-names.wasm ./app/cmd/wasm
	$(GO) run ./server/internal/cmd/wasmsize -n 30 bin/app-names.wasm

# The server embeds web/ (including app.wasm.br and app.wasm.gz), so the wasm
# is built first. Its version (go-app's update check) is the hash of the wasm
# and the sources.
bin/livefeed: web/app.wasm.br web/app.wasm.gz $(GOFILES) $(wildcard web/*)
	@mkdir -p bin
	$(GO) build -trimpath -ldflags "-X main.version=$$(cat web/* | sha256sum | cut -c1-12)" -o bin/livefeed ./server/cmd/livefeed

run: build
	./bin/livefeed serve --addr $(ADDR) --data $(DATA)

# A cluster on this machine, to try it (docs/operations.md, "A cluster"):
# 3 nats-server processes (built from the module at go.mod's version), 3
# livefeed nodes on them and HAProxy in front (Debian's, installed when
# missing), all on loopback. It prints the URL to open; Ctrl-C stops it.
CLUSTER_ADDR ?= $(ADDR)
CLUSTER_DIR  ?= $(DATA)/cluster

haproxy:
	@command -v haproxy >/dev/null || (apt-get update -qq && apt-get install -y -qq haproxy)

cluster: build haproxy
	$(GO) run ./server/internal/cmd/cluster -bin bin/livefeed -dir $(CLUSTER_DIR) -addr $(CLUSTER_ADDR)

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

# Debian's chromium, and a colour emoji font (without it reactions render as boxes).
chromium:
	@test -x $(CHROMIUM) && test -n "$$(fc-list 2>/dev/null | grep -i 'Noto Color Emoji')" || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji)

e2e/node_modules: e2e/package.json e2e/package-lock.json
	cd e2e && npm ci --no-audit --no-fund
	@touch e2e/node_modules

e2e: build chromium e2e/node_modules
	cd e2e && CI=$${CI:-} npx playwright test

# Fuzzing: every parser of outside bytes, FUZZTIME each, one after the other
# (make test replays the committed corpora, testdata/fuzz/, as plain tests).
# The inputs a run finds new coverage with are copied into testdata/fuzz/
# to be committed.
FUZZTIME ?= 60s
FUZZ_TARGETS := shared/protocol:FuzzDecode shared/protocol:FuzzCheckText shared/protocol:FuzzCheckName \
	shared/protocol:FuzzValidFeed server/auth:FuzzVerify server/wsframe:FuzzFrame \
	server/clientip:FuzzOf server/httpapi:FuzzAPIBodies app/ui:FuzzLinks

fuzz:
	@mkdir -p bin
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "== $$pkg $$fn ($(FUZZTIME))"; \
	  $(GO) test -run XXX -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) ./$$pkg/ > bin/fuzz-$$fn.log 2>&1; rc=$$?; \
	  grep -E '^fuzz: elapsed' bin/fuzz-$$fn.log | tail -1; grep -E '^(ok|FAIL|---)' bin/fuzz-$$fn.log; \
	  cache=$$($(GO) env GOCACHE)/fuzz/livefeed/$$pkg/$$fn; \
	  if [ -d $$cache ]; then mkdir -p $$pkg/testdata/fuzz/$$fn && cp -n $$cache/* $$pkg/testdata/fuzz/$$fn/; fi; \
	  [ $$rc -eq 0 ] || exit $$rc; \
	done

# Benchmarks; see docs/performance.md. `make bench` is short (about two
# minutes): the Go micro-benchmarks and one small fan-out run of the load
# generator (`livefeed bench`, one JSON object). The bench-* presets are the
# scenarios of docs/performance.md: the big ones take minutes and want a
# machine that does nothing else (-wait-quiet waits for one, up to a limit;
# other_cpu_percent in the JSON says how quiet it was).
BENCH_BIN   ?= bin/livefeed-bench
BENCH_FLAGS ?= -pin -wait-quiet 30s
BENCH_RUN   = $(BENCH_BIN) bench $(BENCH_FLAGS)

.PHONY: bench-ui bench-bin bench-go bench-idle bench-connect bench-fanout bench-ramp bench-feeds bench-storm bench-publish bench-publish-1 bench-table bench-page bench-floor bench-shard bench-all

# The harness and the server it starts are one binary; it does not need
# the wasm (the server then answers 503 for it).
bench-bin:
	@mkdir -p bin
	$(GO) build -o $(BENCH_BIN) ./server/cmd/livefeed

bench: bench-go bench-bin
	$(BENCH_RUN) -scenario quick-fanout-1k -clients 1000 -rate 10 -duration 10s

bench-go:
	$(GO) test -run XXX -bench . -benchtime 200x ./shared/protocol/ ./server/hub/
	$(GO) test -run XXX -bench 'Append' -benchtime 300x ./server/eventlog/
	$(GO) test -run XXX -bench 'Fanout' -benchtime 100x ./server/gateway/
	$(GO) test -run XXX -bench 'IdleConn' -benchtime 1x ./server/gateway/

# Idle capacity: memory per connection and connect rate, 1k/5k/10k.
bench-idle: bench-bin
	for n in 1000 5000 10000; do $(BENCH_RUN) -scenario idle-$$n -clients $$n -duration 0 -hold 10s || exit 1; done

# Broadcast fan-out: 5k and 10k subscribers of one feed, 10 events/s, 100 B and 1 KB.
bench-fanout: bench-bin
	for n in 5000 10000; do for p in 100 1000; do \
	  $(BENCH_RUN) -scenario fanout-$$n-$${p}B -clients $$n -payload $$p -rate 10 -duration 20s || exit 1; done; done

# Connects: 5,000 live subscriptions, then 1,000 into a feed of 100 and of
# 500 posts in snapshot mode (connect rate against snapshot size; the JSON's
# connect.server_cpu_ms_per_conn is the figure a busy machine moves least).
# Against Centrifugo: docs/performance.md, "Connects".
bench-connect: bench-bin
	$(BENCH_RUN) -scenario connect-live-5k -clients 5000 -duration 0 -settle 1s
	for p in 100 500; do $(BENCH_RUN) -scenario connect-snapshot-$$p -mode snapshot -posts $$p -clients 1000 -duration 0 -settle 1s || exit 1; done

# Saturation ramp: 1,000 subscribers, the rate raised until p99 > 250 ms,
# a loss or a slow-consumer cut.
bench-ramp: bench-bin
	$(BENCH_RUN) -scenario ramp-1k -clients 1000 -rates 10,20,50,100,200,400,800 -duration 10s

# Many feeds: each client in its own feed plus a shared one.
bench-feeds: bench-bin
	$(BENCH_RUN) -scenario feeds-5k -clients 5000 -feeds 5000 -shared -rate 200 -shared-rate 5 -duration 20s

# Reconnect storm: every client drops 10 s into publishing and comes back
# within 2 s, resuming from its position.
bench-storm: bench-bin
	$(BENCH_RUN) -scenario storm-5k -clients 5000 -rate 20 -duration 30s -storm -storm-at 10s -storm-spread 2s

# Durable publish throughput (the server's default --sync group; add
# BENCH_FLAGS='-pin -wait-quiet 30s -sync always' to compare): acknowledged
# posts per second over 16 feeds, and into one (bench-publish-1). 256 HTTP
# connections, so that the posts in flight (rate x ack latency) do not
# bound the rate the harness offers.
bench-publish: bench-bin
	$(BENCH_RUN) -scenario publish -clients 16 -feeds 16 -publishers 256 -rates 100,200,400,800,1600,3200,6400 -duration 10s -ramp-max-p99 1s

bench-publish-1: bench-bin
	$(BENCH_RUN) -scenario publish-1 -clients 1 -feeds 1 -publishers 256 -rates 500,1000,2000,4000,8000 -duration 10s -ramp-max-p99 1s

# How cost grows (docs/performance.md): p99 and CPU per delivery against
# subscribers (1k-10k of one feed, 100 B and 1 KB, 10 events/s) and against
# feeds (5,000 subscribers over 100 and 5,000 feeds, 200 posts/s), printed
# as the page's table; the runs' JSON in bin/bench-table.jsonl.
BENCH_TABLE = bin/bench-table.jsonl
bench-table: bench-bin
	rm -f $(BENCH_TABLE)
	for n in 1000 2000 5000 10000; do for p in 100 1000; do \
	  $(BENCH_RUN) -scenario table-$$n-$${p}B -clients $$n -payload $$p -rate 10 -duration 10s -out $(BENCH_TABLE) > /dev/null || exit 1; done; done
	for f in 100 5000; do \
	  $(BENCH_RUN) -scenario table-feeds-$$f -clients 5000 -feeds $$f -rate 200 -duration 10s -out $(BENCH_TABLE) > /dev/null || exit 1; done
	$(GO) run ./server/internal/cmd/benchtable $(BENCH_TABLE)

# The prerendered feed page a signed-in reader gets (app/ui/first-paint.go):
# its bytes, posts and the time to its first post's bytes, after 20 posts.
bench-page: bench-bin
	$(BENCH_RUN) -scenario first-paint -clients 10 -feeds 1 -rate 20 -duration 1s -page-loads 200

# A big feed's fan-out on 1 and 2 cores, alternating in one run (8,192
# subscribers over loopback TCP, 8 shards), against a bare send(2) floor
# over the same sockets: deliveries/s, CPU per delivery and their ratios.
bench-shard:
	$(GO) test -run XXX -bench ShardedFanout -benchtime 1x ./server/gateway/

# The floor under any fan-out here: only sends, 100 B to each of 5,000 and
# 9,000 loopback sockets, 10 passes/s (CPU per send, time per pass).
bench-floor:
	for n in 5000 9000; do $(GO) run ./server/internal/cmd/sendfloor -n $$n -send || exit 1; done

# The feed UI with 500 posts in headless Chromium (e2e/bench/ui.spec.ts):
# main-thread work per arriving post and per keystroke, long tasks, the
# first render; figures in e2e/artifacts/bench-ui.json. BENCH_TRACE=1 and
# BENCH_PROFILE=1 add where the time goes.
bench-ui: build chromium e2e/node_modules
	cd e2e && npx playwright test -c bench.config.ts

bench-all: bench-go bench-idle bench-connect bench-fanout bench-ramp bench-feeds bench-storm bench-publish bench-publish-1

clean:
	rm -rf bin web/app.wasm web/app.wasm.br web/app.wasm.gz e2e/artifacts e2e/test-results
