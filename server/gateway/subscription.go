package gateway

import (
	"bytes"
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
// from sub's position (see subscription.catchUp); a live subscription,
// which has nothing to catch up, is caught up by the caller (the reader).
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
	s := &subscription{c: c, feed: sub.Feed, catching: true, ctx: ctx, cancel: cancel}
	c.subs[sub.Feed] = s
	c.mu.Unlock()
	c.g.cfg.Hub.Join(sub.Feed, s, c.user)
	if sub.Mode == protocol.ModeLive {
		// Nothing to read or send but subscribed and the presence (and
		// the few events that may come in meanwhile): no goroutine.
		s.catchUp(ctx, sub)
	} else {
		go s.catchUp(ctx, sub)
	}
	return nil
}

// subscription is one connection's subscription to one feed: a hub.Sink
// that buffers live events while the subscription catches up, and catches
// up again on the events the feed's fan-out dropped (hub.MaxFanoutWindow).
type subscription struct {
	c      *conn
	feed   string
	ctx    context.Context // the subscription's: done when it ends
	cancel context.CancelFunc

	mu       sync.Mutex
	catching bool
	left     bool // unsubscribed or disconnected
	buf      []buffered
	last     uint64 // the newest position sent, or buffered while catching
	lost     uint64 // the newest position the fan-out dropped that a catch-up must cover
	presence []byte // the last presence frame sent (shared, not changed)
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
	if s.left {
		return
	}
	if fs.Missed(s.last) && fs.Lost() > s.lost {
		// The feed's fan-out fell too far behind and dropped events this
		// subscription lacks: it catches up on them from the feed service,
		// as a resuming client would, buffering the live ones meanwhile
		// (the connection stays; the client sees the events in order).
		s.lost = fs.Lost()
		if !s.catching {
			s.catching = true
			go s.catchUp(s.ctx, protocol.Sub{Feed: s.feed, Mode: protocol.ModeResume, Pos: s.last})
		}
	}
	if fs.Len() == 0 {
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
//
// A presence the subscription has already sent is not sent again: the hub
// announces a feed's presence to all its subscribers when it changed for
// any of them, and a new subscriber's join changes it for everyone but the
// new subscriber, who had it after catch-up.
func (s *subscription) DeliverPresence(frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.left && !s.catching {
		s.sendPresenceLocked(frame)
	}
}

// sendPresenceLocked sends a presence frame unless it is the last one
// sent; s.mu is held.
func (s *subscription) sendPresenceLocked(frame []byte) {
	if bytes.Equal(frame, s.presence) {
		return
	}
	s.presence = frame
	s.c.trySend(frame, 1)
}

// leave ends the subscription: after its hub.Leave, a fan-out already
// under way may still offer it events, which it no longer sends.
func (s *subscription) leave() {
	s.mu.Lock()
	s.left = true
	s.mu.Unlock()
	s.cancel()
}

// catchUp brings the subscription up to date from sub (its start, or
// where it was when the fan-out dropped events), then sends what it
// buffered meanwhile and goes live.
func (s *subscription) catchUp(ctx context.Context, sub protocol.Sub) {
	send := func(frame []byte) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.c.send(frame)
	}
	catchUp := func(sub protocol.Sub) (uint64, bool) {
		last, err := s.c.g.cfg.Service.CatchUp(ctx, s.c.user.ID, sub, send)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, errClosing) {
				s.c.g.lg.Error("catch-up failed", "feed", sub.Feed, "err", err)
				e := protocol.Errorf(protocol.CodeInternal, "could not load feed %q; reconnect to retry", sub.Feed)
				e.Temporary = true
				s.c.closeWith(protocol.CloseRestart, "catch-up failed", protocol.MustEncode(e))
			}
			return 0, false
		}
		return last, true
	}
	last, ok := catchUp(sub)
	if !ok {
		return
	}
	for {
		presence := s.c.g.cfg.Hub.PresenceFrame(s.feed)
		s.mu.Lock()
		if s.lost > last {
			// The fan-out dropped events past what the catch-up
			// brought (the view has them): get them before sending the
			// buffered ones, which come after them.
			s.mu.Unlock()
			if last, ok = catchUp(protocol.Sub{Feed: s.feed, Mode: protocol.ModeResume, Pos: last}); !ok {
				return
			}
			continue
		}
		buf := s.buf
		s.buf = nil
		if len(buf) == 0 {
			s.catching = false
			s.last = last
			// Subscribed and the presence go out with one write.
			msg := protocol.MustEncode(protocol.Subscribed{Feed: s.feed, Pos: last, Epoch: s.c.g.cfg.Service.Epoch()})
			frames, n := wsframe.AppendText(make([]byte, 0, len(msg)+wsframe.MaxHeader+len(presence)), msg), 1
			if !bytes.Equal(presence, s.presence) {
				s.presence = presence
				frames, n = append(frames, presence...), 2
			}
			s.c.trySend(frames, n)
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
