package tokenbucket

import (
	"sync"
	"time"
)

// Keyed is a token bucket per key (a user, a client address): Rate tokens a
// second up to Burst each. A key's bucket is forgotten once it is full
// again (found so by a sweep at most once a minute), so it holds the keys
// seen lately. Safe for concurrent use.
type Keyed struct {
	rate, burst float64
	now         func() time.Time

	mu        sync.Mutex
	buckets   map[string]Bucket
	lastSweep time.Time
}

// NewKeyed returns a limiter of rate tokens a second per key, bursts of
// burst (at least 1); nil when rate <= 0, which is no limit (a nil *Keyed
// always allows).
func NewKeyed(rate, burst float64) *Keyed {
	if rate <= 0 {
		return nil
	}
	return &Keyed{rate: rate, burst: max(1, burst), now: time.Now, buckets: map[string]Bucket{}}
}

// Take spends one of key's tokens: 0 when the thing may proceed, else how
// long until a token is there (nothing is spent then).
func (k *Keyed) Take(key string) time.Duration {
	if k == nil {
		return 0
	}
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.lastSweep) >= time.Minute {
		for key, b := range k.buckets {
			if b.FullAt(now, k.rate, k.burst) {
				delete(k.buckets, key)
			}
		}
		k.lastSweep = now
	}
	b, ok := k.buckets[key]
	if !ok {
		b = Full(k.burst, now)
	}
	wait := b.Take(now, k.rate, k.burst)
	k.buckets[key] = b
	return wait
}

// Len is the number of keys held (for tests).
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}

// SetClock replaces the clock (for tests).
func (k *Keyed) SetClock(now func() time.Time) { k.now = now }
