package hub

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

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

func (s *queueSink) Deliver(pos uint64, msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos != 0 {
		if pos <= s.last {
			return
		}
		s.last = pos
	}
	select {
	case s.queue <- msg:
	default:
		s.drops.Add(1)
	}
}

type countSink struct{ n atomic.Int64 }

func (s *countSink) Deliver(uint64, []byte) { s.n.Add(1) }

// BenchmarkPublish is the hub's share of a fan-out: one op is one event
// offered to every subscriber of a feed. ns/delivery is the cost per
// subscriber.
func BenchmarkPublish(b *testing.B) {
	msg := []byte(`{"type":"event","data":{"feed":"main","pos":1,"prev":0,"text":"hello"}}`)
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("sink=count/subs=%d", n), func(b *testing.B) {
			h := New()
			for i := range n {
				h.Join("main", &countSink{}, protocol.User{ID: fmt.Sprint("u", i%100), Name: "n"})
			}
			b.ReportAllocs()
			pos := uint64(0)
			for b.Loop() {
				pos++
				h.Publish("main", pos, msg)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
		})
		b.Run(fmt.Sprintf("sink=queue/subs=%d", n), func(b *testing.B) {
			h := New()
			sinks := make([]*queueSink, n)
			for i := range sinks {
				sinks[i] = &queueSink{queue: make(chan []byte, 256)}
				h.Join("main", sinks[i], protocol.User{ID: fmt.Sprint("u", i%100), Name: "n"})
			}
			b.ReportAllocs()
			pos := uint64(0)
			for b.Loop() {
				pos++
				h.Publish("main", pos, msg)
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
}
