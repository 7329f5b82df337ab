package gateway

import (
	"time"

	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// keepalive runs once the gateway has had a connection, until Shutdown:
// every tick (a tenth of the heartbeat interval, at most 1 s) it advances
// the gateway's clock and gives each connection a heartbeat when nothing
// was written to it for 0.9 interval (so a client never hears nothing for
// more than an interval) and a ping every interval (see conn.keepalive).
// One goroutine for all connections instead of a pinger per connection;
// the heartbeat is encoded once per tick.
func (g *Gateway) keepalive() {
	t := time.NewTicker(min(g.cfg.HeartbeatInterval/10, time.Second))
	defer t.Stop()
	var conns []*conn
	for {
		select {
		case <-g.stop:
			return
		case now := <-t.C:
			g.clock.Store(now.UnixNano())
			g.mu.Lock()
			for c := range g.conns {
				conns = append(conns, c)
			}
			g.mu.Unlock()
			var hb []byte
			heartbeat := func() []byte {
				if hb == nil {
					hb = wsframe.Text(protocol.MustEncode(protocol.Heartbeat{Time: now.UnixMilli()}))
				}
				return hb
			}
			for _, c := range conns {
				c.keepalive(now, heartbeat)
			}
			clear(conns)
			conns = conns[:0]
		}
	}
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
	if c.hout != nil {
		// An HTTP downlink: no pings (a client cannot answer them; its
		// liveness is the write deadline of every flush), and a poll
		// ends before a heartbeat is due.
		if !c.hout.poll && clock-c.lastWrite.Load() >= int64(interval*9/10) {
			c.trySend(heartbeat(), 1)
		}
		return
	}
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
