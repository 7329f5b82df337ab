// Package session is Livefeed's client: one WebSocket to the server that
// reconnects by itself (exponential backoff with full jitter), resumes every
// feed from its last applied position, checks that events arrive gap-free and
// duplicate-free, detects dead connections by heartbeat, and keeps an outbox of
// user actions that are resent until acknowledged. The same code runs in the
// browser (GOOS=js, over coder/websocket's wasm build) and natively (the
// command-line client).
package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"livefeed/shared/protocol"
)

// State is the connection state shown to the user.
type State string

// Connection states. The indicator's text starts with the state.
const (
	StateConnecting     State = "Connecting"
	StateLive           State = "Live"
	StateReconnecting   State = "Reconnecting"
	StateOffline        State = "Offline"
	StateUpdateRequired State = "Update required"
)

// Status is a snapshot of the session's connection and counters.
type Status struct {
	State State
	// NextTry is when the next connection attempt starts (Reconnecting).
	NextTry   time.Time
	Attempt   int
	LastError string
	User      protocol.User
	// AppVersion is the web app version the server serves, from the last
	// welcome ("" before one, or from a server that does not say). The
	// browser app compares it with its own; other clients may ignore it.
	AppVersion string
	Stats      Stats
}

// Stats counts what the session went through.
type Stats struct {
	Connects    int // successful connections
	Reconnects  int // successful connections after the first
	Resumes     int // feeds resumed from a position
	HistoryGone int // resumes answered with history_gone (state reset)
	Replayed    int // events applied before a feed's subscribed message
	Duplicates  int // events ignored because already applied
	Gaps        int // events that revealed missing ones (caused a resume)
	// LastCatchUp is how long the last resume took from hello to subscribed.
	LastCatchUp time.Duration
}

// UpdateKind says what changed.
type UpdateKind int

// Kinds of Update.
const (
	UpdateStatus   UpdateKind = iota // Status changed
	UpdateFeed                       // a feed's posts changed (Event set for a live event, nil for a reset)
	UpdateOutbox                     // pending or rejected actions changed
	UpdatePresence                   // who is online changed
)

// Update tells the embedding UI or command what changed.
type Update struct {
	Kind  UpdateKind
	Feed  string
	Event *protocol.Event
	// Live is true when Event arrived after the feed caught up (not replayed).
	Live bool
}

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
	conn     *websocket.Conn
	dirty    map[string]bool
	subAt    map[string]time.Time // when each feed's subscription was sent
	subbed   map[string]bool      // feeds caught up on the current connection
	held     map[string]heldHistory

	kick     chan struct{}      // retry now / went online
	probe    chan struct{}      // check the current connection (Probe)
	stopConn context.CancelFunc // ends the current connection
	closed   atomic.Bool        // Close was called (close.go); set with mu held
}

type result struct {
	ack protocol.Ack
	err error
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
		subAt:    map[string]time.Time{},
		subbed:   map[string]bool{},
		held:     map[string]heldHistory{},
		kick:     make(chan struct{}, 1),
		probe:    make(chan struct{}, 1),
		status:   Status{State: StateConnecting},
	}
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
	if b, ok := s.cfg.Store.Get(keyFeedPrefix + name); ok {
		_ = json.Unmarshal(b, f)
		f.Name = name
	}
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

// Feed returns a copy of a feed's cached state.
func (s *Session) Feed(name string) Feed {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.feeds[name]
	if !ok {
		return Feed{Name: name}
	}
	c := *f
	c.idx = nil
	c.Posts = slices.Clone(f.Posts)
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

// Follow starts following a feed (subscribing at once when connected).
func (s *Session) Follow(feed string) {
	s.mu.Lock()
	if slices.Contains(s.follow, feed) {
		s.mu.Unlock()
		return
	}
	s.addFeedLocked(feed)
	sub := s.subFor(feed)
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		s.write(c, protocol.Subscribe{Sub: sub})
	}
}

// Post queues a new post; it returns the op id.
func (s *Session) Post(feed, text string) (string, error) {
	return s.do(protocol.TypePost, protocol.Action{Feed: feed, Text: text})
}

// Edit queues an edit of post id.
func (s *Session) Edit(feed, id, text string) (string, error) {
	return s.do(protocol.TypeEdit, protocol.Action{Feed: feed, ID: id, Text: text})
}

