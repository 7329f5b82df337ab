// Package hub fans events out to the subscribers of each feed. An event is
// encoded once by the feed service and the same bytes are offered to every
// subscriber; a subscriber's Deliver never blocks (each connection has a
// bounded queue and is cut off when it overflows).
//
// Presence (who is online in a feed) is kept per node; a hub made with
// NewCluster also shares it with the other nodes of a cluster over NATS
// (see cluster.go), so that a user on one node is shown online to users on
// every node.
package hub

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// Sink receives a feed's messages. Deliver must not block.
type Sink interface {
	// Deliver offers a message as a WebSocket frame, made once and shared
	// by every subscriber (see package wsframe); the sink must not modify
	// it. pos is the event's position, or 0 for messages outside the log
	// (presence).
	Deliver(pos uint64, frame []byte)
}

type member struct {
	user protocol.User
}

type feedSubs struct {
	sinks  map[Sink]member
	online map[string]int // user id -> number of subscriptions
	names  map[string]protocol.User
	dirty  bool // presence changed since the last announcement

	// Cluster presence (NewCluster only).
	remote  map[string]remoteUsers // node id -> users online there
	changed bool                   // local presence changed since last shared
	last    []protocol.User        // the presence last announced
}

func newFeedSubs() *feedSubs {
	return &feedSubs{sinks: map[Sink]member{}, online: map[string]int{}, names: map[string]protocol.User{}, remote: map[string]remoteUsers{}}
}

// PresenceInterval is how often changes of who is online are announced
// (batched, so that a thousand joins cost one message per subscriber).
const PresenceInterval = 500 * time.Millisecond

// Hub holds the subscribers of every feed on this node.
type Hub struct {
	mu    sync.RWMutex
	feeds map[string]*feedSubs
	cl    *cluster // nil: presence is this node's only
}

// New returns an empty hub whose presence is this node's only (one node,
// e.g. the embedded log).
func New() *Hub { return &Hub{feeds: map[string]*feedSubs{}} }

// Publish implements feed.Publisher: it frames msg once and offers the
// frame to every subscriber of feed.
func (h *Hub) Publish(feed string, pos uint64, msg []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if f := h.feeds[feed]; f != nil && len(f.sinks) > 0 {
		frame := wsframe.Text(msg)
		for s := range f.sinks {
			s.Deliver(pos, frame)
		}
	}
}

// Join adds a subscriber of feed for user u and announces presence if u
// was not online in the feed yet.
func (h *Hub) Join(feed string, s Sink, u protocol.User) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feeds[feed]
	if f == nil {
		f = newFeedSubs()
		h.feeds[feed] = f
		if h.cl != nil {
			h.cl.wake() // follow the feed's presence in the cluster now
		}
	}
	f.sinks[s] = member{user: u}
	if f.online[u.ID]++; f.online[u.ID] == 1 {
		f.changed = true
	}
	f.names[u.ID] = u
	h.announceLocked(feed, f)
}

// Leave removes a subscriber.
func (h *Hub) Leave(feed string, s Sink) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feeds[feed]
	if f == nil {
		return
	}
	m, ok := f.sinks[s]
	if !ok {
		return
	}
	delete(f.sinks, s)
	if f.online[m.user.ID]--; f.online[m.user.ID] <= 0 {
		delete(f.online, m.user.ID)
		delete(f.names, m.user.ID)
		f.changed = true
	}
	if len(f.sinks) == 0 {
		// Nobody here follows the feed any more; the cluster side
		// tells the other nodes at its next tick.
		delete(h.feeds, feed)
		return
	}
	h.announceLocked(feed, f)
}

// Presence returns who is online in feed, ordered by name: the users
// subscribed on this node and, for a cluster hub, those other nodes
// reported (each user once).
func (h *Hub) Presence(feed string) protocol.Presence {
	h.mu.RLock()
	defer h.mu.RUnlock()
	p := protocol.Presence{Feed: feed, Online: []protocol.User{}}
	if f := h.feeds[feed]; f != nil {
		p.Online = onlineOf(f)
	}
	return p
}

// onlineOf merges local and remote presence, sorted.
func onlineOf(f *feedSubs) []protocol.User {
	us := make([]protocol.User, 0, len(f.names))
	for _, u := range f.names {
		us = append(us, u)
	}
	if len(f.remote) > 0 {
		seen := make(map[string]bool, len(f.names))
		for id := range f.names {
			seen[id] = true
		}
		for _, r := range f.remote {
			for _, u := range r.users {
				if !seen[u.ID] {
					seen[u.ID] = true
					us = append(us, u)
				}
			}
		}
	}
	sortUsers(us)
	return us
}

// localOf returns the users subscribed on this node, sorted.
func localOf(f *feedSubs) []protocol.User {
	us := make([]protocol.User, 0, len(f.names))
	for _, u := range f.names {
		us = append(us, u)
	}
	sortUsers(us)
	return us
}

func sortUsers(us []protocol.User) {
	slices.SortFunc(us, func(a, b protocol.User) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func (h *Hub) announceLocked(_ string, f *feedSubs) { f.dirty = true }

// Run announces presence changes every PresenceInterval until ctx is done.
// A cluster hub also shares this node's presence and follows the other
// nodes' (see NewCluster); when ctx is done it tells them this node's users
// are gone before it returns.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTicker(PresenceInterval)
	defer t.Stop()
	var in <-chan *nats.Msg
	var wake <-chan struct{}
	if h.cl != nil {
		in, wake = h.cl.in, h.cl.wakec
		defer h.cl.leave(h)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			h.cl.follow(h)
		case m := <-in:
			h.cl.receive(h, m, time.Now())
		case now := <-t.C:
			if h.cl != nil {
				h.cl.tick(h, now)
			}
			h.announce()
		}
	}
}

// announce sends the presence of every feed whose presence changed to the
// feed's subscribers on this node.
func (h *Hub) announce() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, f := range h.feeds {
		if !f.dirty {
			continue
		}
		f.dirty = false
		online := onlineOf(f)
		if f.last != nil && slices.Equal(online, f.last) {
			continue // e.g. a user who moved between nodes
		}
		f.last = online
		frame := wsframe.Text(protocol.MustEncode(protocol.Presence{Feed: name, Online: online}))
		for s := range f.sinks {
			s.Deliver(0, frame)
		}
	}
}

// Subscribers returns the number of subscriptions on this node.
func (h *Hub) Subscribers() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for _, f := range h.feeds {
		n += len(f.sinks)
	}
	return n
}
