package session

import (
	"errors"
	"sync/atomic"
)

// ErrClosed is returned by actions on a closed session and by Run once the
// session is closed.
var ErrClosed = errors.New("session: closed")

// Close ends the session for good, as signing out does. When it returns,
// nothing more is sent: the current connection is dropped (its close
// handshake may still be under way), Run returns ErrClosed instead of
// reconnecting, and actions are refused with ErrClosed. Nothing more is
// written to the Store either (the final flush of Run included), so the
// caller may remove what the Store holds right after. Cancelling Run's
// context stops the session too, but asynchronously: a flush or an answer
// being handled may still write to the Store after it.
//
// Close may be called more than once, from any goroutine.
func (s *Session) Close() {
	s.mu.Lock()
	if s.closed.Swap(true) {
		s.mu.Unlock()
		return
	}
	s.conn = nil
	stop := s.stopConn
	clear(s.dirty)
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	s.RetryNow() // a backoff or offline wait ends, and Run sees the close
}

// Closed reports whether Close was called.
func (s *Session) Closed() bool { return s.closed.Load() }

// closableStore is the session's view of its Store: once the session is
// closed, Set and Delete do nothing.
type closableStore struct {
	st     Store
	closed *atomic.Bool
}

func (c closableStore) Get(key string) ([]byte, bool) { return c.st.Get(key) }

func (c closableStore) Set(key string, val []byte) error {
	if c.closed.Load() {
		return ErrClosed
	}
	return c.st.Set(key, val)
}

func (c closableStore) Delete(key string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	return c.st.Delete(key)
}
