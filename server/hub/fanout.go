package hub

import (
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"livefeed/server/wsframe"
)

// Frames is a run of one feed's messages, each a WebSocket frame (see
// package wsframe), back to back in one buffer: a subscriber that lacks the
// last k of them gets all k with one write. Positions ascend; a message
// outside the log (presence) has position 0 and is alone in its run.
//
// A sink must not keep a *Frames after Deliver returns; the byte slices
// Frame and From return stay valid and unchanged for as long as anyone
// holds them.
type Frames struct {
	buf []byte
	pos []uint64 // each frame's position
	end []int    // where each frame ends in buf
}

// Len returns the number of frames.
func (fs *Frames) Len() int { return len(fs.pos) }

// Pos returns the position of frame i.
func (fs *Frames) Pos(i int) uint64 { return fs.pos[i] }

// Frame returns frame i.
func (fs *Frames) Frame(i int) []byte { return fs.buf[fs.start(i):fs.end[i]:fs.end[i]] }

// From returns frames i to the last, back to back.
func (fs *Frames) From(i int) []byte { n := len(fs.buf); return fs.buf[fs.start(i):n:n] }

// After returns the index of the first frame whose position is above pos,
// or Len() when there is none.
func (fs *Frames) After(pos uint64) int {
	n := len(fs.pos)
	if n == 0 || fs.pos[n-1] <= pos {
		return n // the common case: nothing new
	}
	return sort.Search(n, func(i int) bool { return fs.pos[i] > pos })
}

// Take returns the index of the first frame after *last, the last
// position a subscriber sent, and moves *last to the run's end; Len()
// when the subscriber has every frame.
func (fs *Frames) Take(last *uint64) int {
	i := fs.After(*last)
	if i < len(fs.pos) {
		*last = fs.pos[len(fs.pos)-1]
	}
	return i
}

// Last returns the position of the last frame, 0 when there is none.
func (fs *Frames) Last() uint64 {
	if len(fs.pos) == 0 {
		return 0
	}
	return fs.pos[len(fs.pos)-1]
}

func (fs *Frames) start(i int) int {
	if i == 0 {
		return 0
	}
	return fs.end[i-1]
}

// add appends msg as a text frame at position pos.
func (fs *Frames) add(pos uint64, msg []byte) {
	fs.buf = wsframe.AppendText(fs.buf, msg)
	fs.pos = append(fs.pos, pos)
	fs.end = append(fs.end, len(fs.buf))
}

// addAll appends every frame of o.
func (fs *Frames) addAll(o *Frames) {
	base := len(fs.buf)
	fs.buf = append(fs.buf, o.buf...)
	fs.pos = append(fs.pos, o.pos...)
	for _, e := range o.end {
		fs.end = append(fs.end, base+e)
	}
}

// dropThrough removes the frames at positions up to pos. The rest moves to
// a new buffer: slices of the old one may still wait in send queues.
func (fs *Frames) dropThrough(pos uint64) {
	i := fs.After(pos)
	if i == 0 {
		return
	}
	cut := fs.start(i)
	fs.buf = append([]byte(nil), fs.buf[cut:]...)
	fs.pos = append(fs.pos[:0], fs.pos[i:]...)
	k := 0
	for _, e := range fs.end[i:] {
		fs.end[k] = e - cut
		k++
	}
	fs.end = fs.end[:k]
}

// reset empties fs; the next frame goes to a new buffer.
func (fs *Frames) reset() {
	fs.buf, fs.pos, fs.end = nil, fs.pos[:0], fs.end[:0]
}

// reuse empties fs keeping its buffer (unless a burst made it big): for a
// run nobody holds slices of.
func (fs *Frames) reuse() {
	if cap(fs.buf) > 64<<10 {
		fs.buf = nil
	}
	fs.buf, fs.pos, fs.end = fs.buf[:0], fs.pos[:0], fs.end[:0]
}

// MaxFanoutWindow is how many bytes of frames a feed's fan-out may hold:
// events published but not yet written to every subscriber. At the limit,
// Publish waits (and with it the log follower) until a sweep over the
// subscribers frees room, as a fan-out made inside Publish would.
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
		fo.room.Wait()
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
