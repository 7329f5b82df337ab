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
	idx  int // in feedSubs.list
}

// feedSubs is a feed's subscribers on this node and its fan-out.
type feedSubs struct {
	sinks  map[Sink]member
	list   []Sink      // the sinks, in the order a fan-out visits them
	shared atomic.Bool // list was handed to a fan-out: copy before changing it
	fan    *fanout
}

func newFeedSubs() *feedSubs {
	f := &feedSubs{sinks: map[Sink]member{}}
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

// appendSinks appends the sinks of feed to buf (none if nobody here
// follows it).
func (h *Hub) appendSinks(buf []Sink, feed string) []Sink {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if f := h.feeds[feed]; f != nil {
		buf = append(buf, f.list...)
	}
	return buf
}

// Hub holds the subscribers of every feed on this node.
//
// Locks: mu guards the feeds and their subscriber lists, which the fan-out
// reads (Publish, a sweep's snapshot); each feed's fan-out has its own
// (fanout.mu), and presence its own (presence.mu). Join and Leave change a
// feed's subscribers and its presence together: they take presence.mu
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
// subscriber of feed and hands it to the feed's fan-out (see fanout), which
// writes it to them after Publish returns. Events of a feed must be
// published in the order of their positions, by one goroutine (the log
// follower). Publish never waits for subscribers: a feed whose fan-out
// holds MaxFanoutWindow bytes drops events and has its subscribers resync
// (see fanout), so that no feed's backlog holds up another's.
func (h *Hub) Publish(feed string, pos uint64, msg []byte) {
	h.mu.RLock()
	f := h.feeds[feed]
	h.mu.RUnlock()
	if f != nil {
		f.fan.publish(h, pos, msg)
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
	f.ownList()
	f.sinks[s] = member{user: u, idx: len(f.list)}
	f.list = append(f.list, s)
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
	gone := len(f.sinks) == 0
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
