package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"livefeed/server/auth"
	"livefeed/server/eventlog"
	"livefeed/server/internal/testauth"
	"livefeed/shared/protocol"
)

var ctx = context.Background()

// guestOnClock gives s a clock of the test's own, set at start, and signs
// Ada in as a guest.
func guestOnClock(t *testing.T, s *auth.Sessions, start time.Time) (*auth.Clock, protocol.User, string) {
	t.Helper()
	clock := auth.NewClock(start)
	s.UseClock(clock)
	u, token, err := s.Guest(ctx, "Ada")
	if err != nil {
		t.Fatal(err)
	}
	return clock, u, token
}

func TestGuestSessionLifecycle(t *testing.T) {
	s, _ := testauth.Sessions(t)
	var mu sync.Mutex
	var revoked []string
	s.OnRevoke(func(user, id string) { mu.Lock(); revoked = append(revoked, user+"/"+id); mu.Unlock() })
	u, token, err := s.Guest(ctx, "Ada")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Lookup(ctx, token)
	if err != nil || got.User != u || got.Kind != auth.KindGuest {
		t.Fatalf("lookup: %+v %v, want %+v", got, err, u)
	}
	// Another user's id in front of the same secret and mac: refused.
	_, other, _ := s.Guest(ctx, "Bob")
	forged := strings.SplitN(other, ".", 2)[0] + "." + strings.SplitN(token, ".", 2)[1]
	if _, err := s.Lookup(ctx, forged); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("a token with another user's id: %v", err)
	}
	if err := s.Revoke(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, token); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("lookup after revoke: %v", err)
	}
	if _, err := s.Lookup(ctx, other); err != nil {
		t.Fatalf("the other session was ended too: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(revoked)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OnRevoke called %d times, want 1", n)
		}
		time.Sleep(time.Millisecond)
	}
	if want := u.ID + "/" + got.ID; revoked[0] != want {
		t.Fatalf("OnRevoke(%s), want %s", revoked[0], want)
	}
	// The gateway asks Gone after registering a socket it authenticated
	// before the revocation arrived.
	if !s.Gone(u.ID, got.ID) {
		t.Fatal("Gone is false for the revoked session")
	}
	if o, _ := s.Lookup(ctx, other); s.Gone(o.User.ID, o.ID) {
		t.Fatal("Gone is true for a live session")
	}
	if _, _, err := s.Guest(ctx, "Ada\u202e"); err == nil {
		t.Fatal("a name with a bidi override was accepted")
	}
}

