package httpapi

import (
	"sync"
	"time"

	"livefeed/server/internal/tokenbucket"
)

// DefaultPostRate is the default limit of posts per second per user over
// the HTTP API (the same as a WebSocket connection's, gateway.ActionRate);
// bursts of twice as many pass. Over it a post gets 429 with
// CodeRateLimited, retry_after_ms and Retry-After, and is not applied.
const DefaultPostRate = 20.0

// limiter is a token bucket per user: rate tokens a second, up to burst.
// A user's bucket is forgotten once it is full again (found so by a sweep
// at most once a minute), so the map holds the users who posted lately.
type limiter struct {
	rate, burst float64
	now         func() time.Time

	mu        sync.Mutex
	buckets   map[string]tokenbucket.Bucket
	lastSweep time.Time
}

// newLimiter returns a limiter of rate posts a second per user, bursts of
// 2·rate (at least 1); nil when rate <= 0 (no limit).
func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return nil
	}
	return &limiter{rate: rate, burst: max(1, 2*rate), now: time.Now, buckets: map[string]tokenbucket.Bucket{}}
}

// take spends one of user's tokens: 0 when the post may proceed, else how
// long until a token is there.
func (l *limiter) take(user string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= time.Minute {
		for u, b := range l.buckets {
			if b.FullAt(now, l.rate, l.burst) {
				delete(l.buckets, u)
			}
		}
		l.lastSweep = now
	}
	b, ok := l.buckets[user]
	if !ok {
		b = tokenbucket.Full(l.burst, now)
	}
	wait := b.Take(now, l.rate, l.burst)
	l.buckets[user] = b
	return wait
}
