package hub

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"livefeed/server/wsframe"
)

// MaxFanoutWindow is how many bytes of frames a shard's fan-out may hold
// (a feed has a shard per ShardSize subscribers, see shard.go): events
// published but not yet written to every subscriber of the shard. Publish
// never waits for room: it is called by the log follower, which applies the
// records of every feed, so a wait there would hold up every other feed
// behind this one's backlog. At the limit the fan-out drops the events
// nobody has been offered yet, and marks them lost (Frames.Lost): each
// subscriber then offered the window lacks them and catches up on them
// from the feed service, whose view has every event published (the
// gateway's subscription does so on the same connection, buffering live
// events meanwhile, as for a new subscription), as centrifuge has a
// subscriber whose stream lost continuity recover from history. Memory
// stays bounded: the window, plus each catching-up subscription's bounded
// buffer (gateway.MaxCatchUpBuffer); a feed's, a window per shard, at
// most 4 KiB per subscriber of a full shard. A sink's Deliver never
// blocks, so a window fills only when a pass over the shard's subscribers
// takes longer than 4 MiB of the feed's events take to arrive.
const MaxFanoutWindow = 4 << 20

// fanout writes one feed's events to the subscribers of one shard (each
// shard of a feed has its own, and they run in parallel). Publish appends
// an event and returns; a sweep goroutine, running while there is something
// to deliver, visits the subscribers in turn and offers each the window:
// the events not yet delivered to everyone. A subscriber takes the events
// it lacks with one write, so when events come faster than one pass over
// the subscribers takes, each write carries several of them and the cost
// per event falls instead of a backlog growing. An event published in the
// middle of a pass reaches the rest of that pass at once and the others
// early in the next one, so it waits at most about one pass.
type fanout struct {
	sh *shard

	mu      sync.Mutex
	pending Frames        // published, not yet taken into the window
	bytes   int           // frames held: pending and the window
	running bool          // a sweep goroutine runs
	lost    uint64        // the newest position dropped at the limit, until every subscriber was told
	drops   uint64        // times events were dropped at the limit
	arrived atomic.Uint64 // events published, kept or dropped (changed under mu)

	win Frames // the sweep's: events not yet delivered to every subscriber
}

func newFanout(sh *shard) *fanout { return &fanout{sh: sh} }

// publish adds an event and starts a sweep unless one runs. It never
// waits: past MaxFanoutWindow it drops the events no subscriber has been
// offered (pending, then this one if the window alone is full) and marks
// them lost.
func (fo *fanout) publish(h *Hub, pos uint64, msg []byte) {
	fo.mu.Lock()
	fo.arrived.Add(1)
	if size := len(msg) + wsframe.MaxHeader; fo.running && fo.bytes+size > MaxFanoutWindow {
		fo.drops++
		h.overflows.Add(1)
		if fo.pending.Len() > 0 {
			fo.lost = fo.pending.Last()
			fo.bytes -= len(fo.pending.buf)
			fo.pending.reuse() // nobody holds slices of pending
		}
		if fo.bytes+size > MaxFanoutWindow {
			fo.lost = pos // the window alone is full: this one goes too
			fo.mu.Unlock()
			return
		}
	}
	n := len(fo.pending.buf)
	fo.pending.add(pos, msg)
	fo.bytes += len(fo.pending.buf) - n
	if !fo.running {
		fo.running = true
		h.sweeps.Add(1)
		go fo.sweep(h)
	}
	fo.mu.Unlock()
}

// takeLocked moves the pending events, and the mark of those lost, into
// the window; mu is held.
func (fo *fanout) takeLocked() uint64 {
	if fo.pending.Len() > 0 {
		fo.win.addAll(&fo.pending)
		fo.pending.reuse()
	}
	fo.win.lost = fo.lost
	return fo.arrived.Load()
}

// sweep runs passes over the shard's subscribers until one whole pass,
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
		drops   uint64 // fo.drops when the pass began
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
					// (No drop happened either: a drop is an arrival.)
					fo.win.reset()
					fo.win.lost, fo.lost = 0, 0
					fo.bytes = 0
					fo.running = false
					fo.mu.Unlock()
					return
				}
				// The pass's subscribers have everything up to head,
				// and so do later ones (see above).
				fo.win.dropThrough(head)
				if fo.drops == drops {
					// Every subscriber of the pass was offered the
					// lost mark it began with, and later ones caught
					// up from the view, which has the lost events.
					fo.lost = 0
				}
			}
			seen = fo.takeLocked()
			taken, head, drops = seen, fo.win.Last(), fo.drops
			fo.bytes = len(fo.win.buf)
			fo.mu.Unlock()
			sinks, i, passing = h.snapshot(fo.sh), 0, true
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
