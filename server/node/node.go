// Package node assembles one Livefeed server: the event log (embedded NATS
// JetStream or an external cluster), the feed service following it, the hub,
// the WebSocket gateway and the HTTP API. It does not listen by itself: main
// (or a test) serves Node.Handler and calls Shutdown.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"livefeed/server/auth"
	"livefeed/server/clientip"
	"livefeed/server/eventlog"
	"livefeed/server/feed"
	"livefeed/server/gateway"
	"livefeed/server/httpapi"
	"livefeed/server/hub"
	"livefeed/server/metrics"
)

// Config configures a node.
type Config struct {
	// DataDir holds the embedded log (DataDir/jetstream) and the session
	// key (DataDir/session.key).
	DataDir string
	// NATSURLs, when set, connect to an external NATS cluster instead of
	// starting the embedded server. The nodes sharing a cluster then also
	// share who is online (hub.NewCluster).
	NATSURLs []string
	// NATSOptions are extra options for the connection to an external
	// cluster (e.g. credentials, TLS, or a custom dialer in tests).
	NATSOptions []nats.Option
	// Replicas of the stream (external cluster). Default 1.
	Replicas int
	// Sync is when the embedded log fsyncs records: eventlog.SyncGroup
	// (the zero value and default: group commit, an append is acknowledged
	// once on disk), eventlog.SyncAlways (nats-server fsyncs each record)
	// or eventlog.SyncPeriodic (nats-server's periodic sync, every 2
	// minutes: acknowledged records can be lost in a machine crash).
	// Ignored with NATSURLs: an external cluster keeps its own settings.
	Sync eventlog.SyncMode
	// RetainEvents, see feed.Config. 0 keeps every event.
	RetainEvents uint64
	// SessionKey overrides the key in DataDir/session.key (for several
	// nodes sharing sessions).
	SessionKey []byte
	// Name of this node, sent in Welcome.
	Name string
	// AppVersion is the version of the web app the node serves (the
	// build's version), sent in Welcome; see gateway.Config.AppVersion.
	AppVersion string
	// Gateway settings.
	HeartbeatInterval time.Duration
	// PollHold, default protocol.PollHold: see gateway.Config.PollHold.
	PollHold time.Duration
	// DownlinkGrace, default gateway.DefaultDownlinkGrace: see
	// gateway.Config.DownlinkGrace.
	DownlinkGrace time.Duration
	HelloTimeout  time.Duration
	RestartWindow time.Duration
	MaxConns      int
	AcceptRate    float64
	// PostRate limits posts per second per user over the HTTP API:
	// 0 is httpapi.DefaultPostRate, a negative rate is no limit.
	PostRate float64
	// SignInRate limits sign-ins per second per client address:
	// 0 is httpapi.DefaultSignInRate, a negative rate is no limit.
	SignInRate float64
	// NewFeedRate limits new feeds per hour per user and per client
	// address: 0 is feed.DefaultNewFeedRate, a negative rate is no limit.
	NewFeedRate float64
	// ClientIP finds a request's client address for the per-address
	// limits (nil: the connection's peer; set it when behind a proxy).
	ClientIP *clientip.Resolver
	// AdminToken enables operators' requests (httpapi.Config).
	AdminToken string
	// Hosts, when set, are the only Host headers served (httpapi.Config).
	Hosts []string
	// RPID and RPOrigins are the WebAuthn relying party (auth.Passkeys):
	// empty, each request's host name and origin.
	RPID      string
	RPOrigins []string
	SendQueue int
	// WriteTimeout, default gateway.DefaultWriteTimeout: the deadline of
	// each write to a client (tests shorten it).
	WriteTimeout   time.Duration
	OriginPatterns []string
	// MetricsElsewhere keeps /metrics off Handler: main serves
	// Node.Metrics on a listener of its own (--metrics-addr). Otherwise
	// Handler answers /metrics to loopback clients only.
	MetricsElsewhere bool
	// App serves the PWA (nil: 404 for everything outside the API).
	App    http.Handler
	Logger *slog.Logger
}

