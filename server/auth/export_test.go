package auth

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Clock is a settable clock for tests, safe for concurrent use.
type Clock struct{ ns atomic.Int64 }

func NewClock(t time.Time) *Clock { c := &Clock{}; c.Set(t); return c }

func (c *Clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *Clock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
func (s *Sessions) UseClock(c *Clock)    { s.now = c.Now }

func (p *Passkeys) UseClock(c *Clock) { p.now = c.Now }

// UseIdleTTL sets the sessions' idle lifetime (SessionIdleTTL).
func (s *Sessions) UseIdleTTL(d time.Duration) { s.idleTTL = d }

// BeforeSession sets a hook run between a sign-in's account lookup and its
// session.
func (p *Passkeys) BeforeSession(f func()) { p.beforeSession = f }

// CacheLen is how many sessions the cache holds.
func (s *Sessions) CacheLen() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.cache) }

// Cached reports whether the session of token is cached.
func (s *Sessions) Cached(token string) bool {
	key, err := s.signer.parse(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.cache[key]
	return err == nil && ok
}

// RememberFake caches a made-up session under key n (cache bound tests).
func (s *Sessions) RememberFake(n int) {
	s.remember(fmt.Sprintf("s.fake%d.x", n), cached{at: s.now()})
}

// NoteGone and Remember race a revocation with a lookup's read.
func (s *Sessions) NoteGone(token string) {
	key, _ := s.signer.parse(token)
	s.mu.Lock()
	s.noteGoneLocked(key)
	s.mu.Unlock()
}

// Signer is the store's signer, for a second node's store.
func (s *Sessions) Signer() *Signer { return s.signer }
