package httpapi

import (
	"testing"
	"time"
)

// The bucket at its edges: a burst of 2·rate passes, the next post waits
// exactly until a token is back, users do not share, and idle users are
// forgotten.
func TestLimiterEdges(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newLimiter(DefaultPostRate)
	l.now = func() time.Time { return now }
	burst := int(2 * DefaultPostRate)
	for i := range burst {
		if wait := l.take("ada"); wait != 0 {
			t.Fatalf("post %d of a burst of %d waits %v", i+1, burst, wait)
		}
	}
	if wait := l.take("ada"); wait != 50*time.Millisecond {
		t.Fatalf("post %d: wait %v, want 50ms (one token at %g/s)", burst+1, wait, DefaultPostRate)
	}
	if wait := l.take("bob"); wait != 0 {
		t.Fatalf("another user waits %v", wait)
	}
	now = now.Add(49 * time.Millisecond)
	if wait := l.take("ada"); wait <= 0 || wait > time.Millisecond {
		t.Fatalf("1 ms before the token: wait %v", wait)
	}
	now = now.Add(time.Millisecond)
	if wait := l.take("ada"); wait != 0 {
		t.Fatalf("when the token is back: wait %v", wait)
	}
	// A minute later both buckets are full again and are dropped by the
	// sweep; the user who posts then is the only one kept.
	now = now.Add(time.Minute)
	if wait := l.take("cyd"); wait != 0 || len(l.buckets) != 1 {
		t.Fatalf("after a minute: wait %v, %d buckets kept, want 1", wait, len(l.buckets))
	}
	if newLimiter(0) != nil || newLimiter(-1) != nil {
		t.Fatal("a rate <= 0 must mean no limit")
	}
}
