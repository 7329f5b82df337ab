package session

import (
	"math/rand/v2"
	"time"
)

// Backoff computes reconnect delays: exponential backoff with full jitter,
// the delay drawn uniformly from [0, min(Cap, Base·2^attempt)]. At the cap
// the jitter stays (the draw is still uniform over [0, Cap]), so clients that
// failed together do not retry in lock step.
type Backoff struct {
	// Base is the first attempt's upper bound. Default 500 ms.
	Base time.Duration
	// Cap is the largest upper bound. Default 30 s.
	Cap time.Duration
	// HealthyAfter is how long a connection must stay up before the attempt
	// count resets to zero. Default 30 s.
	HealthyAfter time.Duration
	// Rand returns a float64 in [0, 1); default math/rand/v2.Float64.
	Rand func() float64
}

// Defaults for Backoff.
const (
	DefaultBackoffBase  = 500 * time.Millisecond
	DefaultBackoffCap   = 30 * time.Second
	DefaultHealthyAfter = 30 * time.Second
)

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Cap <= 0 {
		b.Cap = DefaultBackoffCap
	}
	if b.HealthyAfter <= 0 {
		b.HealthyAfter = DefaultHealthyAfter
	}
	if b.Rand == nil {
		b.Rand = rand.Float64
	}
	return b
}

// Ceiling returns the upper bound of the delay before retry number attempt
// (0-based): min(Cap, Base·2^attempt).
func (b Backoff) Ceiling(attempt int) time.Duration {
	b = b.withDefaults()
	c := b.Base
	for i := 0; i < attempt && c < b.Cap; i++ {
		c *= 2
	}
	return min(c, b.Cap)
}

// Delay draws the delay before retry number attempt.
func (b Backoff) Delay(attempt int) time.Duration {
	b = b.withDefaults()
	return time.Duration(b.Rand() * float64(b.Ceiling(attempt)))
}

// Window draws a delay uniformly from [lo, hi], used to spread clients over
// the window a server asked them to come back in.
func (b Backoff) Window(lo, hi time.Duration) time.Duration {
	b = b.withDefaults()
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(b.Rand()*float64(hi-lo))
}
