package gateway

import (
	"context"
	"time"

	"github.com/coder/websocket"

	"livefeed/shared/protocol"
)

// readLoop reads the client's messages and hands each to handle; a
// malformed one gets a typed error, and MaxBadMessages in a row close the
// connection.
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

// handle carries out one message of the client.
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
			Epoch: c.g.cfg.Service.Epoch(),
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
		reply, err := c.g.act(c.ctx, c.user, m)
		if err != nil {
			return err
		}
		return c.sendMsg(reply)
	case protocol.Heartbeat:
		if m.Probe && c.probes.Take(time.Now(), ProbeRate, ProbeBurst) == 0 {
			return c.sendMsg(protocol.Heartbeat{Time: time.Now().UnixMilli()})
		}
		return nil // or over ProbeRate: not answered
	default:
		return c.sendMsg(protocol.Errorf(protocol.CodeUnknownType, "%q is a server message; clients may not send it", m.MsgType()))
	}
}

// act carries out an action of u, over any transport: the action rate
// limit, then the feed service (which validates it and deduplicates by op
// id). It returns the ack or the typed error to send back, or an error
// when ctx ended (the client is gone).
func (g *Gateway) act(ctx context.Context, u protocol.User, m protocol.Action) (protocol.Message, error) {
	if wait := g.actions.Take(u.ID); wait > 0 {
		e := protocol.RateLimited(wait, "more than %g actions per second from you; send again later", ActionRate)
		e.Op, e.Feed = m.Op, m.Feed
		return e, nil
	}
	ack, err := g.cfg.Service.Do(ctx, u, m)
	if err != nil {
		e, ok := protocol.AsError(err)
		if !ok {
			if ctx.Err() != nil {
				return nil, err
			}
			e = protocol.Errorf(protocol.CodeInternal, "could not apply the action; send it again")
			e.Op, e.Feed, e.Temporary = m.Op, m.Feed, true
		}
		return e, nil
	}
	return ack, nil
}
