package gateway

import (
	"testing"
	"time"

	"livefeed/server/hub"
	"livefeed/shared/protocol"
)

type nopSink struct{ _ byte } // not zero-sized: each one a distinct sink

func (*nopSink) Deliver(*hub.Frames)    {}
func (*nopSink) DeliverPresence([]byte) {}

// request joins feed as u for one request of the downlink connection id
// (as ServeDownlink does) and returns the connection and what it joined.
func request(d *downConns, h *hub.Hub, id string, u protocol.User, sid string) (*downConn, []parkedSub) {
	c, parked := d.begin(id, u.ID, sid)
	s := &nopSink{}
	h.Join("main", s, u)
	d.release(parked)
	return c, []parkedSub{{"main", s}}
}

// TestDownConns: a connection's next request keeps its user online; a
// connection is its user's and session's alone; a user has at most
// MaxConnsPerUser; a revoked session's connections and all of them at
// shutdown leave at once; a connection past its grace leaves.
func TestDownConns(t *testing.T) {
	h := hub.New()
	ada, bob := protocol.User{ID: "ua", Name: "Ada"}, protocol.User{ID: "ub", Name: "Bob"}
	d := newDownConns(h, time.Hour)
	online := func() int { return h.Presence("main").Count }

	c, subs := request(d, h, "", ada, "s1")
	d.end(c, subs)
	if online() != 1 {
		t.Fatal("the ended request's membership is not kept")
	}
	c2, subs := request(d, h, c.id, ada, "s1")
	if c2 != c {
		t.Fatal("the next request did not continue the connection")
	}
	d.end(c, subs)
	if _, dep := h.PresenceChanges(); dep != 0 || online() != 1 {
		t.Fatalf("%d departures, %d online", dep, online())
	}
	// Another user, or another session of the same user, naming it gets
	// a connection of its own.
	for _, o := range []struct {
		u   protocol.User
		sid string
	}{{bob, "s2"}, {ada, "s3"}} {
		other, _ := d.begin(c.id, o.u.ID, o.sid)
		if other == nil || other == c {
			t.Fatalf("%s (%s) continued another's connection", o.u.Name, o.sid)
		}
		d.end(other, nil)
	}
	// MaxConnsPerUser: Ada has 2 (s1, s3); up to the cap, then none.
	for i := 2; i < MaxConnsPerUser; i++ {
		if x, _ := d.begin("", ada.ID, "s1"); x == nil {
			t.Fatalf("connection %d refused", i+1)
		} else {
			d.end(x, nil)
		}
	}
	if x, _ := d.begin("", ada.ID, "s1"); x != nil {
		t.Fatalf("connection %d made, over MaxConnsPerUser", MaxConnsPerUser+1)
	}
	// A revoked session's membership goes at once.
	d.drop("s1")
	if online() != 0 {
		t.Fatalf("%d online after the session was revoked", online())
	}
	if x, _ := d.begin(c.id, ada.ID, "s1"); x == c {
		t.Fatal("a revoked session's connection continued")
	}

	// The grace.
	d = newDownConns(h, 10*time.Millisecond)
	c, subs = request(d, h, "", ada, "s4")
	d.end(c, subs)
	for online() != 0 {
		time.Sleep(time.Millisecond)
	}
	// Shutdown: what is parked goes, and nothing is parked after.
	d = newDownConns(h, time.Hour)
	c, subs = request(d, h, "", ada, "s5")
	d.end(c, subs)
	c, subs = request(d, h, c.id, ada, "s5")
	d.drop("")
	d.end(c, subs)
	if online() != 0 {
		t.Fatalf("%d online after shutdown", online())
	}
}
