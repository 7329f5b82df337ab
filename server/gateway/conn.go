package gateway

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"livefeed/shared/protocol"
)

// conn is one client connection: the reader runs in the HTTP handler's
// goroutine, the writer and the pinger in their own.
type conn struct {
	g    *Gateway
	ws   *websocket.Conn
	user protocol.User

	queue chan []byte // bounded send queue, drained by the writer

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns

	closeOnce sync.Once
	closing   chan struct{} // closed when the connection is to be closed
	closeCode int
	closeWhy  string
	final     []byte // a message written just before the close frame

	mu    sync.Mutex
	subs  map[string]*subscription
	hello bool

	readErr error // why the reader stopped

	bad    int     // malformed messages in a row
	tokens float64 // action rate limiter
	refill time.Time
}

func newConn(g *Gateway, ws *websocket.Conn, u protocol.User) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{
		g: g, ws: ws, user: u,
		queue: make(chan []byte, g.cfg.SendQueue),
		ctx:   ctx, cancel: cancel,
		done:    make(chan struct{}),
		closing: make(chan struct{}),
		subs:    map[string]*subscription{},
		tokens:  ActionBurst, refill: time.Now(),
	}
}

// closeWith closes the connection with code after writing final (if not
// nil) ahead of anything still queued.
func (c *conn) closeWith(code int, why string, final []byte) (first bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeWhy, c.final = code, why, final
		close(c.closing)
		first = true
	})
	return first
}

// cutSlow closes a connection whose send queue overflowed.
func (c *conn) cutSlow(why string) {
	if c.closeWith(protocol.CloseSlowConsumer, why, goAwayMsg("slow_consumer", time.Second)) {
		c.g.Stats.SlowConsumers.Add(1)
	}
}

func goAwayMsg(reason string, window time.Duration) []byte {
	return protocol.MustEncode(protocol.GoAway{Reason: reason, RetryMinMS: 0, RetryMaxMS: window.Milliseconds()})
}

// goAway refuses a connection that has not started running.
func (c *conn) goAway(reason string, code int, window time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.ws.Write(ctx, websocket.MessageText, goAwayMsg(reason, window))
	c.ws.Close(websocket.StatusCode(code), reason)
	c.cancel()
}

// shutdown closes a running connection for a restart and waits for it.
func (c *conn) shutdown(window time.Duration) {
	c.closeWith(protocol.CloseRestart, "service restart", goAwayMsg("restart", window))
	<-c.done
}

func (c *conn) run(_ context.Context) {
	defer close(c.done)
	defer c.cancel()
	c.ws.SetReadLimit(protocol.MaxFrameBytes)
	writerDone := make(chan struct{})
	go func() { defer close(writerDone); c.writeLoop() }()
	go c.pingLoop()
	c.readLoop()
	c.mu.Lock()
	for name, s := range c.subs {
		c.g.cfg.Hub.Leave(name, s)
		s.cancel()
	}
	c.mu.Unlock()
	// If a close was requested, the writer sends it; otherwise the client
	// went away and the writer just stops.
	c.closeOnce.Do(func() { c.cancel() })
	<-writerDone
	c.ws.CloseNow()
	code := c.closeCode
	if code == 0 {
		code = int(websocket.CloseStatus(c.readErr))
	}
	c.g.countClose(code)
}

// trySend queues msg without blocking; a full queue cuts the connection
// off as a slow consumer.
func (c *conn) trySend(msg []byte) bool {
	select {
	case c.queue <- msg:
		return true
	default:
		c.cutSlow("slow consumer: send queue full; resume from your last position")
		return false
	}
}

// send queues msg, waiting for room (replays, replies).
func (c *conn) send(msg []byte) error {
	select {
	case c.queue <- msg:
		return nil
	case <-c.closing:
		return errClosing
	case <-c.ctx.Done():
		return c.ctx.Err()
	}
}

var errClosing = errors.New("connection closing")

func (c *conn) sendMsg(m protocol.Message) error { return c.send(protocol.MustEncode(m)) }

// maxWriteBatch bounds how many queued messages the writer sends before it
// looks at its other events (heartbeat, context) again.
const maxWriteBatch = 64

