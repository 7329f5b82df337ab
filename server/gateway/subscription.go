package gateway

import (
	"context"
	"errors"
	"sync"
	"time"

	"livefeed/server/hub"
	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// subscribe subscribes the connection to sub.Feed: it joins the hub at
// once, buffering live events while a goroutine of its own catches up
// from sub's position (see subscription.catchUp).
func (c *conn) subscribe(sub protocol.Sub) error {
	if wait := c.subscribes.Take(time.Now(), SubscribeRate, SubscribeBurst); wait > 0 {
		e := protocol.RateLimited(wait, "more than %g subscriptions per second; subscribe again later", SubscribeRate)
		e.Feed = sub.Feed
		return c.sendMsg(e)
	}
	c.mu.Lock()
	if _, ok := c.subs[sub.Feed]; ok {
		c.mu.Unlock()
		return c.sendMsg(protocol.Errorf(protocol.CodeBadField, "already subscribed to feed %q", sub.Feed))
	}
	if len(c.subs) >= protocol.MaxSubscriptions {
		c.mu.Unlock()
		return c.sendMsg(protocol.Errorf(protocol.CodeTooManySubs, "at most %d subscriptions per connection", protocol.MaxSubscriptions))
	}
	ctx, cancel := context.WithCancel(c.ctx)
	s := &subscription{c: c, feed: sub.Feed, catching: true, cancel: cancel}
	c.subs[sub.Feed] = s
	c.mu.Unlock()
	c.g.cfg.Hub.Join(sub.Feed, s, c.user)
	go s.catchUp(ctx, sub)
	return nil
}

// subscription is one connection's subscription to one feed: a hub.Sink
// that buffers live events while the subscription catches up.
type subscription struct {
	c      *conn
	feed   string
	cancel context.CancelFunc

	mu       sync.Mutex
	catching bool
	left     bool // unsubscribed or disconnected
	buf      []buffered
	last     uint64 // the newest position sent, or buffered while catching
}

var _ hub.Sink = (*subscription)(nil)

type buffered struct {
	pos   uint64
	frame []byte
}

// Deliver implements hub.Sink: the events of fs above the last one sent go
// out with one write (or into the catch-up buffer).
func (s *subscription) Deliver(fs *hub.Frames) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.left || fs.Len() == 0 {
		return
	}
	i, n := fs.Take(&s.last), fs.Len()
	if i == n {
		return
	}
	if !s.catching {
		s.c.trySend(fs.From(i), n-i)
		return
	}
	if len(s.buf)+n-i > MaxCatchUpBuffer {
		s.c.cutSlow("slow consumer: fell behind while catching up")
		return
	}
	for ; i < n; i++ {
		s.buf = append(s.buf, buffered{fs.Pos(i), fs.Frame(i)})
	}
}

// DeliverPresence implements hub.Sink: who is online goes out with one
// write, unless the subscription is catching up (then the current presence
// is sent after catch-up).
func (s *subscription) DeliverPresence(frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.left && !s.catching {
		s.c.trySend(frame, 1)
	}
}

// leave ends the subscription: after its hub.Leave, a fan-out already
// under way may still offer it events, which it no longer sends.
func (s *subscription) leave() {
	s.mu.Lock()
	s.left = true
	s.mu.Unlock()
	s.cancel()
}

func (s *subscription) catchUp(ctx context.Context, sub protocol.Sub) {
	send := func(frame []byte) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.c.send(frame)
	}
	last, err := s.c.g.cfg.Service.CatchUp(ctx, s.c.user.ID, sub, func(msg []byte) error { return send(wsframe.Text(msg)) })
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, errClosing) {
			s.c.g.lg.Error("catch-up failed", "feed", sub.Feed, "err", err)
			e := protocol.Errorf(protocol.CodeInternal, "could not load feed %q; reconnect to retry", sub.Feed)
			e.Temporary = true
			s.c.closeWith(protocol.CloseRestart, "catch-up failed", protocol.MustEncode(e))
		}
		return
	}
	for {
		presence := wsframe.Text(protocol.MustEncode(s.c.g.cfg.Hub.Presence(s.feed)))
		s.mu.Lock()
		buf := s.buf
		s.buf = nil
		if len(buf) == 0 {
			s.catching = false
			s.last = last
			s.c.trySend(wsframe.Text(protocol.MustEncode(protocol.Subscribed{Feed: s.feed, Pos: last, Epoch: s.c.g.cfg.Service.Epoch()})), 1)
			s.c.trySend(presence, 1)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for _, b := range buf {
			if b.pos > last {
				if send(b.frame) != nil {
					return
				}
				last = b.pos
			}
		}
	}
}
