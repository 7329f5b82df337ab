package gateway

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"livefeed/server/feed"
	"livefeed/server/hub"
	"livefeed/server/internal/tokenbucket"
	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// conn is one client connection. Its reader runs in a goroutine of its own
// (started by ServeHTTP, which returns). What the server sends is written
// straight to the socket by whoever sends it (the fan-out, a reply) when
// the socket takes it at once; only when the kernel's send buffer is full
// does a writer goroutine start, and it exits when the queue is empty. The
// gateway's keepalive goroutine sends heartbeats and starts pings. An idle
// connection holds one goroutine.
type conn struct {
	g    *Gateway
	ws   *websocket.Conn
	sock *sock
	user protocol.User

	qmu      sync.Mutex
	queue    [][]byte      // frames waiting for the writer; the first may be the rest of a frame
	queued   int           // messages in queue (a run of events counts each): at most SendQueue
	spare    [][]byte      // the writer's previous batch, reused
	writing  bool          // a writer goroutine runs (or ran the close)
	holdsW   bool          // sock.wmu is held for the writer: a frame was written in part
	broken   bool          // a write failed: nothing more is sent
	stopped  bool          // run is finishing: no more writers
	closeReq bool          // a close was requested: the writer sends it
	room     chan struct{} // closed when the writer takes frames (made by a waiting send)
	writers  sync.WaitGroup
	bufs     net.Buffers // the writer's writev argument

	inWrite      atomic.Bool  // the writer is in a blocking write
	stopWatchCtx func() bool  // unregisters the close-on-cancel of a write in flight
	lastWrite    atomic.Int64 // the gateway's clock (Unix ns) at the last write
	pongs        atomic.Int64 // pong frames received (counted by the reader)
	nextPing     time.Time    // owned by the gateway's keepalive goroutine, as are:
	pingAt       int64        // the gateway's clock when the unanswered ping went out (0: none)
	pongsAtPing  int64        // pongs then

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns

	closeOnce sync.Once
	closing   chan struct{} // closed when the connection is to be closed
	closeCode int
	closeWhy  string
	final     []byte // a message written just before the close frame

	mu      sync.Mutex
	subs    map[string]*subscription
	hello   atomic.Bool // hello received (set by the reader)
	helloBy time.Time   // the deadline for it (see Config.HelloTimeout)

	readErr error // why the reader stopped

	bad        int                // malformed messages in a row
	subscribes tokenbucket.Bucket // SubscribeRate, SubscribeBurst
	probes     tokenbucket.Bucket // ProbeRate, ProbeBurst
}

// newConn returns the connection of user u from client address addr.
func newConn(g *Gateway, ws *websocket.Conn, s *sock, u protocol.User, addr string) *conn {
	ctx, cancel := context.WithCancel(feed.WithClient(context.Background(), addr))
	now := time.Now()
	c := &conn{
		g: g, ws: ws, sock: s, user: u,
		ctx: ctx, cancel: cancel,
		done:       make(chan struct{}),
		closing:    make(chan struct{}),
		subs:       map[string]*subscription{},
		subscribes: tokenbucket.Full(SubscribeBurst, now),
		probes:     tokenbucket.Full(ProbeBurst, now),
		// The first ping at a random point of the first interval: the
		// pings of connections made together do not come in bursts.
		nextPing: now.Add(rand.N(g.cfg.HeartbeatInterval) + 1),
		helloBy:  now.Add(g.cfg.HelloTimeout),
	}
	c.lastWrite.Store(g.clock.Load())
	// A cancellation of c.ctx ends a blocking write in flight (its
	// deadline is WriteTimeout otherwise).
	c.stopWatchCtx = context.AfterFunc(ctx, func() {
		if c.inWrite.Load() {
			c.ws.CloseNow()
		}
	})
	return c
}

// closeWith closes the connection with code after writing final (if not
// nil) ahead of anything still queued.
func (c *conn) closeWith(code int, why string, final []byte) (first bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeWhy, c.final = code, why, final
		close(c.closing)
		first = true
	})
	if first {
		c.qmu.Lock()
		c.closeReq = true
		c.startWriterLocked()
		c.qmu.Unlock()
	}
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

// goAway refuses a connection that has not started running: the same
// goaway and close frame a running connection's writer sends.
func (c *conn) goAway(reason string, code int, window time.Duration) {
	c.refuse(code, reason, goAwayMsg(reason, window))
}

// refuse closes a connection that never ran with code, after final.
func (c *conn) refuse(code int, why string, final []byte) {
	c.closeCode, c.closeWhy, c.final = code, why, final
	c.writeClose()
	c.stopWatchCtx()
}

// shutdown closes a running connection for a restart and waits for it.
func (c *conn) shutdown(window time.Duration) {
	c.closeWith(protocol.CloseRestart, "service restart", goAwayMsg("restart", window))
	<-c.done
}

