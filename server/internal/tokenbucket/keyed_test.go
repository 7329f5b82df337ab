package tokenbucket

import (
	"testing"
	"time"
)

// The buckets at their edges: a burst passes, the next take waits exactly
// until a token is back, keys do not share, and idle keys are forgotten.
func TestKeyedEdges(t *testing.T) {
	const rate = 20.0
	now := time.Unix(1_800_000_000, 0)
	l := NewKeyed(rate, 2*rate)
	l.SetClock(func() time.Time { return now })
	burst := int(2 * rate)
	for i := range burst {
		if wait := l.Take("ada"); wait != 0 {
			t.Fatalf("post %d of a burst of %d waits %v", i+1, burst, wait)
		}
	}
	if wait := l.Take("ada"); wait != 50*time.Millisecond {
		t.Fatalf("post %d: wait %v, want 50ms (one token at %g/s)", burst+1, wait, rate)
	}
	if wait := l.Take("bob"); wait != 0 {
		t.Fatalf("another user waits %v", wait)
	}
	now = now.Add(49 * time.Millisecond)
	if wait := l.Take("ada"); wait <= 0 || wait > time.Millisecond {
		t.Fatalf("1 ms before the token: wait %v", wait)
	}
	now = now.Add(time.Millisecond)
	if wait := l.Take("ada"); wait != 0 {
		t.Fatalf("when the token is back: wait %v", wait)
	}
	// A minute later both buckets are full again and are dropped by the
	// sweep; the user who posts then is the only one kept.
	now = now.Add(time.Minute)
	if wait := l.Take("cyd"); wait != 0 || l.Len() != 1 {
		t.Fatalf("after a minute: wait %v, %d buckets kept, want 1", wait, l.Len())
	}
	if NewKeyed(0, 1) != nil || NewKeyed(-1, 1) != nil {
		t.Fatal("a rate <= 0 must mean no limit")
	}
	var none *Keyed
	if none.Take("x") != 0 {
		t.Fatal("a nil limiter must allow")
	}
}
