package gateway

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"livefeed/server/feed"
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
//
// This file has the connection's life: made, run, closed. Its other parts
// have a file each: the send queue and its writer (write.go), the socket
// every byte goes through and the locks of the write path (sock.go),
// heartbeats and pings (keepalive.go), reading and dispatch (read.go),
// subscriptions and their catch-up (subscription.go).
type conn struct {
	g    *Gateway
	ws   *websocket.Conn // nil for an HTTP downlink
	sock *sock           // nil for an HTTP downlink
	hout *httpOut        // the HTTP response frames go to instead (http_out.go), or nil
	down *downConn       // the HTTP downlink connection the request is of (http_member.go), or nil
	user protocol.User
	sid  string // the session's id (auth.Session.ID): revoke.go

	// The send queue and its writer (write.go): these under qmu,
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
	// and these not.
	writers      sync.WaitGroup
	stopWatchCtx func() bool  // unregisters the close-on-cancel of a write in flight
	lastWrite    atomic.Int64 // the gateway's clock (Unix ns) at the last write

	// Keepalive (keepalive.go).
	pongs       atomic.Int64 // pong frames received (counted by the reader)
	nextPing    time.Time    // owned by the gateway's keepalive goroutine, as are:
	pingAt      int64        // the gateway's clock when the unanswered ping went out (0: none)
	pongsAtPing int64        // pongs then

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns

	closeOnce sync.Once
	closing   chan struct{} // closed when the connection is to be closed
	closeCode int
	closeWhy  string
	final     []byte // a message written just before the close frame

	// Subscriptions (subscription.go), under mu.
	mu   sync.Mutex
	subs map[string]*subscription

	// The reader's (read.go).
	hello      atomic.Bool        // hello received (set by the reader, read by keepalive)
	helloBy    time.Time          // the deadline for it (see Config.HelloTimeout)
	readErr    error              // why the reader stopped
	bad        int                // malformed messages in a row
	subscribes tokenbucket.Bucket // SubscribeRate, SubscribeBurst
	probes     tokenbucket.Bucket // ProbeRate, ProbeBurst
}

// newConn returns the WebSocket connection of user u (session sid, for
// revoke.go) from client address addr.
func newConn(g *Gateway, ws *websocket.Conn, s *sock, u protocol.User, sid, addr string) *conn {
	c := makeConn(g, u, addr)
	c.sid = sid
	c.ws, c.sock = ws, s
	// The first ping at a random point of the first interval: the pings
	// of connections made together do not come in bursts.
	c.nextPing = c.nextPing.Add(rand.N(g.cfg.HeartbeatInterval) + 1)
	c.helloBy = c.helloBy.Add(g.cfg.HelloTimeout)
	// A cancellation of c.ctx ends a blocking write in flight (its
	// deadline is WriteTimeout otherwise).
	c.stopWatchCtx = context.AfterFunc(c.ctx, func() {
		if c.sock.inWrite.Load() {
			c.ws.CloseNow()
		}
	})
	return c
}

// newHTTPConn returns the connection of an HTTP downlink of user u: the
// same subscriptions, catch-up, send queue and keepalive as a WebSocket,
// its frames written to out. It needs no hello: the request named its
// subscriptions.
func newHTTPConn(g *Gateway, out *httpOut, u protocol.User, addr string) *conn {
	c := makeConn(g, u, addr)
	c.hout = out
	c.stopWatchCtx = func() bool { return false }
	c.hello.Store(true)
	return c
}

// makeConn returns what every connection of user u from addr starts with;
// nextPing and helloBy are its time of making.
func makeConn(g *Gateway, u protocol.User, addr string) *conn {
	ctx, cancel := context.WithCancel(feed.WithClient(context.Background(), addr))
	now := time.Now()
	c := &conn{
		g: g, user: u,
		ctx: ctx, cancel: cancel,
		done:       make(chan struct{}),
		closing:    make(chan struct{}),
		subs:       map[string]*subscription{},
		subscribes: tokenbucket.Full(SubscribeBurst, now),
		probes:     tokenbucket.Full(ProbeBurst, now),
		nextPing:   now,
		helloBy:    now,
	}
	c.lastWrite.Store(g.clock.Load())
	return c
}

// run reads and dispatches the client's messages until the connection
// ends, then leaves its subscriptions, waits for its writer and counts
// the close.
func (c *conn) run() {
	defer close(c.done)
	defer c.cancel()
	defer c.stopWatchCtx()
	c.ws.SetReadLimit(protocol.MaxFrameBytes)
	c.readLoop()
	c.finish()
}

// finish ends a connection whose reader stopped (or an HTTP downlink that
// is over): it leaves the subscriptions, waits for the writer and counts
// the close.
func (c *conn) finish() {
	var parked []parkedSub
	c.mu.Lock()
	for name, s := range c.subs {
		if c.down != nil {
			// Kept in the hub until the connection's next request
			// has joined, or its grace is over (http_member.go).
			parked = append(parked, parkedSub{name, s})
		} else {
			c.g.cfg.Hub.Leave(name, s)
		}
		s.leave()
	}
	c.mu.Unlock()
	if c.down != nil {
		c.g.downs.end(c.down, parked)
	}
	// If a close was requested, the writer sends it; otherwise the client
	// went away and the writer just stops.
	c.closeOnce.Do(func() { c.cancel() })
	c.qmu.Lock()
	c.stopped = true
	c.qmu.Unlock()
	c.writers.Wait()
	code := c.closeCode
	if c.ws != nil {
		c.ws.CloseNow()
		if code == 0 {
			code = int(websocket.CloseStatus(c.readErr))
		}
	} else if code == 0 {
		code = protocol.CloseNormal // a poll that ended, a client that left
	}
	c.g.countClose(code)
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

// writeClose sends the final message and the close frame (over HTTP: the
// final message, and the response ends).
func (c *conn) writeClose() {
	if c.hout != nil {
		if c.final != nil && !c.broken {
			c.hout.write([][]byte{wsframe.Text(c.final)}, time.Second)
		}
		c.cancel()
		return
	}
	if c.closeCode == protocol.CloseDead {
		// The peer does not answer: no close handshake to wait for.
		c.ws.CloseNow()
		c.cancel()
		return
	}
	if c.final != nil && !c.broken {
		c.sock.wmu.Lock()
		c.sock.writeBlocking([][]byte{wsframe.Text(c.final)}, time.Second)
		c.sock.wmu.Unlock()
	}
	c.ws.Close(websocket.StatusCode(c.closeCode), c.closeWhy)
	c.cancel()
}
