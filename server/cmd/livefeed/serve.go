package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"livefeed/server/clientip"
	"livefeed/server/eventlog"
	"livefeed/server/feed"
	"livefeed/server/gateway"
	"livefeed/server/httpapi"
	"livefeed/server/netlimit"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// Connection timeouts of the HTTP server (a request's body has its own,
// httpapi.RequestReadTimeout): a client must send its request headers
// within readHeaderTimeout, and a keep-alive connection with no request is
// closed after idleTimeout.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 60 * time.Second
)

// newApp returns the PWA handler for a version and the public URL (nil
// when --public-url is not set), its pages prerendered for their reader
// with firstPaint (node.Node.FirstPaint); set by app.go.
var newApp func(version string, public *url.URL, firstPaint firstPaintFunc) http.Handler

// firstPaintFunc is node.Node.FirstPaint's (and ui.FirstPaintFunc's) type.
type firstPaintFunc = func(r *http.Request, feed string, maxPosts, maxBytes int) (protocol.User, protocol.Snapshot, bool, bool)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var env envNumbers
	addr := fs.String("addr", envOr("LIVEFEED_ADDR", "127.0.0.1:8080"), "listen address (env LIVEFEED_ADDR)")
	data := fs.String("data", envOr("LIVEFEED_DATA", "./data"), "data directory (env LIVEFEED_DATA)")
	natsURLs := fs.String("nats", envOr("LIVEFEED_NATS", ""), "comma-separated URLs of an external NATS cluster; empty starts the embedded one (env LIVEFEED_NATS)")
	replicas := fs.Int("replicas", env.int("LIVEFEED_REPLICAS", 0), "stream replicas (default 3 with --nats, 1 embedded) (env LIVEFEED_REPLICAS)")
	sync := fs.String("sync", envOr("LIVEFEED_SYNC", "group"), `embedded log fsync: "group" (group commit: a post is acknowledged once fsynced, one fsync shared by concurrent posts), "always" (nats-server fsyncs each record before acknowledging it, one at a time) or "periodic" (nats-server's default, every 2 min: acknowledged writes can be lost on power failure); ignored with --nats (env LIVEFEED_SYNC)`)
	retain := fs.Uint64("retain", uint64(env.int("LIVEFEED_RETAIN", 0)), "keep about this many newest events in the log (older ones are compacted into a snapshot); 0 keeps all (env LIVEFEED_RETAIN)")
	keyFile := fs.String("session-key-file", envOr("LIVEFEED_SESSION_KEY_FILE", ""), "file holding the hex session signing key shared by all nodes (or the key itself in env LIVEFEED_SESSION_KEY); default: generated once in the data directory. Never on the command line, where ps and pprof show it (env LIVEFEED_SESSION_KEY_FILE)")
	oldKey := fs.String("session-key", "", "no longer accepted: use --session-key-file or LIVEFEED_SESSION_KEY")
	publicURL := fs.String("public-url", envOr("LIVEFEED_PUBLIC_URL", ""), "the URL people open, e.g. https://feed.example.com: only its host is served (against DNS rebinding; /healthz and /readyz answer any), and the pages' og:url and og:image are absolute URLs under it; empty serves any host, and the pages have no og:url or og:image (env LIVEFEED_PUBLIC_URL)")
	adminFile := fs.String("admin-token-file", envOr("LIVEFEED_ADMIN_TOKEN_FILE", ""), "file holding the operators' bearer token (livefeed feed-rm, DELETE /api/feeds/NAME), at least 32 characters; empty disables operators' requests (env LIVEFEED_ADMIN_TOKEN_FILE)")
	metricsAddr := fs.String("metrics-addr", envOr("LIVEFEED_METRICS_ADDR", ""), "serve Prometheus /metrics on this address only (e.g. 10.0.0.5:9090); empty: on the main address, to loopback clients only (env LIVEFEED_METRICS_ADDR)")
	name := fs.String("node", envOr("LIVEFEED_NODE", ""), "node name (default: host name) (env LIVEFEED_NODE)")
	heartbeat := fs.Duration("heartbeat", env.duration("LIVEFEED_HEARTBEAT", protocol.HeartbeatInterval), "heartbeat and ping interval (env LIVEFEED_HEARTBEAT)")
	window := fs.Duration("restart-window", env.duration("LIVEFEED_RESTART_WINDOW", gateway.DefaultRestartWindow), "clients are told to come back within this window after a shutdown or when over --max-conns (env LIVEFEED_RESTART_WINDOW)")
	maxConns := fs.Int("max-conns", env.int("LIVEFEED_MAX_CONNS", 0), "maximum concurrent WebSocket connections, 0 for no cap (env LIVEFEED_MAX_CONNS)")
	acceptRate := fs.Float64("accept-rate", env.float("LIVEFEED_ACCEPT_RATE", 0), "maximum new WebSocket connections per second, 0 for no cap; over it clients are told to come back within --restart-window (env LIVEFEED_ACCEPT_RATE)")
	postRate := fs.Float64("post-rate", env.float("LIVEFEED_POST_RATE", httpapi.DefaultPostRate), "maximum posts per second per user over the HTTP API, bursts of twice as many; 0 for no limit (env LIVEFEED_POST_RATE)")
	rpID := fs.String("rp-id", envOr("LIVEFEED_RP_ID", ""), "the WebAuthn relying party id passkeys are bound to (a domain, e.g. example.com to share passkeys with its subdomains); default: the host of --public-url, else each request's host name (env LIVEFEED_RP_ID)")
	origins := fs.String("origins", envOr("LIVEFEED_ORIGINS", ""), "comma-separated extra origins allowed to open WebSockets (env LIVEFEED_ORIGINS)")
	maxTCP := fs.Int("max-tcp-conns", env.int("LIVEFEED_MAX_TCP_CONNS", 0), "maximum open TCP connections (HTTP and WebSocket); 0 derives it from the descriptor limit (RLIMIT_NOFILE), keeping an eighth of it (at least 128) for the log; -1 for no cap (env LIVEFEED_MAX_TCP_CONNS)")
	trusted := fs.String("trusted-proxies", envOr("LIVEFEED_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; per-address limits then apply to the client behind them, and the per-address connection cap not to them (env LIVEFEED_TRUSTED_PROXIES)")
	signInRate := fs.Float64("sign-in-rate", env.float("LIVEFEED_SIGN_IN_RATE", httpapi.DefaultSignInRate), fmt.Sprintf("maximum sign-ins per second per client address, bursts of %d; 0 for no limit (env LIVEFEED_SIGN_IN_RATE)", httpapi.SignInBurst))
	feedRate := fs.Float64("feed-rate", env.float("LIVEFEED_FEED_RATE", feed.DefaultNewFeedRate), "maximum new feeds per hour per user and per client address, bursts of as many; 0 for no limit (env LIVEFEED_FEED_RATE)")
	perIP := fs.Int("max-conns-per-ip", env.int("LIVEFEED_MAX_CONNS_PER_IP", netlimit.DefaultPerIP), "maximum open TCP connections from one client address; 0 for no cap (env LIVEFEED_MAX_CONNS_PER_IP)")
	startTimeout := fs.Duration("start-timeout", env.duration("LIVEFEED_START_TIMEOUT", 0), "give up (exit) when the event log is not usable within this time of starting; 0 waits as long as it takes, retrying (a NATS cluster still forming or a server down is waited out; /readyz answers 503 meanwhile) (env LIVEFEED_START_TIMEOUT)")
	pprofAddr := fs.String("pprof", envOr("LIVEFEED_PPROF", ""), "serve net/http/pprof on this address (e.g. 127.0.0.1:6060; off when empty) (env LIVEFEED_PPROF)")
	logLevel := fs.String("log-level", envOr("LIVEFEED_LOG_LEVEL", "info"), "debug, info, warn or error (env LIVEFEED_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := env.err(); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	lg := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg := node.Config{
		DataDir: *data, Replicas: *replicas, RetainEvents: *retain, Name: *name,
		HeartbeatInterval: *heartbeat, RestartWindow: *window, MaxConns: *maxConns, AcceptRate: *acceptRate, Logger: lg,
		PostRate: rateFlag(*postRate), SignInRate: rateFlag(*signInRate), NewFeedRate: rateFlag(*feedRate),
	}
	resolver, err := clientip.New(strings.Split(*trusted, ","))
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	cfg.ClientIP = resolver
	mode, err := eventlog.ParseSyncMode(*sync)
	if err != nil {
		return fmt.Errorf("--sync: %w", err)
	}
	cfg.Sync = mode
	if *natsURLs != "" {
		cfg.NATSURLs = strings.Split(*natsURLs, ",")
		if cfg.Replicas == 0 {
			cfg.Replicas = 3
		}
	}
	if *oldKey != "" {
		return errors.New("--session-key is no longer accepted: a key on the command line is visible to every user of the machine (ps, /proc/PID/cmdline); put it in a file for --session-key-file, or in LIVEFEED_SESSION_KEY")
	}
	keyHex, err := secret("session-key-file", *keyFile, "LIVEFEED_SESSION_KEY")
	if err != nil {
		return err
	}
	if keyHex != "" {
		k, err := hex.DecodeString(keyHex)
		if err != nil || len(k) < 32 {
			return errors.New("the session key must be at least 32 bytes in hex (openssl rand -hex 32)")
		}
		cfg.SessionKey = k
	} else if len(cfg.NATSURLs) > 0 {
		// A key generated in each node's data directory would make every
		// node reject the sessions signed by the others.
		return errors.New("--nats needs --session-key-file (or LIVEFEED_SESSION_KEY), the same key on every node, so that any node accepts a session signed by another; generate one with: openssl rand -hex 32")
	}
	cfg.MetricsElsewhere = *metricsAddr != ""
	if cfg.AdminToken, err = secret("admin-token-file", *adminFile, ""); err != nil {
		return err
	}
	if *adminFile != "" && len(cfg.AdminToken) < 32 {
		return errors.New("--admin-token-file: the token must be at least 32 characters (openssl rand -hex 32)")
	}
	var public *url.URL
	if *publicURL != "" {
		u, err := url.Parse(*publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--public-url %q: want http(s)://HOST[:PORT]", *publicURL)
		}
		cfg.Hosts = []string{u.Host}
		cfg.RPOrigins = []string{u.Scheme + "://" + u.Host}
		cfg.RPID = u.Hostname()
		public = u
	}
	if *rpID != "" {
		cfg.RPID = *rpID
	}
	if *origins != "" {
		cfg.OriginPatterns = strings.Split(*origins, ",")
	}
	var started atomic.Pointer[node.Node] // once it has started
	if newApp != nil {
		cfg.App = newApp(version, public, func(r *http.Request, feed string, maxPosts, maxBytes int) (protocol.User, protocol.Snapshot, bool, bool) {
			if n := started.Load(); n != nil {
				return n.FirstPaint(r, feed, maxPosts, maxBytes)
			}
			return protocol.User{}, protocol.Snapshot{}, false, false
		})
		// The version go-app gives the app and its service worker: open
		// tabs of another version learn of this one from welcome.
		cfg.AppVersion = version
	}
	lcfg := netlimit.Config{MaxConns: *maxTCP, MaxPerIP: *perIP, Exempt: resolver.Trusted}
	switch {
	case *maxTCP < 0:
		lcfg.MaxConns = 0
	case *maxTCP == 0:
		if lcfg.MaxConns, err = netlimit.MaxConnsForFiles(); err != nil {
			return fmt.Errorf("--max-tcp-conns: reading the descriptor limit: %w", err)
		}
	}
	tcp, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	ln := netlimit.Listen(tcp, lcfg)
	if err := startPprof(*pprofAddr, lg); err != nil {
		ln.Close()
		return err
	}
	// Served from the start: until the node has loaded its log every
	// request gets 503 with Retry-After, so that clients coming back after
	// a restart retry with their backoff instead of waiting in the listen
	// queue and all being accepted at once when the node is ready.
	var api atomic.Pointer[httpapi.Server] // the node's handler, once it has started
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if h := api.Load(); h != nil {
				h.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Retry-After", "1")
			http.Error(w, "starting: the server is loading its log; try again in a moment", http.StatusServiceUnavailable)
		}),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	sctx, scancel := ctx, context.CancelFunc(func() {})
	if *startTimeout > 0 {
		sctx, scancel = context.WithTimeout(ctx, *startTimeout)
	}
	n, err := node.Start(sctx, cfg)
	scancel()
	if err != nil {
		srv.Close()
		if ctx.Err() == nil && sctx.Err() != nil {
			return fmt.Errorf("--start-timeout %s: %w", *startTimeout, err)
		}
		return err
	}
	started.Store(n)
	api.Store(n.Handler)
	if *metricsAddr != "" {
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			n.Shutdown(context.Background())
			srv.Close()
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		msrv := &http.Server{Handler: n.Metrics, ReadHeaderTimeout: readHeaderTimeout}
		go msrv.Serve(mln)
		defer msrv.Close()
		lg.Info("metrics", "addr", mln.Addr().String())
	}
	lg.Info("serving", "addr", ln.Addr().String(), "data", *data, "version", version,
		"max_tcp_conns", lcfg.MaxConns, "max_conns_per_ip", lcfg.MaxPerIP)
	select {
	case err := <-errc:
		n.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	lg.Info("shutting down: telling clients to come back", "window", window.String())
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	if err := n.Shutdown(sctx); err != nil {
		lg.Warn("shutdown", "err", err)
	}
	lg.Info("stopped")
	return nil
}

// rateFlag turns a rate flag (0: no limit) into a node.Config rate (0: the
// default, negative: no limit).
func rateFlag(r float64) float64 {
	if r == 0 {
		return -1
	}
	return r
}
