package auth_test

import (
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"livefeed/server/auth"
	"livefeed/server/eventlog"
	"livefeed/server/internal/testauth"
)

// storedTTL returns the TTL the bucket holds the user's only session
// record with (its Nats-TTL header).
func storedTTL(t *testing.T, s *auth.Sessions, nc *nats.Conn, user string) time.Duration {
	t.Helper()
	l, err := s.List(ctx, user)
	if err != nil || len(l) != 1 {
		t.Fatalf("sessions of %s: %+v %v", user, l, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "KV_"+eventlog.DefaultAccountsBucket)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(ctx, "$KV."+eventlog.DefaultAccountsBucket+".s."+user+"."+l[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := time.ParseDuration(m.Header.Get(jetstream.MsgTTLHeader))
	if err != nil {
		t.Fatalf("TTL header %q: %v", m.Header.Get(jetstream.MsgTTLHeader), err)
	}
	return d
}

// TestSessionRecordTTL: every session record is stored with a TTL until
// its expiry, so the server removes it whether or not it is presented
// again; a renewal rewrites the TTL; near SessionMaxLifetime the TTL is
// what is left of it; an API token's is APITokenLifetime.
func TestSessionRecordTTL(t *testing.T) {
	s, nc := testauth.Sessions(t)
	start := time.Unix(1_800_000_000, 0)
	clock, u, token := guestOnClock(t, s, start)
	if got := storedTTL(t, s, nc, u.ID); got != auth.SessionIdleTTL {
		t.Fatalf("a new session's TTL is %v, want SessionIdleTTL (%v)", got, auth.SessionIdleTTL)
	}
	clock.Advance(auth.SessionRenewAfter)
	if _, err := s.Lookup(ctx, token); err != nil {
		t.Fatal(err)
	}
	waitRenewed(t, s, token, u.ID, clock.Now())
	if got := storedTTL(t, s, nc, u.ID); got != auth.SessionIdleTTL {
		t.Fatalf("a renewed session's TTL is %v, want SessionIdleTTL again", got)
	}
	// Kept alive by a lookup before each idle expiry until SessionIdleTTL-1h
	// before the cap: then the renewal's TTL is what is left of it.
	left := auth.SessionIdleTTL - time.Hour
	last := start.Add(auth.SessionMaxLifetime - left)
	for clock.Now().Before(last) {
		next := clock.Now().Add(auth.SessionIdleTTL - time.Hour)
		if next.After(last) {
			next = last
		}
		clock.Set(next)
		if _, err := s.Lookup(ctx, token); err != nil {
			t.Fatalf("at %v: %v", clock.Now().Sub(start), err)
		}
		waitRenewed(t, s, token, u.ID, clock.Now())
	}
	if got := storedTTL(t, s, nc, u.ID); got != left {
		t.Fatalf("%v before SessionMaxLifetime the TTL is %v, want %v", left, got, left)
	}

	bot := u
	bot.ID = "uBotOwner01"
	if _, _, err := s.Create(ctx, bot, auth.KindAPIToken, "bot"); err != nil {
		t.Fatal(err)
	}
	if got := storedTTL(t, s, nc, bot.ID); got != auth.APITokenLifetime {
		t.Fatalf("an API token's TTL is %v, want APITokenLifetime", got)
	}
}

// TestUnusedSessionRemoved: a guest session nobody presents again is
// removed by the server at its TTL, and the removal is seen as a
// revocation (its sockets close).
func TestUnusedSessionRemoved(t *testing.T) {
	s, _ := testauth.Sessions(t)
	s.UseIdleTTL(eventlog.MinKeyTTL)
	var mu sync.Mutex
	ended := map[string]bool{}
	s.OnRevoke(func(user, _ string) { mu.Lock(); ended[user] = true; mu.Unlock() })
	u, token, err := s.Guest(ctx, "Ada")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		done := ended[u.ID]
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unused session's record was never removed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if l, err := s.List(ctx, u.ID); err != nil || len(l) != 0 {
		t.Fatalf("sessions after the TTL: %+v %v", l, err)
	}
	if _, err := s.Lookup(ctx, token); err == nil {
		t.Fatal("the removed session's token still works")
	}
}