// Node is a running server.
type Node struct {
	Handler *httpapi.Server
	// Metrics is the Prometheus /metrics handler.
	Metrics http.Handler
	Service *feed.Service
	Hub     *hub.Hub
	Gateway *gateway.Gateway
	Log     eventlog.Log
	// Auth is the sessions, Accounts the accounts, in the bucket beside
	// the log.
	Auth     *auth.Sessions
	Accounts *auth.Accounts

	cfg     Config
	ns      *server.Server
	nc      *nats.Conn
	cancel  context.CancelFunc
	done    chan struct{}
	hubDone chan struct{}
}

// Start opens the log, restores the view, starts following the log and
// waits until the view has caught up.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Name == "" {
		h, _ := os.Hostname()
		cfg.Name = h
	}
	lg := cfg.Logger
	n := &Node{cfg: cfg, done: make(chan struct{}), hubDone: make(chan struct{})}
	key := cfg.SessionKey
	if key == nil {
		var err error
		if key, err = auth.LoadOrCreateKey(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	signer, err := auth.NewSigner(key)
	if err != nil {
		return nil, err
	}
	var groupCommit string
	if len(cfg.NATSURLs) > 0 {
		opts := append([]nats.Option{
			nats.Name("livefeed " + cfg.Name), nats.MaxReconnects(-1),
			// No server up yet is a state to wait out (waitForLog),
			// not a reason to exit.
			nats.RetryOnFailedConnect(true),
			nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
				if !nc.IsClosed() {
					lg.Warn("disconnected from NATS; reconnecting", "err", err)
				}
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) {
				lg.Info("reconnected to NATS", "url", nc.ConnectedUrlRedacted(), "server", nc.ConnectedServerName())
			}),
		}, cfg.NATSOptions...)
		n.nc, err = nats.Connect(strings.Join(cfg.NATSURLs, ","), opts...)
		if err != nil {
			return nil, fmt.Errorf("node: connect to NATS %v: %w", cfg.NATSURLs, err)
		}
	} else {
		ecfg := eventlog.EmbeddedConfig{Dir: filepath.Join(cfg.DataDir, "jetstream"), Sync: cfg.Sync}
		groupCommit = ecfg.GroupCommitDir()
		n.ns, n.nc, err = eventlog.StartEmbedded(ecfg, lg)
		if err != nil {
			return nil, err
		}
	}
	fail := func(err error) (*Node, error) {
		n.closeLog()
		return nil, err
	}
	replicas := cfg.Replicas
	if replicas <= 0 {
		replicas = 1
	}
	if n.ns == nil {
		n.Hub = hub.NewCluster(hub.ClusterConfig{Conn: n.nc, Node: cfg.Name, Logger: lg})
	} else {
		n.Hub = hub.New() // the embedded log has one node: local presence only
	}
	hist := metrics.NewHistograms()
	err = waitForLog(ctx, lg, func(ctx context.Context) error {
		js, err := eventlog.OpenJetStream(ctx, n.nc, eventlog.JetStreamConfig{Replicas: replicas, GroupCommit: groupCommit})
		if err != nil {
			return err
		}
		svc, err := feed.Open(ctx, js, n.Hub, feed.Config{
			RetainEvents: cfg.RetainEvents, Node: cfg.Name, Logger: lg, NewFeedRate: cfg.NewFeedRate,
			ObserveFanout: hist.ObserveFanout, ObserveAppend: hist.ObserveAppend,
		})
		if err != nil {
			js.Close()
			return err
		}
		n.Log, n.Service = js, svc
		return nil
	})
	if err != nil {
		return fail(err)
	}
	// The accounts bucket beside the log (eventlog/kv.go): sessions,
	// accounts, passkeys, API tokens. A JetStream asset like the stream,
	// so waited for the same way: on a cluster still forming, its create
	// or its leader's election can outlast one attempt.
	var kv *eventlog.KV
	err = waitForLog(ctx, lg, func(ctx context.Context) error {
		b, err := eventlog.OpenKV(ctx, n.nc, eventlog.KVConfig{Replicas: replicas})
		if err != nil {
			return err
		}
		sessions, err := auth.OpenSessions(ctx, b, signer, lg)
		if err != nil {
			return err
		}
		kv, n.Auth = b, sessions
		return nil
	})
	if err != nil {
		return fail(err)
	}
	n.Accounts = auth.NewAccounts(kv)
	passkeys := auth.NewPasskeys(kv, n.Accounts, n.Auth)
	passkeys.RPID, passkeys.Origins = cfg.RPID, cfg.RPOrigins
	n.Gateway = gateway.New(gateway.Config{
		Service: n.Service, Hub: n.Hub, Auth: n.Auth, Logger: lg, Node: cfg.Name, AppVersion: cfg.AppVersion,
		OriginPatterns: cfg.OriginPatterns, HeartbeatInterval: cfg.HeartbeatInterval, HelloTimeout: cfg.HelloTimeout,
		PollHold:      cfg.PollHold,
		DownlinkGrace: cfg.DownlinkGrace,
		RestartWindow: cfg.RestartWindow, MaxConns: cfg.MaxConns, SendQueue: cfg.SendQueue,
		WriteTimeout: cfg.WriteTimeout, AcceptRate: cfg.AcceptRate, ClientIP: cfg.ClientIP,
	})
	n.Metrics = metrics.Handler(hist, n.Gateway, n.Service, n.Hub)
	var public http.Handler
	if !cfg.MetricsElsewhere {
		public = n.Metrics
	}
	n.Handler = httpapi.New(httpapi.Config{
		Service: n.Service, Auth: n.Auth, Passkeys: passkeys, WebSocket: n.Gateway, App: cfg.App, Logger: lg,
		Downlink: http.HandlerFunc(n.Gateway.ServeDownlink), Uplink: http.HandlerFunc(n.Gateway.ServeUplink),
		Metrics:  public,
		PostRate: cfg.PostRate, OriginPatterns: cfg.OriginPatterns,
		SignInRate: cfg.SignInRate, ClientIP: cfg.ClientIP, Hosts: cfg.Hosts, AdminToken: cfg.AdminToken,
	})
	rctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() {
		defer close(n.hubDone)
		n.Hub.Run(rctx)
	}()
	go func() {
		defer close(n.done)
		if err := n.Service.Run(rctx); err != nil {
			lg.Error("feed service stopped", "err", err)
		}
	}()
	for !n.Service.Ready() {
		select {
		case <-ctx.Done():
			n.Shutdown(context.Background())
			return nil, ctx.Err()
		case <-n.done:
			n.cancel()
			<-n.hubDone
			n.closeLog()
			return nil, errors.New("node: the feed service stopped while loading the log")
		case <-time.After(5 * time.Millisecond):
		}
	}
	lg.Info("node ready", "name", cfg.Name, "applied", n.Service.View().Applied())
	return n, nil
}

// Shutdown tells clients to come back later and closes their connections,
// stops following the log, and closes the log (flushing the embedded
// server's store).
func (n *Node) Shutdown(ctx context.Context) error {
	n.Handler.SetDraining()
	err := n.Gateway.Shutdown(ctx)
	n.cancel()
	<-n.done
	<-n.hubDone // it says goodbye to the other nodes over n.nc
	n.closeLog()
	return err
}

func (n *Node) closeLog() {
	if n.Auth != nil {
		n.Auth.Close()
	}
	if n.Log != nil {
		n.Log.Close()
	}
	if n.ns != nil {
		eventlog.Shutdown(n.ns, n.nc)
	} else if n.nc != nil {
		n.nc.Close()
	}
}
