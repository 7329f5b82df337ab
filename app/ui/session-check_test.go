package ui

import (
	"testing"
	"time"

	"livefeed/app/session"
)

// TestRecheckDue: the sign-in is checked again from the
// RecheckAfterAttempts-th failed reconnect, then at most every
// RecheckEvery, and never while live or connecting for the first time.
func TestRecheckDue(t *testing.T) {
	last := time.Unix(1_800_000_000, 0)
	failing := func(n int) session.Status { return session.Status{State: session.StateReconnecting, Attempt: n} }
	for _, c := range []struct {
		name   string
		status session.Status
		since  time.Duration
		want   bool
	}{
		{"one attempt short", failing(RecheckAfterAttempts - 1), time.Hour, false},
		{"at the attempts", failing(RecheckAfterAttempts), time.Hour, true},
		{"just before RecheckEvery", failing(RecheckAfterAttempts + 5), RecheckEvery - time.Millisecond, false},
		{"at RecheckEvery", failing(RecheckAfterAttempts + 5), RecheckEvery, true},
		{"live", session.Status{State: session.StateLive, Attempt: RecheckAfterAttempts}, time.Hour, false},
	} {
		if got := recheckDue(c.status, last, last.Add(c.since)); got != c.want {
			t.Errorf("%s: recheckDue %v, want %v", c.name, got, c.want)
		}
	}
}
