package hub

import (
	"sort"

	"livefeed/server/wsframe"
)

// Frames is a run of one feed's messages, each a WebSocket frame (see
// package wsframe), back to back in one buffer: a subscriber that lacks the
// last k of them gets all k with one write. Positions (log positions,
// above 0) ascend.
//
// A sink must not keep a *Frames after Deliver returns; the byte slices
// Frame and From return stay valid and unchanged for as long as anyone
// holds them.
type Frames struct {
	buf []byte
	pos []uint64 // each frame's position
	end []int    // where each frame ends in buf

	lost uint64 // events up to here were dropped from the fan-out (see Missed)
}

// Lost returns the newest position the feed's fan-out dropped (it fell
// MaxFanoutWindow behind) before every subscriber was told, 0 when none.
// A subscriber whose last position is below it lacks the dropped events
// and cannot follow the feed from these frames alone: it catches up from
// the feed service (the view has every event published), as the gateway's
// subscription does.
func (fs *Frames) Lost() uint64 { return fs.lost }

// Missed reports whether a subscriber whose last position is last lacks
// events the fan-out dropped (see Lost).
func (fs *Frames) Missed(last uint64) bool { return fs.lost > last }

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
