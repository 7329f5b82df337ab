package gateway_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"livefeed/server/hub"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/shared/protocol"
)

// recorder reads everything a client gets, from a goroutine of its own
// (a read that times out would close a coder/websocket connection), and
// keeps the presence messages of one feed with when each came.
type recorder struct {
	mu         sync.Mutex
	subscribed bool
	got        []protocol.Presence
	at         []time.Time
}

func record(c *testnode.Client, feed string) *recorder {
	r := &recorder{}
	go func() {
		for {
			_, b, err := c.WS.Read(context.Background())
			if err != nil {
				return // closed when the test ends
			}
			m, err := protocol.Decode(b)
			if err != nil {
				continue // the type checks below would not see it; other tests cover decoding
			}
			r.mu.Lock()
			switch m := m.(type) {
			case protocol.Subscribed:
				r.subscribed = r.subscribed || m.Feed == feed
			case protocol.Presence:
				if m.Feed == feed {
					r.got = append(r.got, m)
					r.at = append(r.at, time.Now())
				}
			}
			r.mu.Unlock()
		}
	}()
	return r
}

// since returns the presence messages that came after start, and when.
func (r *recorder) since(start time.Time) (got []protocol.Presence, at []time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, p := range r.got {
		if !r.at[i].Before(start) {
			got = append(got, p)
			at = append(at, r.at[i].Sub(start).Round(time.Microsecond))
		}
	}
	return got, at
}

func (r *recorder) isSubscribed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.subscribed
}

func ids(p protocol.Presence) []string {
	var out []string
	for _, u := range p.Online {
		out = append(out, u.ID)
	}
	return out
}

// TestPresenceSentOnceUnlessChanged: over a real socket, a new subscriber
// gets who is online once, after subscribed, and again only when it
// changes (docs/protocol.md: unchanged presence is not sent). The issue
// reported a second, identical presence at the next announcement, as its
// own join made the feed's presence change for everyone else.
func TestPresenceSentOnceUnlessChanged(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	tokA, ada := tn.SignIn(t, "Ada")
	tokB, bob := tn.SignIn(t, "Bob")
	// Three announcement intervals: a repeat would come at the first.
	const watch = 3 * hub.PresenceInterval

	join := func(tok string) *recorder {
		c := testnode.Dial(t, tn, tok)
		c.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
		r := record(c, "main")
		wait.Until(t, 10*time.Second, "subscribed", r.isSubscribed)
		return r
	}
	check := func(who string, r *recorder, start time.Time, want ...string) {
		t.Helper()
		got, at := r.since(start)
		var list []string
		if len(got) == 1 {
			list = ids(got[0])
		}
		slices.Sort(want)
		slices.Sort(list)
		if len(got) != 1 || !slices.Equal(list, want) {
			t.Errorf("%s got %d presence messages %+v at %v, want one listing %v", who, len(got), got, at, want)
		}
		t.Logf("%s: presence at %v", who, at)
	}

	start := time.Now()
	a := join(tokA)
	// Not a synchronisation: the window in which a repeat would come.
	time.Sleep(watch)
	check("Ada alone", a, start, ada.ID)

	// Bob joins: he gets it once; Ada once, as it changed for her.
	start = time.Now()
	b := join(tokB)
	time.Sleep(watch)
	check("Bob", b, start, ada.ID, bob.ID)
	check("Ada, after Bob joined", a, start, ada.ID, bob.ID)
}