// Delete queues the deletion of post id.
func (s *Session) Delete(feed, id string) (string, error) {
	return s.do(protocol.TypeDelete, protocol.Action{Feed: feed, ID: id})
}

// React queues a reaction toggle on post id.
func (s *Session) React(feed, id, emoji string) (string, error) {
	return s.do(protocol.TypeReact, protocol.Action{Feed: feed, ID: id, Emoji: emoji})
}

// do validates an action, stores it in the outbox and sends it if connected.
func (s *Session) do(typ string, a protocol.Action) (string, error) {
	if s.closed.Load() {
		return "", ErrClosed
	}
	a.Op = NewOpID()
	a = a.WithKind(typ)
	if typ == protocol.TypePost || typ == protocol.TypeEdit {
		t, perr := protocol.CheckText(a.Text)
		if perr != nil {
			return "", perr
		}
		a.Text = t
	}
	// The same checks the server makes on the wire, so nothing that would
	// be refused for its form enters the outbox.
	if _, err := protocol.Decode(protocol.MustEncode(a)); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.box.Pending = append(s.box.Pending, Pending{Type: typ, Action: a, Created: time.Now().UnixMilli()})
	err := s.box.save(s.cfg.Store)
	c := s.conn
	s.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("session: store outbox: %w", err)
	}
	s.notify(Update{Kind: UpdateOutbox, Feed: a.Feed})
	if c != nil {
		s.write(c, a)
	}
	return a.Op, nil
}

// Dismiss removes a rejected action.
func (s *Session) Dismiss(op string) {
	s.mu.Lock()
	s.box.Rejected = slices.DeleteFunc(s.box.Rejected, func(r Rejected) bool { return r.Action.Op == op })
	_ = s.box.save(s.cfg.Store)
	s.mu.Unlock()
	s.notify(Update{Kind: UpdateOutbox})
}

// maxResults is how many recent outcomes WaitAck remembers.
const maxResults = 1024

// WaitAck waits until op is acknowledged (returning the ack) or rejected
// (returning the *protocol.Error); it returns at once if that already
// happened recently.
func (s *Session) WaitAck(ctx context.Context, op string) (protocol.Ack, error) {
	ch := make(chan result, 1)
	s.mu.Lock()
	if r, ok := s.results[op]; ok {
		s.mu.Unlock()
		return r.ack, r.err
	}
	s.waiters[op] = append(s.waiters[op], ch)
	s.mu.Unlock()
	select {
	case r := <-ch:
		return r.ack, r.err
	case <-ctx.Done():
		return protocol.Ack{}, ctx.Err()
	}
}

// RetryNow skips the current backoff wait (the "Retry now" button, the
// browser's online event, a hidden tab becoming visible).
func (s *Session) RetryNow() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Probe checks a connection that looks live but may have died silently
// (a tab shown again after being hidden, the network back): the session
// asks the server for a heartbeat and, if nothing arrives within
// protocol.ProbeTimeout, drops the connection and reconnects, instead of
// waiting up to the heartbeat deadline (15 s). It does nothing unless the
// session is live.
func (s *Session) Probe() {
	if s.Status().State != StateLive {
		return
	}
	select {
	case s.probe <- struct{}{}:
	default:
	}
}

// SetOnline tells the session whether the browser believes it is online.
// While offline the session does not try to connect.
// Going offline closes the current connection (a browser may keep a
// WebSocket open while it reports being offline, and nothing should be sent
// into it then).
func (s *Session) SetOnline(online bool) {
	s.mu.Lock()
	changed := s.online != online
	s.online = online
	stop := s.stopConn
	s.mu.Unlock()
	if changed && !online && stop != nil {
		stop()
	}
	if changed {
		s.RetryNow()
	}
}

func (s *Session) setStatus(f func(*Status)) {
	s.mu.Lock()
	f(&s.status)
	s.mu.Unlock()
	s.notify(Update{Kind: UpdateStatus})
}

// ErrUpdateRequired is returned by Run when the server does not speak this
// client's protocol version.
var ErrUpdateRequired = errors.New("session: the server needs a newer client (protocol version mismatch)")

