package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"strings"
	"time"

	"livefeed/server/bench"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// benchCmd runs the load generator (package bench) and prints its result as
// one JSON object. See docs/performance.md.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c bench.Config
	var serverArgs stringList
	var rates string
	pin := fs.Bool("pin", false, "pin the started server to CPU 0 and the load generator to CPU 1 (same as --server-cpus 0 --load-cpus 1)")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	compact := fs.Bool("compact", false, "print the JSON on one line")
	out := fs.String("out", "", "also append the JSON (one line) to this file")
	serverLog := fs.Bool("server-log", false, "copy the started server's log to stderr")
	fs.StringVar(&c.Scenario, "scenario", "custom", "name of the run in the output")
	fs.StringVar(&c.Target, "target", "livefeed", "the server at --server: livefeed, or centrifugo (connects only; see docs/performance.md, \"Connects\")")
	fs.StringVar(&c.CentrifugoSecret, "centrifugo-secret", "", "with --target centrifugo: its client.token.hmac_secret_key, to sign the clients' connection tokens")
	fs.StringVar(&c.Server, "server", "", "URL of a running server (127.0.0.0/8 only); default: start one with a fresh temporary data directory")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "pid of the --server process, for its RSS and CPU")
	fs.StringVar(&c.ServerBin, "server-bin", "", "livefeed binary to start (default: this one)")
	fs.Var(&serverArgs, "server-arg", "extra flag for the started server's serve (repeatable)")
	fs.StringVar(&c.DataDir, "data", "", "parent directory of the started server's data (default: a temporary directory, removed afterwards)")
	fs.StringVar(&c.Sync, "sync", "", `the started server's --sync ("group", the server's default, "always" or "periodic")`)
	fs.StringVar(&c.PprofAddr, "pprof", "", "start the server with --pprof ADDR (127.0.0.1:PORT)")
	fs.StringVar(&c.ProfileDir, "profile", "", "with --pprof: save the server's CPU profile of the publishing phase and heap profiles here")
	fs.DurationVar(&c.ConnectProfile, "connect-profile", 0, "with --pprof and --profile: also save a CPU profile of this long from the start of the connection phase")
	fs.StringVar(&c.ServerCPUs, "server-cpus", "", "pin the started server to these CPUs (taskset list, e.g. 0)")
	fs.StringVar(&c.LoadCPUs, "load-cpus", "", "pin the load generator to these CPUs (e.g. 1)")
	fs.IntVar(&c.Nice, "nice", 0, "nice value of the started server and the load generator (e.g. -10 on a machine shared with other work; needs privilege)")
	fs.IntVar(&c.ServerGOMAXPROCS, "server-gomaxprocs", 0, "GOMAXPROCS of the started server (default: Go's, the CPUs it may use)")
	fs.IntVar(&c.Clients, "clients", 1000, "client connections")
	fs.IntVar(&c.Feeds, "feeds", 1, "feeds the clients are spread over (client i follows feed i mod feeds)")
	subsPerFeed := fs.Int("subs-per-feed", 0, "subscribers per feed: sets --clients to feeds × this")
	fs.BoolVar(&c.Shared, "shared", false, `every client also follows the feed "shared"`)
	fs.Float64Var(&c.SharedRate, "shared-rate", 0, "events/s to the shared feed")
	fs.IntVar(&c.Users, "users", 0, "identities the clients sign in as (default min(clients, 100)); presence counts them")
	fs.StringVar(&c.Mode, "mode", "live", "how each client subscribes: live (no history) or snapshot (the feed's newest posts first; see --posts)")
	fs.IntVar(&c.Posts, "posts", 0, "posts of --payload bytes made in each feed before the clients connect (a snapshot carries up to 500)")
	fs.IntVar(&c.Payload, "payload", 100, "post text size in bytes")
	fs.Float64Var(&c.Rate, "rate", 10, "events/s over the feeds (round-robin), open-loop")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "publishing time (per step with --rates); 0: connect only")
	fs.StringVar(&rates, "rates", "", "saturation ramp: comma-separated rates, each for --duration, stopping after the first step with p99 over --ramp-max-p99, loss or a slow consumer")
	fs.DurationVar(&c.RampMaxP99, "ramp-max-p99", 250*time.Millisecond, "ramp: p99 that ends the ramp")
	fs.IntVar(&c.PageLoads, "page-loads", 0, "after publishing, fetch the first feed's page this many times as a signed-in reader: the prerendered first paint's bytes, posts and time to its first post")
	fs.DurationVar(&c.Hold, "hold", 0, "keep the clients connected and idle this long before publishing (measures idle CPU)")
	fs.DurationVar(&c.Settle, "settle", 3*time.Second, "pause between connecting and reading the server's RSS")
	fs.BoolVar(&c.Storm, "storm", false, "reconnect storm: drop clients during publishing; they reconnect and resume")
	fs.DurationVar(&c.StormAt, "storm-at", 0, "when to drop them (default: a third into publishing)")
	fs.Float64Var(&c.StormFraction, "storm-fraction", 1, "fraction of the clients dropped")
	fs.DurationVar(&c.StormSpread, "storm-spread", time.Second, "each dropped client comes back after a delay drawn from [0, this]")
	fs.IntVar(&c.ConnectConcurrency, "connect-concurrency", 64, "connections being opened at once")
	fs.IntVar(&c.SourceIPs, "source-ips", 0, "127.0.0.x source addresses to spread the clients over (default: one per 15,000 clients)")
	fs.IntVar(&c.Publishers, "publishers", 16, "HTTP connections that publish")
	fs.IntVar(&c.MaxInflight, "max-inflight", 1024, "unanswered posts before the publisher falls behind its schedule")
	fs.DurationVar(&c.Drain, "drain", 3*time.Second, "after the last post, wait this long without new deliveries before counting losses")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Minute, "bound on the whole run")
	fs.DurationVar(&c.WaitQuiet, "wait-quiet", 0, "wait up to this long, before connecting and before publishing, until other processes use under --quiet-percent of a CPU")
	fs.Float64Var(&c.QuietPercent, "quiet-percent", 10, "see --wait-quiet")
	fs.BoolVar(&c.BusyPoll, "busy-poll", false, "the load generator polls its sockets without sleeping: removes the cost of waking its CPU from the server's figures (loopback artefact; see docs/performance.md)")
	fs.IntVar(&c.ReadBuffer, "read-buffer", 4096, "each client's read buffer in bytes")
	fs.StringVar(&c.Transport, "transport", "ws", "how the clients connect: ws, or stream or poll (the HTTP transport)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	if *pin {
		if c.ServerCPUs == "" {
			c.ServerCPUs = "0"
		}
		if c.LoadCPUs == "" {
			c.LoadCPUs = "1"
		}
	}
	if *subsPerFeed > 0 {
		c.Clients = c.Feeds * *subsPerFeed
	}
	c.ServerArgs = serverArgs
	for r := range strings.SplitSeq(rates, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		f, err := strconv.ParseFloat(r, 64)
		if err != nil || f <= 0 {
			return fmt.Errorf("--rates: bad rate %q", r)
		}
		c.Rates = append(c.Rates, f)
	}
	if c.Server != "" && (c.ServerCPUs != "" || c.PprofAddr != "") {
		return fmt.Errorf("--server-cpus and --pprof apply to a server the harness starts, not to --server")
	}
	if !*quiet {
		c.Log = stderr
	}
	if *serverLog {
		c.ServerLog = stderr
	}
	res, err := bench.Run(ctx, c)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	if !*compact {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(res); err != nil {
		return err
	}
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		return json.NewEncoder(f).Encode(res)
	}
	return nil
}

// startPprof serves the net/http/pprof handlers on addr (serve --pprof), on
// their own listener so that they are never reachable through the public
// address. Empty addr: nothing.
func startPprof(addr string, lg *slog.Logger) error {
	if addr == "" {
		return nil
	}
	// Profiles show the program's memory and what it runs: never on an
	// address others can reach.
	if host, _, err := net.SplitHostPort(addr); err != nil || !isLoopback(host) {
		return fmt.Errorf("--pprof %q: only a loopback address (127.0.0.1:PORT, [::1]:PORT, localhost:PORT)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	lg.Info("pprof", "addr", ln.Addr().String())
	go http.Serve(ln, mux)
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
