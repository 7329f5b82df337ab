package hub

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// MaxFanoutWindow is how many bytes of frames a feed's fan-out may hold:
// events published but not yet written to every subscriber. At the limit,
// Publish waits (and with it the log follower) until a sweep over the
// subscribers frees room, as a fan-out made inside Publish would. The
// follower applies the records of every feed, so while it waits the other
// feeds' events wait too: this is the one way left for a feed's backlog to
// hold up another (TestFanoutWindowLimit holds the wait). A sink's Deliver
// never blocks, so a window fills only when a pass over the subscribers
// takes longer than 4 MiB of the feed's events take to arrive.
const MaxFanoutWindow = 4 << 20

// fanout writes one feed's events to its subscribers. Publish appends an
// event and returns; a sweep goroutine, running while there is something
// to deliver, visits the subscribers in turn and offers each the window:
// the events not yet delivered to everyone. A subscriber takes the events
// it lacks with one write, so when events come faster than one pass over
// the subscribers takes, each write carries several of them and the cost
// per event falls instead of a backlog growing. An event published in the
// middle of a pass reaches the rest of that pass at once and the others
// early in the next one, so it waits at most about one pass.
type fanout struct {
	f *feedSubs

	mu      sync.Mutex
	room    sync.Cond     // Publish waits on it for room in the window
	pending Frames        // published, not yet taken into the window
	bytes   int           // frames held: pending and the window
	running bool          // a sweep goroutine runs
	waiting int           // Publish calls waiting for room
	arrived atomic.Uint64 // events published (changed under mu)

	win Frames // the sweep's: events not yet delivered to every subscriber
}

func newFanout(f *feedSubs) *fanout {
	fo := &fanout{f: f}
	fo.room.L = &fo.mu
	return fo
}

// publish adds an event and starts a sweep unless one runs.
func (fo *fanout) publish(h *Hub, pos uint64, msg []byte) {
	fo.mu.Lock()
	for fo.running && fo.bytes >= MaxFanoutWindow {
		fo.waiting++
		fo.room.Wait()
		fo.waiting--
	}
	n := len(fo.pending.buf)
	fo.pending.add(pos, msg)
	fo.bytes += len(fo.pending.buf) - n
	fo.arrived.Add(1)
	if !fo.running {
		fo.running = true
		h.sweeps.Add(1)
		go fo.sweep(h)
	}
	fo.mu.Unlock()
}

// takeLocked moves the pending events into the window; mu is held.
func (fo *fanout) takeLocked() uint64 {
	if fo.pending.Len() > 0 {
		fo.win.addAll(&fo.pending)
		fo.pending.reuse()
	}
	return fo.arrived.Load()
}

// sweep runs passes over the feed's subscribers until one whole pass,
// over the subscribers as they were after the last event arrived, is done:
// then everyone has everything and the goroutine exits. Each pass visits
// the subscribers in the same order (from a random start chosen when the
// sweep begins, so that nobody is always last).
func (fo *fanout) sweep(h *Hub) {
	defer h.sweeps.Done()
	var (
		sinks   []Sink
		i       int    // visits made in this pass
		start   = -1   // where each pass begins in sinks
		passing bool   // sinks is a pass's snapshot
		taken   uint64 // arrivals when the pass began
		head    uint64 // the window's last position then
		seen    uint64 // arrivals taken into the window
	)
	for {
		if i == len(sinks) {
			fo.mu.Lock()
			if passing {
				if fo.arrived.Load() == taken {
					// Everyone subscribed now has every event: those of
					// the pass were visited after the last arrival, and
					// those who joined since caught up from the view,
					// which had them.
					fo.win.reset()
					fo.bytes = 0
					fo.running = false
					fo.room.Broadcast()
					fo.mu.Unlock()
					return
				}
				// The pass's subscribers have everything up to head,
				// and so do later ones (see above).
				fo.win.dropThrough(head)
			}
			seen = fo.takeLocked()
			taken, head = seen, fo.win.Last()
			fo.bytes = len(fo.win.buf)
			fo.room.Broadcast()
			fo.mu.Unlock()
			sinks, i, passing = h.snapshot(fo.f), 0, true
			if start < 0 && len(sinks) > 0 {
				start = rand.N(len(sinks))
			}
			continue
		}
		if fo.arrived.Load() != seen {
			fo.mu.Lock()
			seen = fo.takeLocked()
			fo.mu.Unlock()
		}
		sinks[(start+i)%len(sinks)].Deliver(&fo.win)
		i++
		if i%yieldEvery == 0 {
			runtime.Gosched()
		}
	}
}

// yieldEvery is how many subscribers a sweep visits between yields of its
// processor. A pass over thousands of subscribers takes tens of
// milliseconds of CPU; without yielding, a goroutine woken meanwhile on
// the same processor (an action's reply after its log append's fsync, the
// log follower) would wait for the scheduler's 10 ms preemption, several
// times over along an action's path. 32 visits is about 0.4 ms of writes.
const yieldEvery = 32
