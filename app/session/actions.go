package session

import (
	"context"
	"fmt"
	"time"

	"livefeed/shared/protocol"
)

// The actions a user makes: into the outbox, sent, and waited for.

// Post queues a new post; it returns the op id.
func (s *Session) Post(feed, text string) (string, error) {
	return s.do(protocol.TypePost, protocol.Action{Feed: feed, Text: text})
}

// Edit queues an edit of post id.
func (s *Session) Edit(feed, id, text string) (string, error) {
	return s.do(protocol.TypeEdit, protocol.Action{Feed: feed, ID: id, Text: text})
}

// Delete queues the deletion of post id.
func (s *Session) Delete(feed, id string) (string, error) {
	return s.do(protocol.TypeDelete, protocol.Action{Feed: feed, ID: id})
}

// React queues a reaction toggle on post id.
func (s *Session) React(feed, id, emoji string) (string, error) {
	return s.do(protocol.TypeReact, protocol.Action{Feed: feed, ID: id, Emoji: emoji})
}

// do validates an action, stores it in the outbox and sends it if connected.
func (s *Session) do(typ string, a protocol.Action) (string, error) {
	if s.closed.Load() {
		return "", ErrClosed
	}
	a.Op = protocol.NewOpID()
	a = a.WithKind(typ)
	if typ == protocol.TypePost || typ == protocol.TypeEdit {
		t, perr := protocol.CheckText(a.Text)
		if perr != nil {
			return "", perr
		}
		a.Text = t
	}
	// The same checks the server makes on the wire, so nothing that would
	// be refused for its form enters the outbox.
	if err := a.Validate(); err != nil {
		return "", err
	}
	s.mu.Lock()
	if f := s.feeds[a.Feed]; f != nil && typ != protocol.TypePost {
		// The post it names is one of this epoch's (see Feed.Epoch).
		a.Epoch = f.Epoch
	}
	s.box.add(Pending{Type: typ, Action: a, Created: time.Now().UnixMilli()})
	err := s.box.save(s.cfg.Store)
	c := s.conn
	s.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("session: store outbox: %w", err)
	}
	s.notify(Update{Kind: UpdateOutbox, Feed: a.Feed})
	if c != nil {
		s.write(c, a)
	}
	return a.Op, nil
}

// Dismiss removes a rejected action.
func (s *Session) Dismiss(op string) {
	s.mu.Lock()
	s.box.dismiss(op)
	_ = s.box.save(s.cfg.Store)
	s.mu.Unlock()
	s.notify(Update{Kind: UpdateOutbox})
}

type result struct {
	ack protocol.Ack
	err error
}

// maxResults is how many recent outcomes WaitAck remembers.
const maxResults = 1024

// WaitAck waits until op is acknowledged (returning the ack) or rejected
// (returning the *protocol.Error); it returns at once if that already
// happened recently.
func (s *Session) WaitAck(ctx context.Context, op string) (protocol.Ack, error) {
	ch := make(chan result, 1)
	s.mu.Lock()
	if r, ok := s.results[op]; ok {
		s.mu.Unlock()
		return r.ack, r.err
	}
	s.waiters[op] = append(s.waiters[op], ch)
	s.mu.Unlock()
	select {
	case r := <-ch:
		return r.ack, r.err
	case <-ctx.Done():
		return protocol.Ack{}, ctx.Err()
	}
}

// resolveLocked records an op's outcome and wakes its waiters.
func (s *Session) resolveLocked(op string, r result) {
	for _, ch := range s.waiters[op] {
		ch <- r
	}
	delete(s.waiters, op)
	if _, ok := s.results[op]; !ok {
		s.order = append(s.order, op)
	}
	s.results[op] = r
	if len(s.order) > maxResults {
		delete(s.results, s.order[0])
		s.order = s.order[1:]
	}
}
