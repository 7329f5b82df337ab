// Package gateway terminates client WebSockets: it authenticates the upgrade,
// negotiates the protocol version, and runs one reader per connection. It
// also serves the HTTP transport for clients a WebSocket cannot reach
// (http.go): a downlink that is a connection like a WebSocket's with its
// frames written to an HTTP response (http_out.go), and an uplink.
// Actions go to the feed service; events come from the hub as frames made
// once per event and are written straight to each socket that takes them,
// or into a bounded per-connection send queue drained by a writer goroutine
// that runs only while the queue is not empty (write.go, sock.go).
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"livefeed/server/auth"
	"livefeed/server/clientip"
	"livefeed/server/feed"
	"livefeed/server/hub"
	"livefeed/server/internal/tokenbucket"
	"livefeed/server/origin"
	"livefeed/shared/protocol"
)

// Defaults for Config.
const (
	// DefaultSendQueue is how many messages may wait for one connection's
	// writer; a connection whose queue overflows is cut off with
	// protocol.CloseSlowConsumer and resumes from its position.
	DefaultSendQueue = 256
	// DefaultWriteTimeout bounds one write to a client.
	DefaultWriteTimeout = 10 * time.Second
	// MaxCatchUpBuffer is how many live events a subscription may buffer
	// while it catches up (replay or snapshot) before it is cut off as a
	// slow consumer.
	MaxCatchUpBuffer = 4096
	// DefaultRestartWindow is the window clients are told to come back in
	// after a graceful shutdown.
	DefaultRestartWindow = 5 * time.Second
	// ActionRate and ActionBurst limit the actions of a user, over all
	// their connections to this node (token bucket); over the limit an
	// action gets CodeRateLimited with RetryAfterMS and is not applied.
	// (The HTTP API has its own limit, httpapi.DefaultPostRate.)
	ActionRate  = 20.0 // per second
	ActionBurst = 40
	// MaxConnsPerUser caps a user's WebSocket connections to one node
	// (tabs and devices); over it a new one gets a rate_limited error and
	// close 4004 (overloaded), told to retry later.
	MaxConnsPerUser = 32
	// SubscribeRate and SubscribeBurst limit a connection's subscriptions
	// (those of hello count): each may cost a snapshot of up to
	// protocol.MaxSnapshotBytes, so a subscribe/unsubscribe loop must not
	// turn a few bytes into megabytes. Over it: rate_limited.
	SubscribeRate  = 1.0 // per second
	SubscribeBurst = 2 * protocol.MaxSubscriptions
	// ProbeRate and ProbeBurst limit the probes a connection gets answered
	// (a client probes when it comes back online or into view); probes
	// over it are not answered.
	ProbeRate  = 1.0 // per second
	ProbeBurst = 5
)

// Config configures a Gateway.
type Config struct {
	Service *feed.Service
	Hub     *hub.Hub
	// Auth authenticates upgrades (auth.Sessions.Identify); the
	// connections of a session it says was revoked are closed with
	// protocol.CloseSignedOut.
	Auth   *auth.Sessions
	Logger *slog.Logger
	// Node names this server in Welcome.
	Node string
	// AppVersion is the version of the web app this server serves, sent
	// in Welcome (empty: not sent), so that open browser tabs of another
	// version learn of it when they connect.
	AppVersion string
	// OriginPatterns are extra origins allowed to open a WebSocket (the
	// same origin always is); see package origin.
	OriginPatterns []string
	// HeartbeatInterval, default protocol.HeartbeatInterval.
	HeartbeatInterval time.Duration
	// ClientIP finds the client address of an upgrade (nil: its peer),
	// for the limits kept per address.
	ClientIP *clientip.Resolver
	// PollHold, default protocol.PollHold: how long a poll of the HTTP
	// transport is held when nothing comes (tests shorten it).
	PollHold time.Duration
	// DownlinkGrace, default DefaultDownlinkGrace: how long an HTTP
	// downlink's membership waits for its next request (http_member.go).
	DownlinkGrace time.Duration
	// HelloTimeout, default protocol.HelloTimeout: a connection that has
	// not sent hello by then is closed.
	HelloTimeout time.Duration
	// SendQueue, default DefaultSendQueue.
	SendQueue int
	// WriteTimeout, default DefaultWriteTimeout.
	WriteTimeout time.Duration
	// RestartWindow, default DefaultRestartWindow.
	RestartWindow time.Duration
	// MaxConns caps concurrent connections (0: no cap). Over the cap a
	// client gets GoAway "overloaded" with a retry window and
	// protocol.CloseOverloaded.
	MaxConns int
	// AcceptRate caps new connections per second (0: no cap), with bursts
	// of AcceptBurst (default AcceptRate). Over it a client gets GoAway
	// "overloaded" with the retry window and protocol.CloseOverloaded.
	AcceptRate  float64
	AcceptBurst int
	// SocketSendBuffer sets each connection's kernel send buffer (SO_SNDBUF),
	// default DefaultSocketSendBuffer, so that a slow reader fills its
	// bounded queue and is cut off instead of parking megabytes in the
	// kernel (Linux autotunes send buffers up to 4 MB). It is set on the
	// connection the upgrade hijacks (a TCP connection).
	SocketSendBuffer int
}

