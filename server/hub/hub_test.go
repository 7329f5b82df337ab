package hub

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"livefeed/server/internal/wait"
)

// gatedSink takes nothing until its gate is open: with the gate shut, a
// subscriber whose socket never drains, in the worst form (its methods
// block, which a real sink's never do). It records the events it then
// takes, as recSink does, and counts the presence messages.
type gatedSink struct {
	recSink
	gate          chan struct{}
	blockPresence bool         // DeliverPresence waits for the gate too
	waiting       atomic.Int32 // calls waiting at the gate
	presences     atomic.Int32 // presence messages taken
}

func (s *gatedSink) wait() {
	s.waiting.Add(1)
	<-s.gate
	s.waiting.Add(-1)
}

func (s *gatedSink) Deliver(fs *Frames) {
	s.wait()
	s.recSink.Deliver(fs)
}

func (s *gatedSink) DeliverPresence([]byte) {
	if s.blockPresence {
		s.wait()
	}
	s.presences.Add(1)
}

// TestFeedsDoNotStallEachOther: a feed whose only subscriber takes nothing
// holds up neither the events of another feed, published by the same
// goroutine in between its own (as the log follower does), nor, while only
// its events are stuck, anyone's presence. Its own events wait in its own
// fan-out and all reach it, in order, once it takes them again.
func TestFeedsDoNotStallEachOther(t *testing.T) {
	for _, c := range []struct {
		name          string
		blockPresence bool
	}{
		{"its events stuck", false},
		{"its events and presence stuck", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := New()
			stuck := &gatedSink{gate: make(chan struct{}), blockPresence: c.blockPresence}
			open := make(chan struct{})
			close(open)
			live := &gatedSink{gate: open}
			h.Join("stuck", stuck, ada)
			h.Join("live", live, bob)
			msg := func(pos uint64) []byte { return []byte(fmt.Sprint("event ", pos)) }

			// The stuck feed's sweep blocks in its subscriber.
			h.Publish("stuck", 1, msg(1))
			wait.Until(t, 10*time.Second, "the stuck feed's sweep to reach its subscriber", func() bool { return stuck.waiting.Load() == 1 })
			// Both feeds have presence to announce (their joins).
			announced := make(chan struct{})
			go func() {
				defer close(announced)
				h.announce(time.Now())
			}()
			if c.blockPresence {
				wait.Until(t, 10*time.Second, "the announcement to reach the stuck subscriber", func() bool { return stuck.waiting.Load() == 2 })
			} else {
				wait.Until(t, 10*time.Second, "presence to be announced while the stuck feed's events wait", func() bool {
					select {
					case <-announced:
						return true
					default:
						return false
					}
				})
				if stuck.presences.Load() != 1 || live.presences.Load() != 1 {
					t.Fatalf("presence messages: %d to the stuck subscriber, %d to the other; want 1 each", stuck.presences.Load(), live.presences.Load())
				}
			}

			// One goroutine publishes both feeds' events, interleaved.
			const n = 100
			followed := make(chan struct{})
			go func() {
				defer close(followed)
				for pos := uint64(1); pos <= n; pos++ {
					h.Publish("stuck", 1+pos, msg(1+pos))
					h.Publish("live", pos, msg(pos))
				}
			}()
			wait.Until(t, 10*time.Second, "the other feed's subscriber to get its events", func() bool { return len(live.positions()) == n })
			checkRun(t, "the other feed's subscriber", live.positions(), 1, n)
			wait.Until(t, 10*time.Second, "the publisher to be done", func() bool {
				select {
				case <-followed:
					return true
				default:
					return false
				}
			})

			// The stuck feed, meanwhile: its subscriber has taken nothing
			// and its fan-out holds every event.
			if got := stuck.positions(); len(got) != 0 {
				t.Fatalf("the stuck subscriber took %v", got)
			}
			if w := stuck.waiting.Load(); w < 1 {
				t.Fatalf("%d calls wait in the stuck subscriber", w)
			}
			h.mu.RLock()
			fo := h.feeds["stuck"].shards[0].fan
			h.mu.RUnlock()
			if a := fo.arrived.Load(); a != n+1 {
				t.Fatalf("the stuck feed's fan-out has %d events, want %d", a, n+1)
			}

			// It takes them again: everything reaches it.
			close(stuck.gate)
			h.Wait()
			<-announced
			checkRun(t, "the stuck subscriber", stuck.positions(), 1, n+1)
			if p := stuck.presences.Load(); p != 1 {
				t.Fatalf("the stuck subscriber got %d presence messages, want 1", p)
			}
		})
	}
}

