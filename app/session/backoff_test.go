package session

import (
	"testing"
	"time"
)

func TestBackoffCeiling(t *testing.T) {
	b := Backoff{Base: 500 * time.Millisecond, Cap: 30 * time.Second}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := b.Ceiling(i); got != w {
			t.Errorf("Ceiling(%d) = %v, want %v", i, got, w)
		}
	}
	if got := b.Ceiling(1000); got != 30*time.Second {
		t.Errorf("Ceiling(1000) = %v (overflow?)", got)
	}
}

// TestBackoffFullJitterAtCap checks that delays at the cap are spread over
// the whole [0, cap] range, not bunched near the cap.
func TestBackoffFullJitterAtCap(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Cap: 10 * time.Second}
	var buckets [10]int
	const n = 20000
	for i := 0; i < n; i++ {
		d := b.Delay(50)
		if d < 0 || d > b.Cap {
			t.Fatalf("delay %v outside [0, %v]", d, b.Cap)
		}
		buckets[min(int(d*10/b.Cap), 9)]++
	}
	for i, c := range buckets {
		// Uniform: each tenth gets n/10 = 2000; allow ±15 %.
		if c < 1700 || c > 2300 {
			t.Errorf("tenth %d of [0, cap] got %d of %d delays; want about 2000 (uniform)", i, c, n)
		}
	}
}

func TestBackoffDeterministicBounds(t *testing.T) {
	lo := Backoff{Rand: func() float64 { return 0 }}
	hi := Backoff{Rand: func() float64 { return 0.999999 }}
	if d := lo.Delay(3); d != 0 {
		t.Errorf("min draw = %v", d)
	}
	if d := hi.Delay(3); d < 3999*time.Millisecond || d > 4*time.Second {
		t.Errorf("max draw at attempt 3 = %v, want just under 4s", d)
	}
	if d := hi.Window(time.Second, 5*time.Second); d < 4999*time.Millisecond || d > 5*time.Second {
		t.Errorf("window max = %v", d)
	}
	if d := lo.Window(time.Second, 5*time.Second); d != time.Second {
		t.Errorf("window min = %v", d)
	}
}
