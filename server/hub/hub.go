package hub

import (
	"sync"
	"sync/atomic"

	"livefeed/shared/protocol"
)

// Sink receives a feed's messages. Its methods must not block: they are
// called by the feed's fan-out and by the presence announcements, which
// visit every subscriber in turn.
type Sink interface {
	// Deliver offers a run of messages as WebSocket frames made once and
	// shared by every subscriber; the sink sends those it has not sent
	// yet (positions above the last it sent), and must not modify them
	// or keep fs.
	Deliver(fs *Frames)
	// DeliverPresence offers who is online in the feed: a text frame of
	// a protocol.Presence, made once and shared by every subscriber,
	// which the sink sends (or drops) and must not modify. Presence is
	// outside the log: it has no position, and each one supersedes the
	// last.
	DeliverPresence(frame []byte)
}

type member struct {
	user protocol.User
	sh   *shard
	idx  int // in sh.list
}

// feedSubs is a feed's subscribers on this node, in shards (shard.go),
// each with its fan-out.
type feedSubs struct {
	sinks  map[Sink]member
	shards []*shard // replaced, never changed in place (see place)
}

func newFeedSubs() *feedSubs { return &feedSubs{sinks: map[Sink]member{}} }

// snapshot returns the sinks of sh for one pass of its fan-out. The slice
// is not changed afterwards (Join and Leave copy it first).
func (h *Hub) snapshot(sh *shard) []Sink {
	h.mu.RLock()
	defer h.mu.RUnlock()
	sh.shared.Store(true)
	return sh.list
}

// appendSinks appends the sinks of feed to buf (none if nobody here
// follows it).
func (h *Hub) appendSinks(buf []Sink, feed string) []Sink {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if f := h.feeds[feed]; f != nil {
		for _, sh := range f.shards {
			buf = append(buf, sh.list...)
		}
	}
	return buf
}

// Hub holds the subscribers of every feed on this node.
//
// Locks: mu guards the feeds, their shards and subscriber lists, which
// the fan-out reads (Publish, a sweep's snapshot); each shard's fan-out has
// its own (fanout.mu), and presence its own (presence.mu). Join and Leave
// change a feed's subscribers and its presence together: they take presence.mu
// first, then mu for the list alone, so that the fan-out never waits for
// presence work (a cluster announcement of thousands of users is diffed
// under presence.mu). None of these locks is held while a sink is called.
type Hub struct {
	mu     sync.RWMutex
	feeds  map[string]*feedSubs
	pres   *presence
	cl     *cluster       // nil: presence is this node's only
	sweeps sync.WaitGroup // running fan-outs

	overflows atomic.Uint64 // times a feed's fan-out dropped events at MaxFanoutWindow

	announcing []Sink // announce's copy of a feed's subscribers
}

// New returns an empty hub whose presence is this node's only (one node,
// e.g. the embedded log).
func New() *Hub { return &Hub{feeds: map[string]*feedSubs{}, pres: newPresence()} }

// Publish implements feed.Publisher: it frames msg once for every
// subscriber of each of the feed's shards and hands it to the shard's
// fan-out (see fanout), which writes it to them after Publish returns; the
// shards are swept in parallel. Events of a feed must be published in the
// order of their positions, by one goroutine (the log follower). Publish
// never waits for subscribers: a shard whose fan-out holds MaxFanoutWindow
// bytes drops events and has its subscribers resync (see fanout), so that
// no feed's backlog holds up another's.
//
// A subscriber that joins a shard (a new one, too) after Publish read the
// feed's shards has the event from its catch-up: the feed's view had it
// before it was published.
func (h *Hub) Publish(feed string, pos uint64, msg []byte) {
	h.mu.RLock()
	var shards []*shard
	if f := h.feeds[feed]; f != nil {
		shards = f.shards
	}
	h.mu.RUnlock()
	for _, sh := range shards {
		sh.fan.publish(h, pos, msg)
	}
}

// Overflows returns how many times a feed's fan-out dropped events at
// MaxFanoutWindow (and so had its subscribers resync).
func (h *Hub) Overflows() uint64 { return h.overflows.Load() }

// Wait waits until every event published so far has been offered to every
// subscriber. It must not run concurrently with Publish (tests and
// benchmarks call it between publishing and checking).
func (h *Hub) Wait() { h.sweeps.Wait() }

// Join adds a subscriber of feed for user u; presence announces u at its
// next tick if u was not online in the feed yet.
func (h *Hub) Join(feed string, s Sink, u protocol.User) {
	h.pres.mu.Lock()
	defer h.pres.mu.Unlock()
	h.mu.Lock()
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
		h.mu.Unlock()
		return
	}
	sh := f.place()
	f.sinks[s] = member{user: u, sh: sh, idx: sh.add(s)}
	h.mu.Unlock()
	h.pres.joinLocked(feed, u)
}

// Leave removes a subscriber.
func (h *Hub) Leave(feed string, s Sink) {
	h.pres.mu.Lock()
	defer h.pres.mu.Unlock()
	h.mu.Lock()
	f := h.feeds[feed]
	if f == nil {
		h.mu.Unlock()
		return
	}
	m, ok := f.sinks[s]
	if !ok {
		h.mu.Unlock()
		return
	}
	delete(f.sinks, s)
	if moved := m.sh.remove(m.idx); moved != nil {
		mm := f.sinks[moved]
		mm.idx = m.idx
		f.sinks[moved] = mm
	}
	gone := len(f.sinks) == 0
	if !gone && len(m.sh.list) == 0 {
		f.drop(m.sh)
	}
	if gone {
		// Nobody here follows the feed any more; the cluster side
		// tells the other nodes at its next tick.
		delete(h.feeds, feed)
	}
	h.mu.Unlock()
	if gone {
		h.pres.dropLocked(feed)
		return
	}
	h.pres.leaveLocked(feed, m.user.ID)
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
