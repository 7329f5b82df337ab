package protocol

import (
	"fmt"
	"strings"
	"testing"
)

// Benchmarks of the codec on the hot path: the server encodes each event once
// (for all subscribers) and decodes every client message; clients decode
// every event.

func benchEvent(textBytes int) Event {
	return Event{
		Feed: "main", Pos: 123456, Prev: 123455, Time: 1795695424300, Kind: KindPost,
		Op:     "h3X-CsI9x4MD9hRNU-jqsQ",
		Author: User{ID: "uX3k9QmZ2p1Lw", Name: "Ada Lovelace"},
		ID:     "p123456", Text: strings.Repeat("x", textBytes),
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	for _, n := range []int{100, 1000} {
		ev := benchEvent(n)
		b.Run(fmt.Sprintf("text=%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				size = len(MustEncode(ev))
			}
			b.SetBytes(int64(size))
		})
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	for _, n := range []int{100, 1000} {
		msg := MustEncode(benchEvent(n))
		b.Run(fmt.Sprintf("text=%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := Decode(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeAction(b *testing.B) {
	for _, n := range []int{100, 1000} {
		msg := MustEncode(Action{Op: "h3X-CsI9x4MD9hRNU-jqsQ", Feed: "main", Text: strings.Repeat("y", n)}.WithKind(TypePost))
		b.Run(fmt.Sprintf("post=%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := Decode(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeHeartbeat(b *testing.B) {
	msg := MustEncode(Heartbeat{Time: 1795695424258})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodePresence is the encoding of one presence announcement in a
// feed of n users (once per change, for all of its subscribers, who each
// receive and decode it). list=all is the first protocol version's message,
// every user; list=bounded is the current one, the count and the first
// MaxPresenceList users.
func BenchmarkEncodePresence(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		var all []User
		for i := range n {
			all = append(all, User{ID: fmt.Sprintf("u%012d", i), Name: fmt.Sprintf("User number %d", i)})
		}
		for _, c := range []struct {
			list string
			p    Presence
		}{
			{"all", Presence{Feed: "main", Online: all}},
			{"bounded", Presence{Feed: "main", Online: all[:min(n, MaxPresenceList)], Count: n}},
		} {
			b.Run(fmt.Sprintf("users=%d/list=%s", n, c.list), func(b *testing.B) {
				b.ReportAllocs()
				var size int
				for b.Loop() {
					size = len(MustEncode(c.p))
				}
				b.SetBytes(int64(size))
				b.ReportMetric(float64(size), "B/msg")
			})
		}
	}
}