// DefaultSocketSendBuffer is the default Config.SocketSendBuffer: 64 KiB.
const DefaultSocketSendBuffer = 64 << 10

// Gateway serves the WebSocket endpoint.
type Gateway struct {
	cfg     Config
	lg      *slog.Logger
	mu      sync.Mutex
	conns   map[*conn]struct{}
	perUser map[string]int // connections per user id

	actions *tokenbucket.Keyed // per user: ActionRate, ActionBurst
	probes  *tokenbucket.Keyed // per user, probes over the HTTP uplink: ProbeRate, ProbeBurst
	downs   *downConns         // HTTP downlinks between their requests (http_member.go)
	origins origin.Policy
	down    bool
	n       atomic.Int64

	keepaliveOnce sync.Once
	stop          chan struct{} // closed by Shutdown: stops keepalive
	clock         atomic.Int64  // Unix ns, updated every keepalive tick (cheaper than time.Now per write)

	accepts tokenbucket.Bucket // AcceptRate, AcceptBurst

	bucket  int64 // current 100 ms interval (unix time / 100 ms)
	bucketN int64 // upgrades in it

	Stats Stats
}

// Stats are the gateway's counters.
type Stats struct {
	Accepted      atomic.Int64 // WebSocket upgrades
	Refused       atomic.Int64 // upgrades sent away: shutting down, over MaxConns or AcceptRate
	SlowConsumers atomic.Int64 // connections cut because their queue overflowed
	Revoked       atomic.Int64 // connections closed because their session was revoked
	// SocketFull counts sends that found a socket's kernel send buffer
	// full: they were queued for the connection's writer goroutine.
	SocketFull atomic.Int64
	// AcceptPeak is the most upgrades accepted within one 100 ms interval
	// since the start: the reconnect-storm figure.
	AcceptPeak atomic.Int64
	// HTTPDownlinks and HTTPUplinks count the requests of the HTTP
	// transport (http.go) that got as far as being served.
	HTTPDownlinks atomic.Int64
	HTTPUplinks   atomic.Int64
	Closed        sync.Map // close code -> *atomic.Int64
}

// New returns a gateway.
func New(cfg Config) *Gateway {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = protocol.HeartbeatInterval
	}
	if cfg.PollHold <= 0 {
		cfg.PollHold = protocol.PollHold
	}
	if cfg.DownlinkGrace <= 0 {
		cfg.DownlinkGrace = DefaultDownlinkGrace
	}
	if cfg.HelloTimeout <= 0 {
		cfg.HelloTimeout = protocol.HelloTimeout
	}
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = DefaultSendQueue
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.RestartWindow <= 0 {
		cfg.RestartWindow = DefaultRestartWindow
	}
	if cfg.SocketSendBuffer <= 0 {
		cfg.SocketSendBuffer = DefaultSocketSendBuffer
	}
	if cfg.AcceptBurst <= 0 {
		cfg.AcceptBurst = max(1, int(cfg.AcceptRate))
	}
	g := &Gateway{cfg: cfg, lg: cfg.Logger, conns: map[*conn]struct{}{}, perUser: map[string]int{}, stop: make(chan struct{}),
		accepts: tokenbucket.Full(float64(cfg.AcceptBurst), time.Now()),
		actions: tokenbucket.NewKeyed(ActionRate, ActionBurst),
		probes:  tokenbucket.NewKeyed(ProbeRate, ProbeBurst),
		origins: origin.Policy{Patterns: cfg.OriginPatterns},
		downs:   newDownConns(cfg.Hub, cfg.DownlinkGrace)}
	g.clock.Store(time.Now().UnixNano())
	if cfg.Auth != nil {
		cfg.Auth.OnRevoke(g.revoked)
	}
	return g
}

// Conns returns the number of open connections.
func (g *Gateway) Conns() int { return int(g.n.Load()) }

func (g *Gateway) countClose(code int) {
	v, _ := g.Stats.Closed.LoadOrStore(code, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// Shutdown tells every client to come back within the restart window and
// closes their connections with protocol.CloseRestart; new upgrades are
// refused the same way. It returns when all are closed or ctx is done.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	if !g.down {
		close(g.stop)
	}
	g.down = true
	conns := make([]*conn, 0, len(g.conns))
	for c := range g.conns {
		conns = append(conns, c)
	}
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.shutdown(g.cfg.RestartWindow)
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		g.downs.drop("") // and the downlinks that wait for their next request
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("gateway: shutdown timed out")
	}
}
