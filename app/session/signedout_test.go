package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"livefeed/shared/protocol"
)

// TestSignedOutStopsReconnecting: an Error signed_out (the server revoked
// the session, then closes 4006) makes Run return ErrSignedOut with the
// state Signed out, and no further dial is made.
func TestSignedOutStopsReconnecting(t *testing.T) {
	f := newFakeEnd(t)
	s := New(Config{Feeds: []string{"main"}, Backoff: Backoff{Base: time.Millisecond, Cap: 5 * time.Millisecond}})
	s.dial = f.dial
	ran := make(chan error, 1)
	go func() { ran <- s.Run(context.Background()) }()
	c, _ := f.accept()
	waitState(t, s, StateLive)
	c.send(protocol.Errorf(protocol.CodeSignedOut, "you were signed out"))
	c.Close(protocol.CloseSignedOut, "signed out")
	select {
	case err := <-ran:
		if !errors.Is(err, ErrSignedOut) {
			t.Fatalf("Run returned %v, want ErrSignedOut", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept going after signed_out")
	}
	if st := s.Status().State; st != StateSignedOut {
		t.Fatalf("state %s, want %s", st, StateSignedOut)
	}
	time.Sleep(20 * time.Millisecond) // a reconnect (backoff 5 ms at most) would have dialed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dials != 1 {
		t.Fatalf("%d dials, want 1", f.dials)
	}
}
