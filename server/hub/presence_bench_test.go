package hub

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"livefeed/shared/protocol"
)

// bytesSink counts the presence bytes it is offered.
type bytesSink struct{ n, bytes int64 }

func (s *bytesSink) Deliver(*Frames) {}

func (s *bytesSink) DeliverPresence(frame []byte) { s.n++; s.bytes += int64(len(frame)) }

// BenchmarkPresenceChange is one change of who is online in a feed of n
// users, each with one subscription: a user leaves and comes back, and the
// hub announces the change to every subscriber (one op = leave, join and
// announcement). B/msg is the size of the message every subscriber gets.
func BenchmarkPresenceChange(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			h := New()
			sinks := make([]*bytesSink, n)
			for i := range n {
				sinks[i] = &bytesSink{}
				h.Join("main", sinks[i], protocol.User{ID: fmt.Sprintf("u%012d", i), Name: fmt.Sprintf("User number %d", i)})
			}
			now := time.Now()
			h.announce(now)
			s0 := sinks[0]
			u := protocol.User{ID: fmt.Sprintf("u%012d", n/2), Name: fmt.Sprintf("User number %d", n/2)}
			b.ReportAllocs()
			n0, bytes0 := s0.n, s0.bytes
			for b.Loop() {
				// Time moves on, so that a change of the count
				// alone is announced too.
				now = now.Add(PresenceCountInterval)
				h.Leave("main", sinks[n/2])
				h.Join("main", sinks[n/2], u)
				h.announce(now) // the same set: announced only when count or list differ
				now = now.Add(PresenceCountInterval)
				h.Leave("main", sinks[n/2])
				h.announce(now)
				now = now.Add(PresenceCountInterval)
				h.Join("main", sinks[n/2], u)
				h.announce(now)
			}
			if s0.n > n0 {
				b.ReportMetric(float64(s0.bytes-bytes0)/float64(s0.n-n0), "B/msg")
			}
		})
	}
}

// BenchmarkSubscribePresence is what a new subscriber costs the hub's
// presence in a feed of n users: the join and the presence message the
// gateway encodes for it after catch-up.
func BenchmarkSubscribePresence(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			h := New()
			for i := range n {
				h.Join("main", &bytesSink{}, protocol.User{ID: fmt.Sprintf("u%012d", i), Name: fmt.Sprintf("User number %d", i)})
			}
			s := &bytesSink{}
			u := protocol.User{ID: "u-new", Name: "New user"}
			b.ReportAllocs()
			var size int
			for b.Loop() {
				h.Join("main", s, u)
				size = len(protocol.MustEncode(h.Presence("main")))
				h.Leave("main", s)
			}
			b.ReportMetric(float64(size), "B/msg")
		})
	}
}

// BenchmarkClusterReceive is what another node's announcement of n users
// costs a node: changed, a user came or went (decode and diff); repeated,
// the node's heartbeat with nothing new (hash only).
func BenchmarkClusterReceive(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		us := make([]protocol.User, n+1)
		for i := range us {
			us[i] = protocol.User{ID: fmt.Sprintf("u%012d", i), Name: fmt.Sprintf("User number %d", i)}
		}
		msg := func(users []protocol.User) *nats.Msg {
			data, _ := json.Marshal(beat{Node: "other", Online: users, TTLMS: 3000})
			return &nats.Msg{Subject: PresenceSubject + ".main", Data: data}
		}
		ms := []*nats.Msg{msg(us[:n]), msg(us[1:])}
		for _, c := range []struct {
			name string
			next func(i int) *nats.Msg
		}{
			{"changed", func(i int) *nats.Msg { return ms[i%2] }},
			{"repeated", func(int) *nats.Msg { return ms[0] }},
		} {
			b.Run(fmt.Sprintf("users=%d/%s", n, c.name), func(b *testing.B) {
				h := NewCluster(ClusterConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				h.Join("main", &bytesSink{}, protocol.User{ID: "local", Name: "Local"})
				now := time.Now()
				h.cl.receive(c.next(1), now)
				b.ReportAllocs()
				b.SetBytes(int64(len(ms[0].Data)))
				i := 0
				for b.Loop() {
					h.cl.receive(c.next(i), now)
					i++
				}
				if p := h.Presence("main"); p.Count != n+1 {
					b.Fatalf("count %d, want %d", p.Count, n+1)
				}
			})
		}
	}
}
