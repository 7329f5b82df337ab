package hub

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// queueSink is a Sink shaped like the gateway's subscription: a mutex, a
// position check and a non-blocking send into a bounded queue that nobody
// drains (a full queue drops, as a cut-off would).
type queueSink struct {
	mu    sync.Mutex
	last  uint64
	queue chan []byte
	drops atomic.Int64
}

func (s *queueSink) Deliver(fs *Frames) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := fs.Take(&s.last)
	if i == fs.Len() {
		return
	}
	select {
	case s.queue <- fs.From(i):
	default:
		s.drops.Add(1)
	}
}

func (s *queueSink) DeliverPresence([]byte) {}

// countSink counts the events it is offered and the runs they came in.
type countSink struct {
	mu           sync.Mutex
	last         uint64
	events, runs int64
}

func (s *countSink) Deliver(fs *Frames) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := fs.Take(&s.last)
	if i == fs.Len() {
		return
	}
	s.events += int64(fs.Len() - i)
	s.runs++
}

func (s *countSink) DeliverPresence([]byte) {}

// joinN subscribes n new sinks to feed "main", as 100 users.
func joinN[S Sink](h *Hub, n int, mk func() S) []S {
	sinks := make([]S, n)
	for i := range sinks {
		sinks[i] = mk()
		h.Join("main", sinks[i], protocol.User{ID: fmt.Sprint("u", i%100), Name: "n"})
	}
	return sinks
}

// BenchmarkPublish is the hub's share of a fan-out. In "one-by-one" an op
// is one event offered to every subscriber of a feed before the next is
// published; in "burst" events are published back to back and the fan-out
// writes those that piled up during a pass together (events/run says how
// many per write). ns/delivery is the cost per subscriber and event.
func BenchmarkPublish(b *testing.B) {
	msg := []byte(`{"type":"event","data":{"feed":"main","pos":1,"prev":0,"text":"hello"}}`)
	for _, n := range []int{1000, 10000} {
		for _, burst := range []bool{false, true} {
			mode := "one-by-one"
			if burst {
				mode = "burst"
			}
			b.Run(fmt.Sprintf("sink=count/subs=%d/%s", n, mode), func(b *testing.B) {
				h := New()
				sinks := joinN(h, n, func() *countSink { return &countSink{} })
				b.ReportAllocs()
				pos := uint64(0)
				for b.Loop() {
					pos++
					h.Publish("main", pos, msg)
					if !burst {
						h.Wait()
					}
					// A loop publishes far faster than the log follower
					// can (an append is fsynced): hold back while the
					// next event would not fit in the window, as Publish
					// itself once did, so that the run measures the
					// sweep rather than the drops.
					for burst && h.held("main")+len(msg)+wsframe.MaxHeader > MaxFanoutWindow {
						runtime.Gosched()
					}
				}
				h.Wait()
				if o := h.Overflows(); o != 0 {
					b.Fatalf("the fan-out overflowed %d times", o)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
				var events, runs int64
				for _, s := range sinks {
					events += s.events
					runs += s.runs
				}
				if events != int64(b.N)*int64(n) {
					b.Fatalf("%d deliveries, want %d", events, b.N*n)
				}
				b.ReportMetric(float64(events)/float64(runs), "events/run")
			})
		}
		b.Run(fmt.Sprintf("sink=queue/subs=%d", n), func(b *testing.B) {
			h := New()
			sinks := joinN(h, n, func() *queueSink { return &queueSink{queue: make(chan []byte, 256)} })
			b.ReportAllocs()
			pos := uint64(0)
			for b.Loop() {
				pos++
				h.Publish("main", pos, msg)
				h.Wait()
				if pos%200 == 0 {
					b.StopTimer()
					for _, s := range sinks {
						for len(s.queue) > 0 {
							<-s.queue
						}
					}
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
		})
	}
}

// BenchmarkPublishManyFeeds publishes to one of many small feeds: the cost
// is the lookup, not the fan-out.
func BenchmarkPublishManyFeeds(b *testing.B) {
	const feeds = 5000
	h := New()
	names := make([]string, feeds)
	for i := range names {
		names[i] = fmt.Sprint("feed", i)
		h.Join(names[i], &countSink{}, protocol.User{ID: fmt.Sprint("u", i), Name: "n"})
	}
	msg := []byte(`{}`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		h.Publish(names[i%feeds], uint64(i), msg)
	}
	h.Wait()
}
