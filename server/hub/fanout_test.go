package hub

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"livefeed/server/internal/wait"
	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// recSink records every event it sends, as the gateway's subscription
// does: those above the last it sent, a run per Deliver; told it missed
// events (Frames.Missed), it stops, as the gateway cuts the connection.
type recSink struct {
	mu     sync.Mutex
	last   uint64
	got    []uint64
	runs   int
	missed bool          // told it missed events; takes no more
	delay  time.Duration // per Deliver: a slow socket
	gate   chan struct{} // when set, Deliver waits for it
}

func (s *recSink) Deliver(fs *Frames) {
	if s.gate != nil {
		<-s.gate
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.missed || fs.Missed(s.last) {
		s.missed = true
		return
	}
	i := fs.Take(&s.last)
	if i == fs.Len() {
		return
	}
	for j := i; j < fs.Len(); j++ {
		// The message at position p is "event p", maybe followed by
		// x's (padding).
		msg, ok := wsframe.Payload(fs.Frame(j))
		want := fmt.Sprint("event ", fs.Pos(j))
		if !ok || !bytes.HasPrefix(msg, []byte(want)) || len(bytes.Trim(msg[len(want):], "x")) > 0 {
			panic(fmt.Sprintf("frame %d at %d is %.40q", j, fs.Pos(j), fs.Frame(j)))
		}
		s.got = append(s.got, fs.Pos(j))
	}
	s.runs++
}

func (s *recSink) DeliverPresence([]byte) {}

func (s *recSink) positions() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.got...)
}

func (s *recSink) wasTold() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.missed
}

// checkRun fails unless got is exactly from, from+1, ..., to.
func checkRun(t *testing.T, name string, got []uint64, from, to uint64) {
	t.Helper()
	if len(got) != int(to-from+1) {
		t.Fatalf("%s got %d events (%v...), want %d..%d", name, len(got), got[:min(len(got), 5)], from, to)
	}
	for i, p := range got {
		if p != from+uint64(i) {
			t.Fatalf("%s: event %d is at %d, want %d", name, i, p, from+uint64(i))
		}
	}
}

// Events published faster than a pass over the subscribers takes reach
// everyone, once and in order, several per write.
func TestFanoutCoalescesWhenBehind(t *testing.T) {
	h := New()
	const subs, events = 200, 300
	sinks := make([]*recSink, subs)
	for i := range sinks {
		sinks[i] = &recSink{delay: 20 * time.Microsecond}
		h.Join("main", sinks[i], protocol.User{ID: fmt.Sprint("u", i), Name: "n"})
	}
	for pos := uint64(1); pos <= events; pos++ {
		h.Publish("main", pos, []byte(fmt.Sprint("event ", pos)))
	}
	h.Wait()
	runs := 0
	for i, s := range sinks {
		checkRun(t, fmt.Sprint("sink ", i), s.positions(), 1, events)
		runs += s.runs
	}
	// A pass takes at least 200 × 20 µs = 4 ms, far longer than
	// publishing 300 events: most runs carry many.
	if perRun := float64(subs*events) / float64(runs); perRun < 10 {
		t.Fatalf("%.1f events per write; the fan-out did not coalesce", perRun)
	}
}