func (c *conn) run() {
	defer close(c.done)
	defer c.cancel()
	defer c.stopWatchCtx()
	c.ws.SetReadLimit(protocol.MaxFrameBytes)
	c.readLoop()
	c.mu.Lock()
	for name, s := range c.subs {
		c.g.cfg.Hub.Leave(name, s)
		s.leave()
	}
	c.mu.Unlock()
	// If a close was requested, the writer sends it; otherwise the client
	// went away and the writer just stops.
	c.closeOnce.Do(func() { c.cancel() })
	c.qmu.Lock()
	c.stopped = true
	c.qmu.Unlock()
	c.writers.Wait()
	c.ws.CloseNow()
	code := c.closeCode
	if code == 0 {
		code = int(websocket.CloseStatus(c.readErr))
	}
	c.g.countClose(code)
}

// startWriterLocked starts a writer unless one runs. qmu is held.
func (c *conn) startWriterLocked() {
	if !c.writing && !c.stopped {
		c.writing = true
		c.writers.Add(1)
		go c.writeLoop()
	}
}

// enqueueLocked sends frame, which holds n messages (frames back to back;
// 0 for a control frame, which the client's app does not see and which is
// neither counted nor taken as a sign of life by the heartbeat): straight
// to the socket when nothing is queued and the socket takes it at once,
// else into the queue for the writer. It returns false when the queue
// would hold more than SendQueue messages (a run of more is taken into an
// empty queue). qmu is held.
func (c *conn) enqueueLocked(frame []byte, n int) bool {
	if c.closeReq || c.broken {
		return true // closing or broken: the rest is not sent
	}
	if !c.writing && len(c.queue) == 0 && c.sock.raw != nil && c.sock.wmu.TryLock() {
		w, err := c.sock.tryWrite(frame)
		switch {
		case err == nil:
			c.sock.wmu.Unlock()
			if n > 0 {
				c.lastWrite.Store(c.g.clock.Load())
			}
			return true
		case err != errWouldBlock:
			c.sock.wmu.Unlock()
			c.broken = true
			c.cancel()
			return true
		}
		c.g.Stats.SocketFull.Add(1)
		if w > 0 {
			// Part of the frame is out: nothing else may reach the
			// socket before its rest, so the writer inherits wmu.
			c.holdsW = true
		} else {
			c.sock.wmu.Unlock()
		}
		frame = frame[w:]
	}
	if c.queued > 0 && c.queued+n > c.g.cfg.SendQueue {
		return false
	}
	c.queue = append(c.queue, frame)
	c.queued += n
	c.startWriterLocked()
	return true
}

// trySend sends a frame (or n frames back to back) without blocking; a
// full queue cuts the connection off as a slow consumer.
func (c *conn) trySend(frame []byte, n int) bool {
	c.qmu.Lock()
	ok := c.enqueueLocked(frame, n)
	c.qmu.Unlock()
	if !ok {
		c.cutSlow("slow consumer: send queue full; resume from your last position")
	}
	return ok
}

