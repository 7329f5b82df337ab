package auth

import (
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
