package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"livefeed/server/hub"
)

// DefaultDownlinkGrace is the default Config.DownlinkGrace: how long the
// membership of an HTTP downlink (its subscriptions in the hub, and so its
// user's presence) outlives the request that ended, waiting for the next
// request of the same connection. A poller asks again within a round trip
// and a stream cut by a proxy is opened again at once; a client that went
// away is offline after the grace, once.
const DefaultDownlinkGrace = 10 * time.Second

// downConn is an HTTP downlink's connection as this node knows it between
// its requests (Welcome.Conn names it; the next request's Downlink.Conn
// continues it). It keeps no events and makes no guarantee: each request
// still names its feeds and positions and catches up from them, so a
// request that lands on another node, or after the grace, loses nothing
// but this. What it keeps is the hub membership of the request that ended
// last, until the next request of the connection has joined (so that its
// user stays online for the others, and no presence blinks) or the grace
// is over.
type downConn struct {
	id      string
	user    string // the user and session it belongs to: no one else's
	sid     string // request continues it
	active  int    // its requests being served
	gone    bool   // its session was revoked: nothing is parked any more
	parked  []parkedSub
	expires *time.Timer // armed while no request is served
}

// parkedSub is a subscription of a downlink request that ended, still in
// the hub (it sends nothing: it has left its connection).
type parkedSub struct {
	feed string
	sink hub.Sink
}

// downConns are the downlink connections of this node.
type downConns struct {
	hub   *hub.Hub
	grace time.Duration

	mu      sync.Mutex
	byID    map[string]*downConn
	perUser map[string]int
	closed  bool // shutting down: nothing is parked any more
}

func newDownConns(h *hub.Hub, grace time.Duration) *downConns {
	return &downConns{hub: h, grace: grace, byID: map[string]*downConn{}, perUser: map[string]int{}}
}

// begin returns the connection a request of user (session sid) continues:
// the one id names if it is theirs and known here, else a new one (nil
// when the user has MaxConnsPerUser already: the request then keeps
// nothing). The parked subscriptions it returns are the last request's:
// the caller releases them once the request has joined its own feeds.
func (d *downConns) begin(id, user, sid string) (*downConn, []parkedSub) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.byID[id]
	if c == nil || c.user != user || c.sid != sid {
		if d.closed || d.perUser[user] >= MaxConnsPerUser {
			return nil, nil
		}
		var b [16]byte
		rand.Read(b[:])
		c = &downConn{id: hex.EncodeToString(b[:]), user: user, sid: sid}
		d.byID[c.id] = c
		d.perUser[user]++
	}
	if c.expires != nil {
		c.expires.Stop()
		c.expires = nil
	}
	c.active++
	parked := c.parked
	c.parked = nil
	return c, parked
}

// end parks the subscriptions of a request of c that ended (they left the
// connection, not the hub) in place of those parked before, which are
// released, and starts the grace when no other request of c is served.
func (d *downConns) end(c *downConn, subs []parkedSub) {
	d.mu.Lock()
	old := c.parked
	c.parked = subs
	if c.active--; c.active == 0 {
		if d.closed || c.gone {
			old = append(old, c.parked...)
			c.parked = nil
			d.forgetLocked(c)
		} else {
			c.expires = time.AfterFunc(d.grace, func() { d.expire(c) })
		}
	}
	d.mu.Unlock()
	d.release(old)
}

// expire forgets c, whose grace is over, unless a request began since.
func (d *downConns) expire(c *downConn) {
	d.mu.Lock()
	if c.active > 0 || d.byID[c.id] != c {
		d.mu.Unlock()
		return
	}
	parked := c.parked
	c.parked = nil
	d.forgetLocked(c)
	d.mu.Unlock()
	d.release(parked)
}

// forgetLocked removes c; mu is held.
func (d *downConns) forgetLocked(c *downConn) {
	if c.expires != nil {
		c.expires.Stop()
		c.expires = nil
	}
	if d.byID[c.id] == c {
		delete(d.byID, c.id)
		if d.perUser[c.user]--; d.perUser[c.user] <= 0 {
			delete(d.perUser, c.user)
		}
	}
}

// drop forgets the connections of session sid (it was revoked), or all of
// them when sid is "" (the gateway shuts down, and parks nothing after).
func (d *downConns) drop(sid string) {
	var parked []parkedSub
	d.mu.Lock()
	if sid == "" {
		d.closed = true
	}
	for _, c := range d.byID {
		if sid == "" || c.sid == sid {
			c.gone = true
			parked = append(parked, c.parked...)
			c.parked = nil
			if c.active == 0 {
				d.forgetLocked(c)
			}
		}
	}
	d.mu.Unlock()
	d.release(parked)
}

// release takes parked subscriptions out of the hub.
func (d *downConns) release(parked []parkedSub) {
	for _, p := range parked {
		d.hub.Leave(p.feed, p.sink)
	}
}