// Subscribers who join and leave while events flow get, from the first
// event published after their Join, every event once and in order.
func TestFanoutWithChurn(t *testing.T) {
	h := New()
	const events = 2000
	var (
		mu     sync.Mutex
		joined = map[*recSink]uint64{} // sink -> position published before its Join
		stayed []*recSink
	)
	var published uint64
	var pubMu sync.Mutex
	for i := range 50 {
		s := &recSink{delay: time.Duration(rand.N(20)) * time.Microsecond}
		h.Join("main", s, protocol.User{ID: fmt.Sprint("u", i), Name: "n"})
		joined[s] = 0
		stayed = append(stayed, s)
	}
	done := make(chan struct{})
	var churners []*recSink
	go func() {
		defer close(done)
		for i := range 300 {
			s := &recSink{}
			pubMu.Lock()
			before := published
			h.Join("main", s, protocol.User{ID: fmt.Sprint("c", i), Name: "n"})
			pubMu.Unlock()
			mu.Lock()
			joined[s] = before
			churners = append(churners, s)
			mu.Unlock()
			if i%3 == 0 && i > 0 {
				h.Leave("main", churners[i-1])
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	for pos := uint64(1); pos <= events; pos++ {
		pubMu.Lock()
		h.Publish("main", pos, []byte(fmt.Sprint("event ", pos)))
		published = pos
		pubMu.Unlock()
		if pos%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	<-done
	h.Wait()
	for i, s := range stayed {
		checkRun(t, fmt.Sprint("sink ", i), s.positions(), 1, events)
	}
	left := map[*recSink]bool{}
	for i := 3; i < len(churners); i += 3 {
		left[churners[i-1]] = true
	}
	for i, s := range churners {
		got := s.positions()
		if left[s] {
			// It left: what it got is still a run without gaps.
			if len(got) > 0 {
				checkRun(t, fmt.Sprint("churner ", i), got, got[0], got[len(got)-1])
			}
			continue
		}
		// A real subscriber catches up from the view to where it
		// joined; from there on the fan-out brings every event.
		if from := joined[s] + 1; from <= events {
			if len(got) == 0 || got[0] > from {
				t.Fatalf("churner %d joined after %d but its first event is %v", i, joined[s], got[:min(len(got), 1)])
			}
			got = got[from-got[0]:]
			checkRun(t, fmt.Sprint("churner ", i), got, from, events)
		}
	}
}

// A feed's fan-out holds at most MaxFanoutWindow bytes. Past it, Publish
// does not wait (the log follower publishes every feed's events): it drops
// the events nobody has been offered, and the subscriber that lacks them is
// told so (Frames.Missed), to resync from the log. Once every subscriber
// was told, the mark goes and the feed flows again.
func TestFanoutWindowLimit(t *testing.T) {
	h := New()
	gate := make(chan struct{})
	stuck := &recSink{gate: gate}
	h.Join("main", stuck, protocol.User{ID: "u", Name: "n"})
	payload := bytes.Repeat([]byte("x"), 64<<10-20)
	msg := func(pos uint64) []byte { return append([]byte(fmt.Sprint("event ", pos)), payload...) }
	frameLen := len(wsframe.Text(msg(1)))
	const events = 200 // 12.8 MiB: three windows' worth
	h.Publish("main", 1, msg(1))
	fo := h.feeds["main"].shards[0].fan
	// The sweep takes event 1 into the window and blocks in the stuck
	// sink; what comes next piles up to the limit.
	wait.Until(t, 10*time.Second, "the sweep to take the first event", func() bool {
		fo.mu.Lock()
		defer fo.mu.Unlock()
		return fo.win.Len() == 1
	})
	published := make(chan int) // the most bytes the fan-out held after a Publish
	go func() {
		peak := 0
		for pos := uint64(2); pos <= events; pos++ {
			h.Publish("main", pos, msg(pos))
			fo.mu.Lock()
			peak = max(peak, fo.bytes)
			fo.mu.Unlock()
		}
		published <- peak
	}()
	var peak int
	select {
	case peak = <-published:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish waited for the stuck subscriber")
	}
	if peak > MaxFanoutWindow || peak < MaxFanoutWindow-frameLen {
		t.Fatalf("the fan-out held at most %d bytes, want it to fill up to the %d-byte limit and no further", peak, MaxFanoutWindow)
	}
	if h.Overflows() == 0 {
		t.Fatal("no overflow counted")
	}
	close(gate) // the subscriber reads again: it is told it missed events
	h.Wait()
	if !stuck.wasTold() {
		t.Fatal("the subscriber was not told it missed events")
	}
	checkRun(t, "the stuck subscriber", stuck.positions(), 1, 1) // Deliver checked each frame's content

	// A subscriber that came after (it caught up from the view) follows
	// the feed from there: the mark is gone.
	late := &recSink{last: events}
	h.Join("main", late, protocol.User{ID: "v", Name: "n"})
	for pos := uint64(events + 1); pos <= events+10; pos++ {
		h.Publish("main", pos, msg(pos))
	}
	h.Wait()
	if late.wasTold() {
		t.Fatal("a subscriber that joined after the overflow was told it missed events")
	}
	checkRun(t, "the later subscriber", late.positions(), events+1, events+10)
}