func (c *conn) writeLoop() {
	interval := c.g.cfg.HeartbeatInterval
	beat := time.NewTicker(interval)
	defer beat.Stop()
	last := time.Now()
	// Writes carry no context of their own: a context with a deadline per
	// write (and the AfterFunc coder/websocket hangs on it) cost more CPU
	// than the rest of the write. Instead one watchdog timer per connection
	// closes it when a write takes longer than WriteTimeout, and a
	// cancellation of c.ctx closes it when a write is in flight: what the
	// per-write context did (coder/websocket closes the connection when a
	// write's context ends).
	var writing atomic.Bool
	watchdog := time.AfterFunc(c.g.cfg.WriteTimeout, func() { c.ws.CloseNow() })
	watchdog.Stop()
	defer watchdog.Stop()
	defer context.AfterFunc(c.ctx, func() {
		if writing.Load() {
			c.ws.CloseNow()
		}
	})()
	write := func(msg []byte) bool {
		writing.Store(true)
		watchdog.Reset(c.g.cfg.WriteTimeout)
		err := c.ws.Write(context.Background(), websocket.MessageText, msg)
		watchdog.Stop()
		writing.Store(false)
		if err != nil {
			c.cancel()
			return false
		}
		return true
	}
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.closing:
			if c.closeCode == protocol.CloseDead {
				// The peer does not answer: no close handshake to wait for.
				c.ws.CloseNow()
				c.cancel()
				return
			}
			if c.final != nil {
				ctx, cancel := context.WithTimeout(c.ctx, time.Second)
				c.ws.Write(ctx, websocket.MessageText, c.final)
				cancel()
			}
			c.ws.Close(websocket.StatusCode(c.closeCode), c.closeWhy)
			c.cancel()
			return
		case msg := <-c.queue:
			if !write(msg) {
				return
			}
			// Write what queued up meanwhile without going back through
			// the select (a close request still goes first).
		drain:
			for range maxWriteBatch - 1 {
				select {
				case <-c.closing:
					break drain
				default:
				}
				select {
				case msg = <-c.queue:
					if !write(msg) {
						return
					}
				default:
					break drain
				}
			}
			last = time.Now()
		case <-beat.C:
			if time.Since(last) >= interval*9/10 {
				if !write(protocol.MustEncode(protocol.Heartbeat{Time: time.Now().UnixMilli()})) {
					return
				}
				last = time.Now()
			}
		}
	}
}

// pingLoop pings the client every heartbeat interval; a client that does not
// answer within half an interval is dead (detected within 1.5 intervals).
func (c *conn) pingLoop() {
	interval := c.g.cfg.HeartbeatInterval
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.closing:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(c.ctx, interval/2)
			err := c.ws.Ping(ctx)
			cancel()
			if err != nil && c.ctx.Err() == nil {
				c.g.lg.Debug("client did not answer ping", "user", c.user.ID, "err", err)
				c.closeWith(protocol.CloseDead, "no answer to ping", nil)
				return
			}
		}
	}
}

func (c *conn) readLoop() {
	for {
		typ, b, err := c.ws.Read(c.ctx)
		if err != nil {
			c.readErr = err
			return
		}
		var m protocol.Message
		if typ != websocket.MessageText {
			err = protocol.Errorf(protocol.CodeBadJSON, "binary frames are not accepted; send JSON text")
		} else {
			m, err = protocol.Decode(b)
		}
		if err != nil {
			c.bad++
			e, _ := protocol.AsError(err)
			if c.sendMsg(e) != nil {
				return
			}
			if c.bad >= protocol.MaxBadMessages {
				c.closeWith(protocol.CloseProtocolError, "too many malformed messages", nil)
				return
			}
			continue
		}
		c.bad = 0
		if err := c.handle(m); err != nil {
			return
		}
	}
}

