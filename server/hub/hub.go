// Package hub fans events out to the subscribers of each feed. An event is
// encoded once by the feed service and the same bytes are offered to every
// subscriber; a subscriber's Deliver never blocks (each connection has a
// bounded queue and is cut off when it overflows).
package hub

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"livefeed/shared/protocol"
)

// Sink receives a feed's messages. Deliver must not block.
type Sink interface {
	// Deliver offers an encoded message. pos is the event's position, or
	// 0 for messages outside the log (presence).
	Deliver(pos uint64, msg []byte)
}

type member struct {
	user protocol.User
}

type feedSubs struct {
	sinks  map[Sink]member
	online map[string]int // user id -> number of subscriptions
	names  map[string]protocol.User
	dirty  bool // presence changed since the last announcement
}

// PresenceInterval is how often changes of who is online are announced
// (batched, so that a thousand joins cost one message per subscriber).
const PresenceInterval = 500 * time.Millisecond

// Hub holds the subscribers of every feed on this node.
type Hub struct {
	mu    sync.RWMutex
	feeds map[string]*feedSubs
}

// New returns an empty hub.
func New() *Hub { return &Hub{feeds: map[string]*feedSubs{}} }

// Publish implements feed.Publisher: it offers msg to every subscriber of feed.
func (h *Hub) Publish(feed string, pos uint64, msg []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if f := h.feeds[feed]; f != nil {
		for s := range f.sinks {
			s.Deliver(pos, msg)
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
		f = &feedSubs{sinks: map[Sink]member{}, online: map[string]int{}, names: map[string]protocol.User{}}
		h.feeds[feed] = f
	}
	f.sinks[s] = member{user: u}
	f.online[u.ID]++
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
	}
	if len(f.sinks) == 0 {
		delete(h.feeds, feed)
		return
	}
	h.announceLocked(feed, f)
}

// Presence returns who is online in feed, ordered by name.
func (h *Hub) Presence(feed string) protocol.Presence {
	h.mu.RLock()
	defer h.mu.RUnlock()
	p := protocol.Presence{Feed: feed, Online: []protocol.User{}}
	if f := h.feeds[feed]; f != nil {
		p.Online = onlineOf(f)
	}
	return p
}

func onlineOf(f *feedSubs) []protocol.User {
	us := make([]protocol.User, 0, len(f.names))
	for _, u := range f.names {
		us = append(us, u)
	}
	slices.SortFunc(us, func(a, b protocol.User) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return us
}

func (h *Hub) announceLocked(_ string, f *feedSubs) { f.dirty = true }

// Run announces presence changes every PresenceInterval until ctx is done.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTicker(PresenceInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.announce()
		}
	}
}

func (h *Hub) announce() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, f := range h.feeds {
		if !f.dirty {
			continue
		}
		f.dirty = false
		msg := protocol.MustEncode(protocol.Presence{Feed: name, Online: onlineOf(f)})
		for s := range f.sinks {
			s.Deliver(0, msg)
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
