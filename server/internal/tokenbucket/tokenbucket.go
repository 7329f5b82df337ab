// Package tokenbucket is the token bucket behind the server's rate limits:
// actions per WebSocket connection, upgrades per second, posts per user over
// the HTTP API.
package tokenbucket

import "time"

// Bucket holds up to burst tokens and gains rate tokens a second; each
// limited thing spends one. The zero Bucket is empty; the caller serializes
// calls.
type Bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// Full returns a bucket holding burst tokens at now.
func Full(burst float64, now time.Time) Bucket { return Bucket{tokens: burst, at: now} }

// Take brings the bucket up to date at now and spends a token: 0 when there
// was one, else how long until there is one (nothing is spent then).
func (b *Bucket) Take(now time.Time, rate, burst float64) time.Duration {
	b.tokens = min(burst, b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// FullAt reports whether the bucket is full again at now: forgetting it
// then changes nothing.
func (b *Bucket) FullAt(now time.Time, rate, burst float64) bool {
	return b.tokens+now.Sub(b.at).Seconds()*rate >= burst
}
