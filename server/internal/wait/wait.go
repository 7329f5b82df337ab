// Package wait is the tests' one way to wait for a condition: polled, with
// a deadline, and a failure that says what was last seen (in the style of
// nats-server's checkFor). It imports nothing of Livefeed, so every
// package's tests can use it, the hub's included.
package wait

import (
	"errors"
	"testing"
	"time"
)

// Poll is how often Until checks its condition.
const Poll = 5 * time.Millisecond

// For calls check every sleep until it returns nil, for at most total,
// then fails the test with check's last error. It returns how long it
// waited.
func For(t testing.TB, total, sleep time.Duration, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > total {
			t.Fatalf("timed out after %v: %v", total, err)
		}
		time.Sleep(sleep)
	}
}

// Until is For for a condition that has no more to say than what it is
// waiting for.
func Until(t testing.TB, total time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	err := errors.New("still waiting for " + what)
	return For(t, total, Poll, func() error {
		if cond() {
			return nil
		}
		return err
	})
}
