//go:build linux

package bench

import (
	"context"
	"time"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// loopHTTP is loop over the HTTP transport (Config.Transport "stream" or
// "poll"): the session's own transport, one goroutine per client reading
// what it delivers, the same hello, resume and checks as a WebSocket
// client.
func (c *client) loopHTTP(ctx context.Context) {
	r := c.r
	defer r.wg.Done()
	resume := false
	for {
		if c.stopped(ctx, resume) {
			return
		}
		st := time.Now()
		cctx, cancel := context.WithCancel(ctx)
		conn, err := session.Dial(cctx, session.Config{URL: "ws://" + r.host + "/ws", Token: c.token, Client: "livefeed-bench/1"}, r.cfg.Transport)
		if err == nil {
			c.resume, c.started, c.pending = resume, st, len(c.feeds)
			err = conn.Write(cctx, c.hello(resume))
		}
		go func() { // stopAll and drop end the connection
			for cctx.Err() == nil {
				c.mu.Lock()
				d := c.dropped
				c.mu.Unlock()
				if d || r.stopping.Load() {
					cancel()
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		for err == nil {
			var b []byte
			if b, err = conn.Read(cctx); err == nil {
				c.handle(b, len(b), time.Now())
			}
		}
		cancel()
		if conn != nil {
			conn.Close(protocol.CloseClientGoingAway, "bench")
		}
		if r.stopping.Load() || ctx.Err() != nil {
			return
		}
		if !c.comeBack(ctx, resume, err) {
			return
		}
		resume = true
	}
}
