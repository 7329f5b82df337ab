// Package session is Livefeed's client: one connection to the server (a
// WebSocket, or over plain HTTP where that cannot get through: ladder.go) that
// reconnects by itself (exponential backoff with full jitter), resumes every
// feed from its last applied position, checks that events arrive gap-free and
// duplicate-free, detects dead connections by heartbeat, and keeps an outbox of
// user actions that are resent until acknowledged. The same code runs in the
// browser (GOOS=js, over coder/websocket's wasm build) and natively (the
// command-line client).
package session

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"livefeed/shared/protocol"
)

// Config configures a Session.
type Config struct {
	// URL is the WebSocket endpoint, e.g. ws://127.0.0.1:8080/ws.
	URL string
	// Token is the bearer token (native clients); the browser sends its
	// session cookie instead.
	Token string
	// Client names the client in hello.
	Client string
	// Feeds to follow.
	Feeds []string
	// InitialMode is how a feed without a known position is subscribed:
	// protocol.ModeSnapshot (default) or protocol.ModeLive.
	InitialMode string
	// InitialPos, for a feed without a stored position, resumes from this
	// position instead of InitialMode.
	InitialPos map[string]uint64
	// Store keeps feeds and outbox across restarts; default in memory.
	Store Store
	// Backoff parameters.
	Backoff Backoff
	// OnUpdate is called after changes, from the session's goroutines,
	// never with a lock held. It must not block for long.
	OnUpdate func(Update)
	// Logf logs diagnostics; default discards.
	Logf func(format string, args ...any)
	// DialTimeout bounds one connection attempt. Default 10 s.
	DialTimeout time.Duration
	// Transport is TransportWebSocket (the default), TransportStream,
	// TransportPoll, or TransportAuto: the ladder (ladder.go) from
	// WebSocket down to polls and back up.
	Transport string
	// Remember keeps the rung of the ladder that worked (default Store).
	Remember Store
	// FallbackAfter and ProbeUpEvery, default FallbackAfter and
	// ProbeUpEvery (ladder.go).
	FallbackAfter, ProbeUpEvery time.Duration
}

// Session is a client session. Create it with New, run it with Run.
type Session struct {
	cfg Config

	mu       sync.Mutex
	status   Status
	feeds    map[string]*Feed
	follow   []string
	presence map[string]protocol.Presence
	box      outbox
	waiters  map[string][]chan result
	results  map[string]result // recent outcomes, for WaitAck after the fact
	order    []string          // results' keys, oldest first
	online   bool
	conn     transport
	dial     dialFunc    // dialWebSocket(cfg); tests give a fake
	ladder   *ladder     // the transport of each attempt (its WebSocket rung is dial)
	closed   atomic.Bool // Close was called (close.go); set with mu held
	dirty    map[string]bool
	saved    map[string]*savedFeed // what the Store holds of each feed (persist.go)
	subAt    map[string]time.Time  // when each feed's subscription was sent
	subbed   map[string]bool       // feeds caught up on the current connection
	held     map[string]heldHistory

	kick     chan struct{}      // retry now / went online
	probe    chan struct{}      // check the current connection (Probe)
	stopConn context.CancelFunc // ends the current connection
}

// New returns a session; it loads cached feeds and the outbox from the store.
func New(cfg Config) *Session {
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	if cfg.InitialMode == "" {
		cfg.InitialMode = protocol.ModeSnapshot
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	cfg.Backoff = cfg.Backoff.withDefaults()
	s := &Session{
		cfg:      cfg,
		feeds:    map[string]*Feed{},
		presence: map[string]protocol.Presence{},
		waiters:  map[string][]chan result{},
		results:  map[string]result{},
		online:   true,
		dirty:    map[string]bool{},
		saved:    map[string]*savedFeed{},
		subAt:    map[string]time.Time{},
		subbed:   map[string]bool{},
		held:     map[string]heldHistory{},
		kick:     make(chan struct{}, 1),
		probe:    make(chan struct{}, 1),
		status:   Status{State: StateConnecting},
	}
	s.dial = dialWebSocket(cfg)
	s.ladder = newLadder(cfg, func(ctx context.Context) (transport, error) { return s.dial(ctx) })
	s.cfg.Store = closableStore{st: cfg.Store, closed: &s.closed}
	s.box.load(cfg.Store)
	for _, f := range cfg.Feeds {
		s.addFeedLocked(f)
	}
	return s
}

func (s *Session) addFeedLocked(name string) *Feed {
	if f, ok := s.feeds[name]; ok {
		if !slices.Contains(s.follow, name) {
			s.follow = append(s.follow, name)
		}
		return f
	}
	f := &Feed{Name: name}
	s.saved[name] = loadFeed(s.cfg.Store, f, s.cfg.Logf)
	s.feeds[name] = f
	s.follow = append(s.follow, name)
	return f
}

// notify calls OnUpdate for each update.
func (s *Session) notify(us ...Update) {
	if s.cfg.OnUpdate == nil {
		return
	}
	for _, u := range us {
		s.cfg.OnUpdate(u)
	}
}

// Status returns the current status.
func (s *Session) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Feed returns a copy of a feed's cached state. Its posts must not be
// changed: they share their array with the session's (which copies it
// before it changes a post in it: Feed.own), so that a sync of a big feed
// does not copy every post.
func (s *Session) Feed(name string) Feed {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.feeds[name]
	if !ok {
		return Feed{Name: name}
	}
	f.shared = true
	c := *f
	c.idx = nil
	return c
}

// Presence returns who is online in a feed, as the server last said:
// Total() users, of whom Online lists at most protocol.MaxPresenceList.
func (s *Session) Presence(feed string) protocol.Presence {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.presence[feed]
	p.Online = slices.Clone(p.Online)
	return p
}

// Pending returns the outbox's pending actions, oldest first.
func (s *Session) Pending() []Pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.box.Pending)
}

// Rejected returns the actions the server refused.
func (s *Session) Rejected() []Rejected {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.box.Rejected)
}
