// Package hub fans events out to the subscribers of each feed. An event is
// encoded once by the feed service and framed once here, and the same bytes
// are offered to every subscriber; a subscriber's Deliver never blocks (each
// connection has a bounded queue and is cut off when it overflows). Each
// feed's fan-out runs in a goroutine of its own while it has events to
// deliver, and writes the events that piled up during a pass over the
// subscribers together (see fanout.go).
//
// Presence (who is online in a feed) is kept per node; a hub made with
// NewCluster also shares it with the other nodes of a cluster over NATS
// (see cluster.go), so that a user on one node is shown online to users on
// every node.
package hub

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"livefeed/shared/protocol"
)

// Sink receives a feed's messages. Deliver must not block.
type Sink interface {
	// Deliver offers a run of messages as WebSocket frames made once and
	// shared by every subscriber; the sink sends those it has not sent
	// yet (positions above the last it sent), and must not modify them
	// or keep fs. A run of presence is one frame at position 0.
	Deliver(fs *Frames)
}

type member struct {
	user protocol.User
	idx  int // in feedSubs.list
}

type feedSubs struct {
	sinks  map[Sink]member
	list   []Sink      // the sinks, in the order a fan-out visits them
	shared atomic.Bool // list was handed to a fan-out: copy before changing it
	fan    *fanout
	online map[string]int // user id -> number of subscriptions on this node
	local  *roster        // the users subscribed on this node
	all    *roster        // local and remote users, each once
	dirty  bool           // presence changed since the last announcement

	// Cluster presence (NewCluster only).
	remote  map[string]remoteUsers // node id -> users online there
	changed bool                   // local presence changed since last shared
	last    protocol.Presence      // the presence last announced
	lastAt  time.Time              // when it was announced
}

func newFeedSubs() *feedSubs {
	f := &feedSubs{sinks: map[Sink]member{}, online: map[string]int{}, local: newRoster(), all: newRoster(), remote: map[string]remoteUsers{}}
	f.fan = newFanout(f)
	return f
}

// ownList makes f.list safe to change: a copy if a fan-out holds it. h.mu
// is held for writing.
func (f *feedSubs) ownList() {
	if f.shared.Load() {
		f.list = append(make([]Sink, 0, len(f.list)+len(f.list)/8+1), f.list...)
		f.shared.Store(false)
	}
}

// snapshot returns the sinks of f for one pass of its fan-out. The slice
// is not changed afterwards (Join and Leave copy it first).
func (h *Hub) snapshot(f *feedSubs) []Sink {
	h.mu.RLock()
	defer h.mu.RUnlock()
	f.shared.Store(true)
	return f.list
}

// PresenceInterval is how often changes of who is online are announced
// (batched, so that a thousand joins cost one message per subscriber).
const PresenceInterval = 500 * time.Millisecond

// PresenceCountInterval is how often, at most, a feed's presence is
// announced when only its count changed: in a feed of more than
// protocol.MaxPresenceList users, people coming and going beyond the
// listed ones. Such a feed has many subscribers, each of whom gets every
// announcement, and a count a second or two old is as good as a fresh one;
// a change of the listed users is announced at the next PresenceInterval.
const PresenceCountInterval = 2 * time.Second

// Hub holds the subscribers of every feed on this node.
type Hub struct {
	mu     sync.RWMutex
	feeds  map[string]*feedSubs
	cl     *cluster       // nil: presence is this node's only
	sweeps sync.WaitGroup // running fan-outs
}

// New returns an empty hub whose presence is this node's only (one node,
// e.g. the embedded log).
func New() *Hub { return &Hub{feeds: map[string]*feedSubs{}} }

// Publish implements feed.Publisher: it frames msg once for every
// subscriber of feed and hands it to the feed's fan-out (see fanout), which
// writes it to them after Publish returns. Events of a feed must be
// published in the order of their positions, by one goroutine (the log
// follower). Publish waits only when the feed's fan-out holds
// MaxFanoutWindow bytes.
func (h *Hub) Publish(feed string, pos uint64, msg []byte) {
	h.mu.RLock()
	f := h.feeds[feed]
	h.mu.RUnlock()
	if f != nil {
		f.fan.publish(h, pos, msg)
	}
}

// Wait waits until every event published so far has been offered to every
// subscriber. It must not run concurrently with Publish (tests and
// benchmarks call it between publishing and checking).
func (h *Hub) Wait() { h.sweeps.Wait() }

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
	if m, ok := f.sinks[s]; ok {
		m.user = u // the same sink again: not listed twice
		f.sinks[s] = m
		return
	}
	f.ownList()
	f.sinks[s] = member{user: u, idx: len(f.list)}
	f.list = append(f.list, s)
	if f.online[u.ID]++; f.online[u.ID] == 1 {
		f.local.add(u)
		f.all.add(u)
		f.changed = true
		h.announceLocked(f)
	}
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
	f.ownList()
	last := len(f.list) - 1
	if m.idx != last {
		moved := f.list[last]
		f.list[m.idx] = moved
		mm := f.sinks[moved]
		mm.idx = m.idx
		f.sinks[moved] = mm
	}
	f.list[last] = nil
	f.list = f.list[:last]
	if len(f.sinks) == 0 {
		// Nobody here follows the feed any more; the cluster side
		// tells the other nodes at its next tick.
		delete(h.feeds, feed)
		return
	}
	if f.online[m.user.ID]--; f.online[m.user.ID] <= 0 {
		delete(f.online, m.user.ID)
		f.local.remove(m.user.ID)
		f.all.remove(m.user.ID)
		f.changed = true
		h.announceLocked(f)
	}
}

// Presence returns who is online in feed: the number of distinct users
// subscribed on this node and, for a cluster hub, those other nodes
// reported, and the first protocol.MaxPresenceList of them by name.
func (h *Hub) Presence(feed string) protocol.Presence {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if f := h.feeds[feed]; f != nil {
		return f.presence(feed)
	}
	return protocol.Presence{Feed: feed, Online: []protocol.User{}}
}

// presence returns the feed's presence message. It costs
// O(MaxPresenceList + other nodes), whatever the number of users.
func (f *feedSubs) presence(feed string) protocol.Presence {
	n := f.all.len()
	for _, r := range f.remote {
		n += r.unlisted()
	}
	return protocol.Presence{Feed: feed, Online: f.all.first(protocol.MaxPresenceList), Count: n}
}

// announceLocked marks f's presence for the next announcement (see
// announce); h.mu is held.
func (h *Hub) announceLocked(f *feedSubs) { f.dirty = true }

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
			h.announce(now)
		}
	}
}

// announce sends the presence of every feed whose presence changed to the
// feed's subscribers on this node (a change of the count alone waits until
// PresenceCountInterval after the last announcement).
func (h *Hub) announce(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, f := range h.feeds {
		if !f.dirty {
			continue
		}
		p := f.presence(name)
		sameList := slices.Equal(p.Online, f.last.Online)
		if sameList && p.Count != f.last.Count && now.Sub(f.lastAt) < PresenceCountInterval {
			continue // stays dirty: announced at a later tick
		}
		f.dirty = false
		if sameList && p.Count == f.last.Count {
			continue // e.g. a user who moved between nodes
		}
		f.last, f.lastAt = p, now
		var fs Frames
		fs.add(0, protocol.MustEncode(p))
		for _, s := range f.list {
			s.Deliver(&fs)
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