// TestFullWindowDoesNotStallOtherFeeds: a feed whose subscriber takes
// nothing, and whose fan-out window is full (three windows' worth of
// events arrive), holds up neither the goroutine that publishes every
// feed's events nor another feed's delivery. Its own subscriber, once it
// takes events again, is told it missed some, to resync from the log.
func TestFullWindowDoesNotStallOtherFeeds(t *testing.T) {
	h := New()
	stuck := &gatedSink{gate: make(chan struct{})}
	open := make(chan struct{})
	close(open)
	live := &gatedSink{gate: open}
	h.Join("stuck", stuck, ada)
	h.Join("live", live, bob)
	big := bytes.Repeat([]byte("x"), 64<<10)
	const n = 3 * MaxFanoutWindow / (64 << 10) // the stuck feed's events: three windows
	h.Publish("stuck", 1, []byte("event 1"))
	wait.Until(t, 10*time.Second, "the stuck feed's sweep to reach its subscriber", func() bool { return stuck.waiting.Load() == 1 })

	start := time.Now()
	var published atomic.Int64 // when the last Publish returned, since start
	go func() {
		// As the log follower does: one goroutine, the feeds interleaved.
		for i := uint64(1); i <= n; i++ {
			h.Publish("stuck", 2*i, append([]byte(fmt.Sprint("event ", 2*i)), big...))
			h.Publish("live", 2*i+1, []byte(fmt.Sprint("event ", 2*i+1)))
		}
		published.Store(int64(time.Since(start)))
	}()
	wait.For(t, 10*time.Second, wait.Poll, func() error {
		if got := live.positions(); len(got) != n {
			return fmt.Errorf("the other feed's subscriber has %d of %d events (the stuck feed's fan-out holds %d bytes)", len(got), n, h.held("stuck"))
		}
		return nil
	})
	delivered := time.Since(start)
	got := live.positions()
	for i, p := range got {
		if p != uint64(2*i+3) {
			t.Fatalf("the other feed's event %d is at %d, want %d", i, p, 2*i+3)
		}
	}
	if held := h.held("stuck"); held > MaxFanoutWindow {
		t.Fatalf("the stuck feed's fan-out holds %d bytes, over the %d-byte limit", held, MaxFanoutWindow)
	}
	t.Logf("%d events of each feed: the other feed's all delivered after %v (publishing took %v); the stuck feed overflowed %d times",
		n, delivered.Round(time.Microsecond), time.Duration(published.Load()).Round(time.Microsecond), h.Overflows())

	close(stuck.gate)
	h.Wait()
	checkRun(t, "the stuck subscriber", stuck.positions(), 1, 1)
	if !stuck.wasTold() {
		t.Fatal("the stuck subscriber was not told it missed events")
	}
}

// held returns the most bytes of frames one of feed's shards holds (the
// limit, MaxFanoutWindow, is a shard's).
func (h *Hub) held(feed string) int {
	h.mu.RLock()
	shards := h.feeds[feed].shards
	h.mu.RUnlock()
	n := 0
	for _, sh := range shards {
		sh.fan.mu.Lock()
		n = max(n, sh.fan.bytes)
		sh.fan.mu.Unlock()
	}
	return n
}