// Run connects and keeps reconnecting until ctx is done.
func (s *Session) Run(ctx context.Context) error {
	attempt := 0
	defer s.flush()
	for {
		if s.closed.Load() {
			return ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.Lock()
		online := s.online
		s.mu.Unlock()
		if !online {
			s.setStatus(func(st *Status) { st.State, st.NextTry = StateOffline, time.Time{} })
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-s.kick:
				continue
			}
		}
		if attempt > 0 {
			s.setStatus(func(st *Status) { st.State = StateReconnecting })
		}
		started := time.Now()
		connected, window, err := s.connectOnce(ctx)
		if s.closed.Load() {
			return ErrClosed
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrUpdateRequired) {
			s.setStatus(func(st *Status) { st.State, st.LastError = StateUpdateRequired, err.Error() })
			<-ctx.Done()
			return err
		}
		if connected && time.Since(started) >= s.cfg.Backoff.HealthyAfter {
			attempt = 0
		}
		delay := s.cfg.Backoff.Delay(attempt)
		if window[1] > 0 {
			delay += s.cfg.Backoff.Window(window[0], window[1])
		}
		attempt++
		msg := ""
		if err != nil {
			msg = err.Error()
			s.cfg.Logf("session: %v; retrying in %v", err, delay.Round(time.Millisecond))
		}
		if errors.Is(err, errWoke) {
			delay = 0
		}
		next := time.Now().Add(delay)
		s.setStatus(func(st *Status) {
			st.State, st.NextTry, st.Attempt, st.LastError = StateReconnecting, next, attempt, msg
		})
		if err := s.sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// FlushInterval is how often changed feeds are written to the store.
const FlushInterval = 300 * time.Millisecond

// ClockJump is how far the wall clock may move beyond a one-second tick
// before the session concludes the machine was asleep (or the tab frozen):
// it then drops the connection, which may be dead without knowing it, and
// reconnects at once; a backoff wait in progress ends early.
const ClockJump = 5 * time.Second

// sleep waits for d, returning early on RetryNow or a clock jump.
func (s *Session) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	clock := newClockWatch()
	defer clock.stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-s.kick:
	case <-clock.jumped:
	}
	return nil
}

// clockWatch signals when the wall clock jumps (the process was suspended).
// One ticker per process serves every session.
type clockWatch struct {
	jumped chan struct{}
}

var clock struct {
	sync.Mutex
	watchers map[*clockWatch]struct{}
	running  bool
}

func newClockWatch() *clockWatch {
	w := &clockWatch{jumped: make(chan struct{})}
	clock.Lock()
	defer clock.Unlock()
	if clock.watchers == nil {
		clock.watchers = map[*clockWatch]struct{}{}
	}
	clock.watchers[w] = struct{}{}
	if !clock.running {
		clock.running = true
		go runClock()
	}
	return w
}

func runClock() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := time.Now().Round(0) // wall clock only
	for range t.C {
		now := time.Now().Round(0)
		jumped := now.Sub(last) > time.Second+ClockJump
		last = now
		clock.Lock()
		if jumped {
			for w := range clock.watchers {
				close(w.jumped)
				delete(clock.watchers, w)
			}
		}
		if len(clock.watchers) == 0 {
			clock.running = false
			clock.Unlock()
			return
		}
		clock.Unlock()
	}
}

func (w *clockWatch) stop() {
	clock.Lock()
	delete(clock.watchers, w)
	clock.Unlock()
}

// subFor returns the subscription for a feed on (re)connect. Called with mu held.
func (s *Session) subFor(name string) protocol.Sub {
	f := s.feeds[name]
	if f.Synced {
		return protocol.Sub{Feed: name, Mode: protocol.ModeResume, Pos: f.Pos}
	}
	if p, ok := s.cfg.InitialPos[name]; ok {
		return protocol.Sub{Feed: name, Mode: protocol.ModeResume, Pos: p}
	}
	return protocol.Sub{Feed: name, Mode: s.cfg.InitialMode}
}

type goAwayErr struct{ g protocol.GoAway }

func (e goAwayErr) Error() string { return "server closed the connection: " + e.g.Reason }

var (
	errDead    = errors.New("no traffic from the server within the heartbeat deadline")
	errProbe   = errors.New("no answer from the server to a probe")
	errGap     = errors.New("missed events (gap in positions); resuming")
	errWoke    = errors.New("the clock jumped (woke from sleep); reconnecting")
	errOffline = errors.New("the browser went offline")
)

// statusUnauthorized is net/http's StatusUnauthorized: this package is also
// compiled into the wasm app, which keeps net/http out of its own imports
// (see app/cmd/wasm's test).
const statusUnauthorized = 401