func (c *conn) handle(m protocol.Message) error {
	if _, ok := m.(protocol.Hello); !ok && !c.hello {
		if _, hb := m.(protocol.Heartbeat); !hb {
			return c.sendMsg(protocol.Errorf(protocol.CodeHelloRequired, "send hello first"))
		}
	}
	switch m := m.(type) {
	case protocol.Hello:
		if c.hello {
			return c.sendMsg(protocol.Errorf(protocol.CodeHelloRequired, "hello was already sent; use subscribe"))
		}
		c.hello = true
		err := c.sendMsg(protocol.Welcome{
			Version: protocol.Version, Node: c.g.cfg.Node, User: c.user,
			HeartbeatMS: c.g.cfg.HeartbeatInterval.Milliseconds(),
		})
		for _, s := range m.Subs {
			if err == nil {
				err = c.subscribe(s)
			}
		}
		return err
	case protocol.Subscribe:
		return c.subscribe(m.Sub)
	case protocol.Unsubscribe:
		c.mu.Lock()
		s := c.subs[m.Feed]
		delete(c.subs, m.Feed)
		c.mu.Unlock()
		if s == nil {
			return c.sendMsg(protocol.Errorf(protocol.CodeNotSubscribed, "not subscribed to feed %q", m.Feed))
		}
		c.g.cfg.Hub.Leave(m.Feed, s)
		s.cancel()
		return nil
	case protocol.Action:
		if wait := c.takeToken(); wait > 0 {
			e := protocol.Errorf(protocol.CodeRateLimited, "more than %g actions per second; send again later", ActionRate)
			e.Op, e.Feed, e.Temporary, e.RetryAfterMS = m.Op, m.Feed, true, wait.Milliseconds()+1
			return c.sendMsg(e)
		}
		ack, err := c.g.cfg.Service.Do(c.ctx, c.user, m)
		if err != nil {
			e, ok := protocol.AsError(err)
			if !ok {
				if c.ctx.Err() != nil {
					return err
				}
				e = protocol.Errorf(protocol.CodeInternal, "could not apply the action; send it again")
				e.Op, e.Feed, e.Temporary = m.Op, m.Feed, true
			}
			return c.sendMsg(e)
		}
		return c.sendMsg(ack)
	case protocol.Heartbeat:
		return nil
	default:
		return c.sendMsg(protocol.Errorf(protocol.CodeUnknownType, "%q is a server message; clients may not send it", m.MsgType()))
	}
}

// takeToken returns 0 when an action may proceed, else how long to wait.
func (c *conn) takeToken() time.Duration {
	now := time.Now()
	c.tokens = min(ActionBurst, c.tokens+now.Sub(c.refill).Seconds()*ActionRate)
	c.refill = now
	if c.tokens >= 1 {
		c.tokens--
		return 0
	}
	return time.Duration((1 - c.tokens) / ActionRate * float64(time.Second))
}

func (c *conn) subscribe(sub protocol.Sub) error {
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
	buf      []buffered
	last     uint64
}

type buffered struct {
	pos uint64
	msg []byte
}

// Deliver implements hub.Sink.
func (s *subscription) Deliver(pos uint64, msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.catching {
		if pos == 0 {
			return // presence: the current one is sent after catch-up
		}
		if len(s.buf) >= MaxCatchUpBuffer {
			s.c.cutSlow("slow consumer: fell behind while catching up")
			return
		}
		s.buf = append(s.buf, buffered{pos, msg})
		return
	}
	if pos != 0 {
		if pos <= s.last {
			return
		}
		s.last = pos
	}
	s.c.trySend(msg)
}

func (s *subscription) catchUp(ctx context.Context, sub protocol.Sub) {
	send := func(msg []byte) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.c.send(msg)
	}
	last, err := s.c.g.cfg.Service.CatchUp(ctx, sub, send)
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
		presence := protocol.MustEncode(s.c.g.cfg.Hub.Presence(s.feed))
		s.mu.Lock()
		buf := s.buf
		s.buf = nil
		if len(buf) == 0 {
			s.catching = false
			s.last = last
			s.c.trySend(protocol.MustEncode(protocol.Subscribed{Feed: s.feed, Pos: last}))
			s.c.trySend(presence)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for _, b := range buf {
			if b.pos > last {
				if send(b.msg) != nil {
					return
				}
				last = b.pos
			}
		}
	}
}