// send sends a frame, waiting for room in the queue (replays, replies).
func (c *conn) send(frame []byte) error {
	for {
		c.qmu.Lock()
		if c.closeReq {
			c.qmu.Unlock()
			return errClosing
		}
		if err := c.ctx.Err(); err != nil {
			c.qmu.Unlock()
			return err
		}
		if c.enqueueLocked(frame, 1) {
			c.qmu.Unlock()
			return nil
		}
		if c.room == nil {
			c.room = make(chan struct{})
		}
		room := c.room
		c.qmu.Unlock()
		select {
		case <-room:
		case <-c.closing:
			return errClosing
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
}

var errClosing = errors.New("connection closing")

// sendMsg frames m for this connection alone and sends it.
func (c *conn) sendMsg(m protocol.Message) error {
	return c.send(wsframe.Text(protocol.MustEncode(m)))
}

// writeLoop writes what is queued, a batch of frames per system call
// (writev), and exits when the queue is empty; a close request is carried
// out ahead of anything still queued (after the rest of a frame written in
// part).
func (c *conn) writeLoop() {
	defer c.writers.Done()
	for {
		c.qmu.Lock()
		if c.closeReq {
			var rest []byte
			if c.holdsW {
				rest, c.holdsW = c.queue[0], false
			}
			c.qmu.Unlock()
			if rest != nil {
				c.writeBlocking([][]byte{rest}, time.Second)
				c.sock.wmu.Unlock()
			}
			c.writeClose() // c.writing stays set: no writer after this one
			return
		}
		if len(c.queue) == 0 || c.broken || c.ctx.Err() != nil {
			c.writing = false
			if c.holdsW {
				c.holdsW = false
				c.sock.wmu.Unlock()
			}
			c.qmu.Unlock()
			return
		}
		batch, held, msgs := c.queue, c.holdsW, c.queued
		c.queue, c.spare, c.holdsW, c.queued = c.spare, nil, false, 0
		if c.room != nil {
			close(c.room)
			c.room = nil
		}
		c.qmu.Unlock()
		if !held {
			c.sock.wmu.Lock()
		}
		err := c.writeBlocking(batch, c.g.cfg.WriteTimeout)
		c.sock.wmu.Unlock()
		clear(batch)
		c.qmu.Lock()
		if err != nil {
			c.broken = true
			c.cancel()
		} else if msgs > 0 {
			c.lastWrite.Store(c.g.clock.Load())
		}
		if cap(batch) <= 16 {
			c.spare = batch[:0]
		}
		c.qmu.Unlock()
	}
}

// writeBlocking writes frames with one writev, waiting up to timeout for
// the socket to take them; sock.wmu is held.
func (c *conn) writeBlocking(frames [][]byte, timeout time.Duration) error {
	c.inWrite.Store(true)
	defer c.inWrite.Store(false)
	c.sock.SetWriteDeadline(time.Now().Add(timeout))
	c.bufs = frames // a field: a local net.Buffers would escape on every call
	_, err := c.bufs.WriteTo(c.sock.Conn)
	c.bufs = nil
	c.sock.SetWriteDeadline(time.Time{})
	return err
}

// writeClose sends the final message and the close frame.
func (c *conn) writeClose() {
	if c.closeCode == protocol.CloseDead {
		// The peer does not answer: no close handshake to wait for.
		c.ws.CloseNow()
		c.cancel()
		return
	}
	if c.final != nil && !c.broken {
		c.sock.wmu.Lock()
		c.writeBlocking([][]byte{wsframe.Text(c.final)}, time.Second)
		c.sock.wmu.Unlock()
	}
	c.ws.Close(websocket.StatusCode(c.closeCode), c.closeWhy)
	c.cancel()
}

// keepalive is called by the gateway's keepalive goroutine every tick: it
// sends a heartbeat when nothing was written for most of an interval, and
// pings the client every interval; a client that does not answer within
// half an interval is dead (detected within 1.5 intervals, plus a tick).
// The ping is a frame like any other on the send path (no goroutine, no
// timer); coder/websocket's reader counts the pongs (OnPongReceived, set
// in Gateway.ServeHTTP).
func (c *conn) keepalive(now time.Time, heartbeat func() []byte) {
	if !c.hello.Load() && now.After(c.helloBy) {
		e := protocol.Errorf(protocol.CodeHelloRequired, "no hello within %s of connecting", c.g.cfg.HelloTimeout)
		c.closeWith(protocol.CloseProtocolError, "no hello", protocol.MustEncode(e))
		return
	}
	interval := c.g.cfg.HeartbeatInterval
	clock := now.UnixNano()
	if clock-c.lastWrite.Load() >= int64(interval*9/10) {
		c.trySend(heartbeat(), 1)
	}
	if c.pingAt != 0 {
		if c.pongs.Load() == c.pongsAtPing {
			if clock-c.pingAt >= int64(interval/2) {
				c.g.lg.Debug("client did not answer ping", "user", c.user.ID)
				c.closeWith(protocol.CloseDead, "no answer to ping", nil)
			}
			return
		}
		c.pingAt = 0
	}
	if now.Before(c.nextPing) {
		return
	}
	c.nextPing = now.Add(interval)
	c.pingAt, c.pongsAtPing = clock, c.pongs.Load()
	c.trySend(pingFrame, 0)
}

// pingFrame is the ping every connection is sent, made once.
var pingFrame = wsframe.Ping()

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
	if _, ok := m.(protocol.Hello); !ok && !c.hello.Load() {
		if _, hb := m.(protocol.Heartbeat); !hb {
			return c.sendMsg(protocol.Errorf(protocol.CodeHelloRequired, "send hello first"))
		}
	}
	switch m := m.(type) {
	case protocol.Hello:
		if c.hello.Load() {
			return c.sendMsg(protocol.Errorf(protocol.CodeHelloRequired, "hello was already sent; use subscribe"))
		}
		c.hello.Store(true)
		err := c.sendMsg(protocol.Welcome{
			Version: protocol.Version, Node: c.g.cfg.Node, User: c.user,
			HeartbeatMS: c.g.cfg.HeartbeatInterval.Milliseconds(), AppVersion: c.g.cfg.AppVersion,
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
		s.leave()
		return nil
	case protocol.Action:
		if wait := c.g.actions.Take(c.user.ID); wait > 0 {
			e := protocol.RateLimited(wait, "more than %g actions per second from you; send again later", ActionRate)
			e.Op, e.Feed = m.Op, m.Feed
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
		if m.Probe && c.probes.Take(time.Now(), ProbeRate, ProbeBurst) == 0 {
			return c.sendMsg(protocol.Heartbeat{Time: time.Now().UnixMilli()})
		}
		return nil // or over ProbeRate: not answered
	default:
		return c.sendMsg(protocol.Errorf(protocol.CodeUnknownType, "%q is a server message; clients may not send it", m.MsgType()))
	}
}

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
	if fs.Pos(0) == 0 {
		if !s.catching { // else the current presence is sent after catch-up
			s.c.trySend(fs.From(0), 1)
		}
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
			s.c.trySend(wsframe.Text(protocol.MustEncode(protocol.Subscribed{Feed: s.feed, Pos: last})), 1)
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