// connectOnce dials, runs one connection until it ends, and reports whether
// it got as far as a welcome and the server's retry window (if it sent one).
func (s *Session) connectOnce(ctx context.Context) (connected bool, window [2]time.Duration, err error) {
	dctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	c, resp, err := websocket.Dial(dctx, s.cfg.URL, dialOptions(s.cfg.Token))
	cancel()
	if err != nil {
		if resp != nil && resp.StatusCode == statusUnauthorized {
			return false, window, fmt.Errorf("session: not signed in (HTTP 401): %w", err)
		}
		return false, window, fmt.Errorf("session: dial: %w", err)
	}
	if c.Subprotocol() != protocol.Subprotocol {
		c.Close(protocol.CloseClientGoingAway, "unsupported protocol")
		return false, window, ErrUpdateRequired
	}
	c.SetReadLimit(protocol.MaxClientReadBytes)

	cctx, stop := context.WithCancel(ctx)
	defer stop()
	s.mu.Lock()
	s.stopConn = stop
	closed := s.closed.Load()
	s.mu.Unlock()
	if closed { // Close came during the dial
		go c.Close(protocol.CloseClientGoingAway, "closed")
		return false, window, ErrClosed
	}
	// What the reader reads, in order: messages, then the error that ended
	// the connection (one channel, so that a goaway written just before
	// the close frame is handled before the close).
	type read struct {
		b   []byte
		err error
	}
	frames := make(chan read, 16)
	go func() {
		for {
			_, b, err := c.Read(cctx)
			select {
			case frames <- read{b, err}:
			case <-cctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		s.mu.Lock()
		if s.conn == c {
			s.conn = nil
		}
		clear(s.subbed)
		s.mu.Unlock()
		// Close in the background: on a dead network the close handshake
		// would wait for its own timeout.
		go c.Close(protocol.CloseClientGoingAway, "reconnecting")
		s.flush()
	}()

	// Hello with every feed's position, then everything in the outbox.
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return false, window, ErrClosed
	}
	hello := protocol.Hello{Client: s.cfg.Client}
	now := time.Now()
	for _, name := range s.follow {
		sub := s.subFor(name)
		if sub.Mode == protocol.ModeResume {
			s.status.Stats.Resumes++
		}
		s.subAt[name] = now
		hello.Subs = append(hello.Subs, sub)
	}
	s.conn = c
	var pending []protocol.Action
	for _, p := range s.box.Pending {
		if p.AckedPos == 0 {
			pending = append(pending, p.Action.WithKind(p.Type))
		}
	}
	s.mu.Unlock()
	if err := s.write(c, hello); err != nil {
		return false, window, err
	}
	for _, a := range pending {
		if err := s.write(c, a); err != nil {
			return false, window, err
		}
	}

	interval := protocol.HeartbeatInterval
	dead := time.NewTimer(protocol.DeadAfter(interval))
	defer dead.Stop()
	deadAt, probing := time.Now().Add(protocol.DeadAfter(interval)), false
	deadIn := func(d time.Duration) { // the connection is dead d from now
		dead.Reset(d)
		deadAt = time.Now().Add(d)
	}
	alive := func(d time.Duration) { // traffic: no probe is pending
		deadIn(d)
		probing = false
	}
	beat := time.NewTicker(interval)
	defer beat.Stop()
	// Changed feeds are written to the store at most every FlushInterval.
	flush := time.NewTimer(FlushInterval)
	defer flush.Stop()
	flushArmed := true
	clock := newClockWatch()
	defer clock.stop()
	for {
		select {
		case <-cctx.Done():
			if ctx.Err() != nil {
				return connected, window, ctx.Err()
			}
			return connected, window, errOffline
		case <-clock.jumped:
			return connected, window, errWoke
		case <-dead.C:
			if probing {
				return connected, window, errProbe
			}
			return connected, window, errDead
		case <-beat.C:
			s.write(c, protocol.Heartbeat{Time: time.Now().UnixMilli()})
		case <-s.probe:
			if err := s.write(c, protocol.Heartbeat{Time: time.Now().UnixMilli(), Probe: true}); err != nil {
				return connected, window, err
			}
			if time.Until(deadAt) > protocol.ProbeTimeout {
				deadIn(protocol.ProbeTimeout)
			}
			probing = true
		case <-flush.C:
			flushArmed = false
			s.flush()
		case r := <-frames:
			if r.err != nil {
				return connected, window, fmt.Errorf("session: connection lost: %w", r.err)
			}
			b := r.b
			alive(protocol.DeadAfter(interval))
			m, err := protocol.Decode(b)
			if err != nil {
				s.cfg.Logf("session: bad message from server: %v", err)
				continue
			}
			if w, ok := m.(protocol.Welcome); ok {
				connected = true
				if w.HeartbeatMS > 0 {
					interval = time.Duration(w.HeartbeatMS) * time.Millisecond
					beat.Reset(interval)
					alive(protocol.DeadAfter(interval))
				}
			}
			if !flushArmed {
				flush.Reset(FlushInterval)
				flushArmed = true
			}
			if err := s.handle(c, m); err != nil {
				var ga goAwayErr
				if errors.As(err, &ga) {
					window = [2]time.Duration{time.Duration(ga.g.RetryMinMS) * time.Millisecond, time.Duration(ga.g.RetryMaxMS) * time.Millisecond}
				}
				return connected, window, err
			}
		}
	}
}

func (s *Session) write(c *websocket.Conn, m protocol.Message) error {
	if s.closed.Load() {
		return fmt.Errorf("session: write %s: %w", m.MsgType(), ErrClosed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, protocol.MustEncode(m)); err != nil {
		return fmt.Errorf("session: write %s: %w", m.MsgType(), err)
	}
	return nil
}

// handle applies one message from the server.
func (s *Session) handle(c *websocket.Conn, m protocol.Message) error {
	var ups []Update
	var err error
	s.mu.Lock()
	switch m := m.(type) {
	case protocol.Welcome:
		select { // a RetryNow meant for the last wait is spent
		case <-s.kick:
		default:
		}
		s.status.User, s.status.AppVersion = m.User, m.AppVersion
		s.status.State, s.status.NextTry, s.status.LastError = StateLive, time.Time{}, ""
		s.status.Stats.Connects++
		if s.status.Stats.Connects > 1 {
			s.status.Stats.Reconnects++
		}
		ups = append(ups, Update{Kind: UpdateStatus})
	case protocol.Snapshot:
		if f := s.feeds[m.Feed]; f != nil {
			f.Reset(m)
			delete(s.held, m.Feed) // a page of the replaced posts
			s.dirty[m.Feed] = true
			ups = append(ups, Update{Kind: UpdateFeed, Feed: m.Feed})
		}
	case protocol.HistoryGone:
		s.status.Stats.HistoryGone++
		ups = append(ups, Update{Kind: UpdateStatus})
	case protocol.Subscribed:
		if f := s.feeds[m.Feed]; f != nil {
			if !f.Synced {
				f.Pos, f.Synced = m.Pos, true
				s.dirty[m.Feed] = true
			}
			s.subbed[m.Feed] = true
			if at, ok := s.subAt[m.Feed]; ok {
				s.status.Stats.LastCatchUp = time.Since(at)
			}
			ups = append(ups, Update{Kind: UpdateStatus})
		}
	case protocol.Event:
		f := s.feeds[m.Feed]
		if f == nil {
			break
		}
		switch f.Apply(m) {
		case AppliedOK:
			s.dirty[m.Feed] = true
			if !s.subbed[m.Feed] {
				s.status.Stats.Replayed++
			}
			ev := m
			ups = append(ups, Update{Kind: UpdateFeed, Feed: m.Feed, Event: &ev, Live: s.subbed[m.Feed]})
			s.mergeHeldLocked(m.Feed) // a page of history that waited for this event
			// Our own action's event may come before its ack: it is
			// applied, so it leaves the outbox now (the ack, when it
			// comes, still wakes WaitAck).
			if i := s.box.find(m.Op); i >= 0 && m.Author.ID == s.status.User.ID {
				s.box.Pending = slices.Delete(s.box.Pending, i, i+1)
				_ = s.box.save(s.cfg.Store)
				ups = append(ups, Update{Kind: UpdateOutbox, Feed: m.Feed})
			} else if s.dropSeenLocked(m.Feed) {
				ups = append(ups, Update{Kind: UpdateOutbox, Feed: m.Feed})
			}
		case AppliedDup:
			s.status.Stats.Duplicates++
			ups = append(ups, Update{Kind: UpdateStatus})
		case AppliedGap:
			s.status.Stats.Gaps++
			err = errGap
		}
	case protocol.Ack:
		if i := s.box.find(m.Op); i >= 0 {
			f := s.feeds[m.Feed]
			if f != nil && (!f.Synced || f.Pos < m.Pos) && slices.Contains(s.follow, m.Feed) {
				s.box.Pending[i].AckedPos = m.Pos
			} else {
				s.box.Pending = slices.Delete(s.box.Pending, i, i+1)
			}
			_ = s.box.save(s.cfg.Store)
			ups = append(ups, Update{Kind: UpdateOutbox, Feed: m.Feed})
		}
		s.resolveLocked(m.Op, result{ack: m})
	case *protocol.Error:
		if m.Code == protocol.CodeUnsupportedVer {
			err = ErrUpdateRequired
			break
		}
		if m.Op == "" {
			s.cfg.Logf("session: server error: %v", m)
			break
		}
		if m.Temporary {
			delay := max(time.Duration(m.RetryAfterMS)*time.Millisecond, TemporaryRetry)
			s.cfg.Logf("session: op %s failed for now (%v); resending in %v", m.Op, m, delay)
			op := m.Op
			time.AfterFunc(delay, func() { s.resend(c, op) })
			break
		}
		if i := s.box.find(m.Op); i >= 0 {
			s.box.Rejected = append(s.box.Rejected, Rejected{Pending: s.box.Pending[i], Error: *m})
			s.box.Pending = slices.Delete(s.box.Pending, i, i+1)
			_ = s.box.save(s.cfg.Store)
			ups = append(ups, Update{Kind: UpdateOutbox, Feed: m.Feed})
		}
		s.resolveLocked(m.Op, result{err: m})
	case protocol.Presence:
		s.presence[m.Feed] = m
		ups = append(ups, Update{Kind: UpdatePresence, Feed: m.Feed})
	case protocol.GoAway:
		err = goAwayErr{m}
	case protocol.Heartbeat:
	}
	s.mu.Unlock()
	s.notify(ups...)
	return err
}

// TemporaryRetry is the least wait before an action refused with a
// temporary error (rate_limited, internal) is sent again on the same
// connection; the server's retry_after_ms, when longer, wins.
const TemporaryRetry = time.Second

// resend sends a pending action again if c is still the connection (after
// a reconnect the whole outbox is resent anyway).
func (s *Session) resend(c *websocket.Conn, op string) {
	s.mu.Lock()
	i := s.box.find(op)
	if s.conn != c || i < 0 || s.box.Pending[i].AckedPos != 0 {
		s.mu.Unlock()
		return
	}
	p := s.box.Pending[i]
	s.mu.Unlock()
	s.write(c, p.Action.WithKind(p.Type))
}

// resolveLocked records an op's outcome and wakes its waiters.
func (s *Session) resolveLocked(op string, r result) {
	for _, ch := range s.waiters[op] {
		ch <- r
	}
	delete(s.waiters, op)
	if _, ok := s.results[op]; !ok {
		s.order = append(s.order, op)
	}
	s.results[op] = r
	if len(s.order) > maxResults {
		delete(s.results, s.order[0])
		s.order = s.order[1:]
	}
}

// dropSeenLocked removes acknowledged outbox entries whose event the feed
// has now applied. It reports whether it removed any.
func (s *Session) dropSeenLocked(feed string) bool {
	f := s.feeds[feed]
	n := len(s.box.Pending)
	s.box.Pending = slices.DeleteFunc(s.box.Pending, func(p Pending) bool {
		return p.Action.Feed == feed && p.AckedPos != 0 && f.Pos >= p.AckedPos
	})
	return len(s.box.Pending) != n
}

// flush writes changed feeds to the store.
func (s *Session) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return
	}
	for name := range s.dirty {
		f := s.feeds[name]
		keep := *f
		if len(keep.Posts) > protocol.MaxSnapshotPosts {
			keep.Posts = keep.Posts[len(keep.Posts)-protocol.MaxSnapshotPosts:]
			keep.Begins = false // the older ones are loaded again when wanted
		}
		if b, err := json.Marshal(keep); err == nil {
			if err := s.cfg.Store.Set(keyFeedPrefix+name, b); err != nil {
				s.cfg.Logf("session: store feed %s: %v", name, err)
			}
		}
		delete(s.dirty, name)
	}
}
