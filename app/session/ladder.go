package session

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"livefeed/shared/protocol"
)

// The transport ladder (Config.Transport = TransportAuto): WebSocket, then
// a stream over HTTP, then polls. A connection attempt starts on the rung
// that last worked (remembered for TransportMemory) or at the top, and
// moves down a rung, without a backoff wait, when the rung never
// completed an application-level round trip (hello answered by welcome)
// within FallbackAfter, or was refused FastFailsToFall times in a row.
// While live below the top, the session dials a WebSocket at once and then
// every ProbeUpEvery in the background (hello with no feeds,
// welcome back, closed) and, as soon as one passes, ends the connection and
// reconnects over WebSocket at once, resuming every feed from its
// positions and resending the outbox, so nothing is lost or doubled. The
// outbox, backoff, continuity checks, probes and lifecycle triggers are
// the session's, the same on every rung.

// Ladder timing.
const (
	// FallbackAfter is how long a rung has to answer hello with welcome
	// before the attempt moves down a rung: a proxy that refuses the
	// upgrade fails at once, one that holds a stream back until it ends
	// is found out here.
	FallbackAfter = 5 * time.Second
	// TransportMemory is how long the rung that worked is remembered
	// (the browser's localStorage, the CLI's config directory): the next
	// start begins there instead of waiting for the rungs above to fail.
	TransportMemory = 24 * time.Hour
	// ProbeUpEvery is how often a session live below the top tries a
	// WebSocket in the background (the first time at once: a rung chosen
	// while the server restarted is left within a round trip).
	ProbeUpEvery = 15 * time.Second
	// FastFailsToFall is how many attempts in a row a rung must fail
	// before its timeout (refused at once) for the session to move down.
	FastFailsToFall = 2
)

// keyTransport is the store key of the remembered rung.
const keyTransport = "livefeed/transport"

var (
	errNoWelcome = errors.New("no welcome within the fallback timeout")
	errMoveUp    = errors.New("a WebSocket passed the background probe; moving up")
)

// ladder is the session's choice of transport.
type ladder struct {
	rungs  []string
	dials  map[string]dialFunc
	store  Store // where the rung that worked is remembered (nil: nowhere)
	every  time.Duration
	within time.Duration

	mu        sync.Mutex
	fastFails int  // attempts in a row on this rung that failed before its timeout
	at        int  // the rung to dial next
	up        bool // a probe passed: the next attempt is at the top, at once
	fell      bool // the last attempt moved down: the next one goes at once
}

type remembered struct {
	Transport string    `json:"transport"`
	At        time.Time `json:"at"`
}

func newLadder(cfg Config, ws dialFunc) *ladder {
	if cfg.Remember == nil {
		cfg.Remember = cfg.Store
	}
	mode := cfg.Transport
	if mode == "" {
		mode = TransportWebSocket
	}
	web := newHTTPDoer(cfg)
	dials := map[string]dialFunc{
		TransportWebSocket: ws,
		TransportStream:    dialHTTP(cfg, protocol.HTTPStream, web),
		TransportPoll:      dialHTTP(cfg, protocol.HTTPPoll, web),
	}
	l := &ladder{dials: dials, store: cfg.Remember, every: cfg.ProbeUpEvery, within: cfg.FallbackAfter}
	if l.every <= 0 {
		l.every = ProbeUpEvery
	}
	if l.within <= 0 {
		l.within = FallbackAfter
	}
	if mode != TransportAuto {
		l.rungs = []string{mode}
		return l
	}
	l.rungs = []string{TransportWebSocket, TransportStream, TransportPoll}
	l.at = l.rememberedRung()
	return l
}

// rememberedRung returns the rung that worked within TransportMemory,
// or the top.
func (l *ladder) rememberedRung() int {
	if l.store == nil {
		return 0
	}
	var r remembered
	if b, ok := l.store.Get(keyTransport); ok && json.Unmarshal(b, &r) == nil && time.Since(r.At) < TransportMemory {
		for i, name := range l.rungs {
			if name == r.Transport {
				return i
			}
		}
	}
	return 0
}

// auto reports whether the session chooses its transport.
func (l *ladder) auto() bool { return len(l.rungs) > 1 }

// next returns the rung to dial, its dial and the welcome timeout (0:
// none, on the last rung).
func (l *ladder) next() (string, dialFunc, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.up {
		l.up, l.at = false, 0
	}
	name := l.rungs[l.at]
	within := time.Duration(0)
	if l.at < len(l.rungs)-1 {
		within = l.within
	}
	return name, l.dials[name], within
}

// done records how an attempt on rung name went (connected: it got a
// welcome; took: how long it lasted) and reports whether the next attempt
// goes at once (a rung down, or up after a probe). A rung that found no
// round trip within its timeout (a proxy that holds it) is left at once;
// one that failed fast (refused: a proxy, or a server that is down or
// restarting) is left only when it fails fast twice in a row, with the
// backoff between, so that a restart of the server does not send its
// clients down to HTTP; and an HTTP rung that got no response at all
// (err: unreachable) sends the session back to where it starts.
func (l *ladder) done(name string, connected bool, took time.Duration, err error) (now bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.up {
		return true
	}
	if connected {
		l.fastFails = 0
		return false
	}
	if l.at > 0 && unreachable(err) {
		// HTTP got no response at all: the server is down or out of
		// reach, and that, not a proxy, is why the rungs above failed.
		// After the backoff the session starts where it would start
		// anew, so that a server back from a restart is met over a
		// WebSocket, not over a stream left again a round trip later.
		l.fastFails = 0
		l.at = l.rememberedRung()
		return false
	}
	if l.at < len(l.rungs)-1 && l.rungs[l.at] == name {
		if took < l.within {
			if l.fastFails++; l.fastFails < FastFailsToFall {
				return false
			}
		}
		l.fastFails = 0
		l.at++
		return true
	}
	l.fastFails = 0
	// The bottom failed too: the next attempt, after the backoff,
	// starts at the top again unless a rung below is remembered.
	l.at = l.rememberedRung()
	return false
}

// worked remembers the rung that got a welcome.
func (l *ladder) worked(name string) {
	if l.store == nil || !l.auto() {
		return
	}
	b, _ := json.Marshal(remembered{Transport: name, At: time.Now()})
	_ = l.store.Set(keyTransport, b)
}

// probeUp dials a WebSocket every l.every until one completes a round
// trip or ctx ends; then it marks the ladder to move up and calls moveUp.
func (l *ladder) probeUp(ctx context.Context, moveUp func()) {
	t := time.NewTicker(l.every)
	defer t.Stop()
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		if l.roundTrip(ctx, l.dials[TransportWebSocket]) {
			l.mu.Lock()
			l.up = true
			l.mu.Unlock()
			moveUp()
			return
		}
	}
}

// roundTrip reports whether dial gives a connection that answers hello
// (with no feeds) with welcome within l.within.
func (l *ladder) roundTrip(ctx context.Context, dial dialFunc) bool {
	ctx, cancel := context.WithTimeout(ctx, l.within)
	defer cancel()
	c, err := dial(ctx)
	if err != nil {
		return false
	}
	defer c.Close(protocol.CloseNormal, "probe done")
	if c.Write(ctx, protocol.MustEncode(protocol.Hello{Client: "probe"})) != nil {
		return false
	}
	for {
		b, err := c.Read(ctx)
		if err != nil {
			return false
		}
		if protocol.PeekType(b) == protocol.TypeWelcome {
			return true
		}
	}
}
