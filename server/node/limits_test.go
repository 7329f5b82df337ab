package node_test

import (
	"fmt"
	"testing"
	"time"

	"livefeed/server/gateway"
	"livefeed/server/internal/testnode"
	"livefeed/shared/protocol"
)

// TestActionRateIsPerUser: a user's actions are limited over all their
// connections together (before: per connection, so four users with several
// connections each did about 270 actions a second).
func TestActionRateIsPerUser(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	tok, _ := tn.SignIn(t, "Spammer")
	const conns, each = 4, 60
	cs := make([]*testnode.Client, conns)
	for i := range cs {
		cs[i] = testnode.Dial(t, tn, tok)
		cs[i].Hello()
	}
	start := time.Now()
	for i, c := range cs {
		for j := range each {
			c.Send(protocol.Action{Op: fmt.Sprintf("c%dx%d", i, j), Feed: "main", Text: "x"}.WithKind(protocol.TypePost))
		}
	}
	acks := 0
	for _, c := range cs {
		for n := 0; n < each; {
			switch m := c.Next().(type) {
			case protocol.Ack:
				acks++
				n++
			case *protocol.Error:
				if m.Code != protocol.CodeRateLimited {
					t.Fatalf("error %+v", m)
				}
				n++
			}
		}
	}
	allowed := gateway.ActionBurst + int(gateway.ActionRate*time.Since(start).Seconds()) + 1
	t.Logf("%d connections x %d actions: %d acknowledged in %s (allowed %d)", conns, each, acks, time.Since(start).Round(time.Millisecond), allowed)
	if acks > allowed || acks < gateway.ActionBurst {
		t.Fatalf("%d acknowledged over %d connections; the user's limit allows %d", acks, conns, allowed)
	}
}

// TestConnectionsPerUser: MaxConnsPerUser connections of one user are
// served; the next gets rate_limited and close 4004; another user is not
// affected.
func TestConnectionsPerUser(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	tok, _ := tn.SignIn(t, "Tabs")
	for range gateway.MaxConnsPerUser {
		testnode.Dial(t, tn, tok).Hello()
	}
	over := testnode.Dial(t, tn, tok)
	m, err := over.Read(5 * time.Second)
	if err != nil {
		t.Fatalf("connection %d: no message before the close: %v", gateway.MaxConnsPerUser+1, err)
	}
	if e, ok := m.(*protocol.Error); !ok || e.Code != protocol.CodeRateLimited || e.RetryAfterMS <= 0 {
		t.Fatalf("connection %d got %#v", gateway.MaxConnsPerUser+1, m)
	}
	other, _ := tn.SignIn(t, "Other")
	testnode.Dial(t, tn, other).Hello()
}

// TestProbesAndSubscribesAreLimited: probes over ProbeBurst are not
// answered at once, and a subscribe/unsubscribe loop in snapshot mode gets
// rate_limited after SubscribeBurst (before, one connection got back 291
// times the bytes it sent).
func TestProbesAndSubscribesAreLimited(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	tok, _ := tn.SignIn(t, "Prober")
	c := testnode.Dial(t, tn, tok)
	c.Hello()
	const probes = 50
	for range probes {
		c.Send(protocol.Heartbeat{Probe: true})
	}
	// A message with an answer marks the end: the reader handles messages
	// in order (a read timeout would close the connection).
	c.Send(protocol.Unsubscribe{Feed: "nothing"})
	answered := 0
	for done := false; !done; {
		m, err := c.Read(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case protocol.Heartbeat:
			answered++
		case *protocol.Error:
			if m.Code != protocol.CodeNotSubscribed {
				t.Fatalf("%+v", m)
			}
			done = true
		}
	}
	if answered < gateway.ProbeBurst || answered > gateway.ProbeBurst+2 {
		t.Fatalf("%d of %d probes answered; want the burst of %d (and what the rate adds)", answered, probes, gateway.ProbeBurst)
	}

	subscribed, limited := 0, 0
	for i := 0; limited == 0 && i < 3*gateway.SubscribeBurst; i++ {
		c.Send(protocol.Subscribe{Sub: protocol.Sub{Feed: "main", Mode: protocol.ModeSnapshot}})
		for done := false; !done; {
			switch m := c.Next().(type) {
			case protocol.Subscribed:
				subscribed++
				done = true
			case *protocol.Error:
				if m.Code != protocol.CodeRateLimited {
					t.Fatalf("subscribe %d: %+v", i+1, m)
				}
				limited++
				done = true
			}
		}
		c.Send(protocol.Unsubscribe{Feed: "main"})
	}
	if limited == 0 || subscribed < gateway.SubscribeBurst || subscribed > gateway.SubscribeBurst+3 {
		t.Fatalf("%d subscribes served before the limit, want about %d", subscribed, gateway.SubscribeBurst)
	}
}