// waitRenewed waits until the stored record of the user's only session
// (token) was renewed at or after at, looking the token up meanwhile: a
// lookup may find the previous renewal's goroutine not quite finished
// (one renewal at a time) and leave the renewal to the next.
func waitRenewed(t *testing.T, s *auth.Sessions, token, user string, at time.Time) auth.Session {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := s.Lookup(ctx, token); err != nil {
			t.Fatalf("lookup while waiting for the renewal: %v", err)
		}
		l, err := s.List(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		if len(l) == 1 && l[0].Renewed >= at.UnixMilli() {
			return l[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("not renewed at %v: %+v", at, l)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSessionRenewal: sliding renewal at SessionRenewAfter, idle expiry
// at SessionIdleTTL, and the cap at SessionMaxLifetime, each at its edge.
func TestSessionRenewal(t *testing.T) {
	s, _ := testauth.Sessions(t)
	start := time.Unix(1_800_000_000, 0)
	clock, u, token := guestOnClock(t, s, start)
	clock.Advance(auth.SessionRenewAfter - time.Millisecond)
	if _, err := s.Lookup(ctx, token); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // a renewal would have been written by now
	if l, _ := s.List(ctx, u.ID); l[0].Renewed != start.UnixMilli() {
		t.Fatalf("renewed before SessionRenewAfter: %+v", l[0])
	}
	clock.Advance(time.Millisecond)
	if _, err := s.Lookup(ctx, token); err != nil {
		t.Fatal(err)
	}
	rec := waitRenewed(t, s, token, u.ID, clock.Now())
	if want := clock.Now().Add(auth.SessionIdleTTL).UnixMilli(); rec.Expires != want {
		t.Fatalf("expires %d after renewal, want %d", rec.Expires, want)
	}
	// Idle: valid 1 ms before the expiry, not at it.
	clock.Set(time.UnixMilli(rec.Expires - 1))
	sess, err := s.Lookup(ctx, token)
	if err != nil {
		t.Fatalf("1 ms before expiry: %v", err)
	}
	rec = waitRenewed(t, s, token, u.ID, clock.Now()) // that lookup renewed it again
	clock.Set(time.UnixMilli(rec.Expires))
	if _, err := s.Lookup(ctx, token); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("at the idle expiry: %v", err)
	}
	_ = sess

	// The cap: renewed every 29 days, a session still ends
	// SessionMaxLifetime after it was made.
	clock.Set(start)
	u2, token2, err := s.Guest(ctx, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	for clock.Now().Before(start.Add(auth.SessionMaxLifetime - 29*24*time.Hour)) {
		clock.Advance(29 * 24 * time.Hour)
		if _, err := s.Lookup(ctx, token2); err != nil {
			t.Fatalf("at %v: %v", clock.Now().Sub(start), err)
		}
		waitRenewed(t, s, token2, u2.ID, clock.Now())
	}
	l, _ := s.List(ctx, u2.ID)
	if want := start.Add(auth.SessionMaxLifetime).UnixMilli(); l[0].Expires != want {
		t.Fatalf("expires %v after made, want SessionMaxLifetime", time.Duration(l[0].Expires-start.UnixMilli())*time.Millisecond)
	}
	clock.Set(start.Add(auth.SessionMaxLifetime))
	if _, err := s.Lookup(ctx, token2); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("at SessionMaxLifetime: %v", err)
	}
}

// TestMaxSessionsPerUser: MaxSessionsPerUser browser sessions live side
// by side; one more ends the least recently used.
func TestMaxSessionsPerUser(t *testing.T) {
	s, _ := testauth.Sessions(t)
	clock := auth.NewClock(time.Unix(1_800_000_000, 0))
	s.UseClock(clock)
	u := protocol.User{ID: "uAccount1", Name: "Ada", Handle: "ada"}
	var tokens []string
	for i := 0; i < auth.MaxSessionsPerUser; i++ {
		clock.Advance(time.Second)
		tok, _, err := s.Create(ctx, u, auth.KindAccount, "")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	for i, tok := range tokens {
		if _, err := s.Lookup(ctx, tok); err != nil {
			t.Fatalf("session %d of %d: %v", i+1, auth.MaxSessionsPerUser, err)
		}
	}
	clock.Advance(time.Second)
	if _, _, err := s.Create(ctx, u, auth.KindAccount, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, tokens[0]); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("the least recently used session outlived one over MaxSessionsPerUser: %v", err)
	}
	for _, tok := range tokens[1:] {
		if _, err := s.Lookup(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if l, _ := s.List(ctx, u.ID); len(l) != auth.MaxSessionsPerUser {
		t.Fatalf("%d sessions, want %d", len(l), auth.MaxSessionsPerUser)
	}
	n, err := s.RevokeUser(ctx, u.ID, auth.KindAccount)
	if err != nil || n != auth.MaxSessionsPerUser {
		t.Fatalf("sign out everywhere ended %d (%v), want %d", n, err, auth.MaxSessionsPerUser)
	}
	for _, tok := range tokens {
		if _, err := s.Lookup(ctx, tok); !errors.Is(err, auth.ErrInvalid) {
			t.Fatal("a session outlived sign out everywhere")
		}
	}
}

// TestSessionCacheBounded: the cache holds MaxCachedSessions sessions; one
// more pushes one out, and a new session still gets in.
func TestSessionCacheBounded(t *testing.T) {
	s, _ := testauth.Sessions(t)
	for i := range auth.MaxCachedSessions - 1 {
		s.RememberFake(i)
	}
	_, token, err := s.Guest(ctx, "Ada") // Create caches it: the limit reached
	if err != nil {
		t.Fatal(err)
	}
	if n := s.CacheLen(); n != auth.MaxCachedSessions || !s.Cached(token) {
		t.Fatalf("at the limit: %d cached (want %d), new session cached %v", n, auth.MaxCachedSessions, s.Cached(token))
	}
	s.RememberFake(auth.MaxCachedSessions)
	if n := s.CacheLen(); n != auth.MaxCachedSessions {
		t.Fatalf("one over the limit: %d cached, want %d", n, auth.MaxCachedSessions)
	}
	if _, err := s.Lookup(ctx, token); err != nil { // pushed out or not, it is found
		t.Fatal(err)
	}
}

// TestRevokedWhileCachedElsewhere: a session cached on two nodes and
// revoked on one is refused, and its sockets told to close, on the other
// as soon as the bucket's watch says so; a lookup whose read raced with the
// revocation does not cache it again.
func TestRevokedWhileCachedElsewhere(t *testing.T) {
	a, nc := testauth.Sessions(t)
	kv, err := eventlog.OpenKV(ctx, nc, eventlog.KVConfig{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.OpenSessions(ctx, kv, a.Signer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	revoked := make(chan string, 1)
	b.OnRevoke(func(user, id string) { revoked <- id })
	_, token, err := a.Guest(ctx, "Ada")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := b.Lookup(ctx, token)
	if err != nil || !a.Cached(token) || !b.Cached(token) {
		t.Fatalf("lookup on b: %v; cached on a %v, on b %v", err, a.Cached(token), b.Cached(token))
	}
	if err := a.Revoke(ctx, token); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-revoked:
		if id != sess.ID {
			t.Fatalf("b's OnRevoke got %s, want %s", id, sess.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b's watch never saw the revocation")
	}
	if _, err := b.Lookup(ctx, token); !errors.Is(err, auth.ErrInvalid) || b.Cached(token) {
		t.Fatalf("b after its watch saw the revocation: %v, cached %v", err, b.Cached(token))
	}

	// A read that began before the revocation and ends after the watch
	// saw it: the record it read is not cached.
	_, other, err := a.Guest(ctx, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	b.NoteGone(other) // as if the delete's watch event came in during b's read
	if _, err := b.Lookup(ctx, other); err != nil {
		t.Fatal(err) // the record is still there: this read found it
	}
	if b.Cached(other) {
		t.Fatal("a session the watch saw deleted was cached by a racing read")
	}
}
