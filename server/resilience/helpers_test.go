package resilience

import (
	"context"
	"sync"
	"testing"
	"time"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// client is a session whose applied events are recorded and checked for
// continuity per feed.
type client struct {
	s      *session.Session
	mu     sync.Mutex
	events []protocol.Event
	pos    map[string]uint64 // last applied live event per feed (0 before any)
	errs   []string
	lives  []time.Time // when the session became Live (each welcome)
	tries  []try       // each reconnect scheduled (Status.NextTry and LastError)
	live   bool
	cancel context.CancelFunc
	done   chan struct{}
}

// try is a reconnect the session scheduled: when, and why (the error that
// ended the connection before it).
type try struct {
	at  time.Time
	why string
}

type clientOpts struct {
	url, token string
	feeds      []string
	backoff    session.Backoff
	transport  string        // Config.Transport (default: WebSocket)
	probeUp    time.Duration // Config.ProbeUpEvery (default: session.ProbeUpEvery)
}

func startClient(t testing.TB, o clientOpts) *client {
	c := &client{pos: map[string]uint64{}, done: make(chan struct{})}
	c.s = session.New(session.Config{
		URL: o.url, Token: o.token, Feeds: o.feeds, Backoff: o.backoff,
		InitialMode: protocol.ModeLive, Transport: o.transport, ProbeUpEvery: o.probeUp,
		OnUpdate: func(u session.Update) {
			if u.Kind == session.UpdateStatus {
				st := c.s.Status()
				live := st.State == session.StateLive
				c.mu.Lock()
				if live && !c.live {
					c.lives = append(c.lives, time.Now())
				}
				if st.State == session.StateReconnecting && !st.NextTry.IsZero() &&
					(len(c.tries) == 0 || !c.tries[len(c.tries)-1].at.Equal(st.NextTry)) {
					c.tries = append(c.tries, try{st.NextTry, st.LastError})
				}
				c.live = live
				c.mu.Unlock()
				return
			}
			if u.Kind != session.UpdateFeed {
				return
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if u.Event == nil {
				c.errs = append(c.errs, "unexpected reset of "+u.Feed)
				return
			}
			e := *u.Event
			last, ok := c.pos[e.Feed]
			if ok && (e.Pos <= last || e.Prev > last) {
				c.errs = append(c.errs, "out of sequence")
			}
			c.pos[e.Feed] = e.Pos
			c.events = append(c.events, e)
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() { defer close(c.done); c.s.Run(ctx) }()
	t.Cleanup(c.stop)
	return c
}

func (c *client) stop() {
	c.cancel()
	<-c.done
}

func (c *client) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// check verifies that the client applied, for feed, exactly the texts want,
// in order, each once.
func (c *client) check(t testing.TB, name string, want []string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) > 0 {
		t.Errorf("%s: %v", name, c.errs)
	}
	var got []string
	for _, e := range c.events {
		if e.Kind == protocol.KindPost {
			got = append(got, e.Text)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s applied %d posts, want %d", name, len(got), len(want))
		return
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: post %d is %q, want %q", name, i, got[i], want[i])
			return
		}
	}
}
