//go:build linux

package gateway

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"livefeed/server/hub"
	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// Sizes of BenchmarkShardedFanout.
const (
	benchSubs   = 8 * hub.ShardSize // 8 shards; 16,384 sockets, under the 20,000 open files a process may have here
	benchEvents = 20                // per round: the 64 KiB send buffers hold them without a reader
	benchRounds = 4                 // rounds of each GOMAXPROCS, alternating
)

// benchPair is a subscriber over a loopback TCP connection: the server end
// is a connection's socket as the gateway has it after an upgrade, written
// by its subscription (Deliver, trySend, writeDirect, send(2)); the client
// end is read only between timed stretches.
type benchPair struct {
	client syscall.RawConn
	sub    *subscription
}

// BenchmarkShardedFanout measures a big feed's fan-out on 1 and 2 cores in
// one run: benchSubs subscriptions of the gateway's own, each writing to a
// TCP socket of its own, fed by the hub. Each round publishes benchEvents
// events and waits until every subscriber has taken them, once at
// GOMAXPROCS 1 and once at 2, alternating (1, 2, 2, 1, ...), so that
// whatever else the machine does falls on both alike; the client ends are
// drained between timed stretches, so the clients cost nothing here. In
// "one-by-one" each event reaches every subscriber before the next is
// published (one send per delivery, as at the harness's rates); in
// "burst" the events are published back to back (the fan-out's saturation:
// events that pile up during a pass go out with one send). "floor" is
// nothing but one send(2) of the same frame to each socket, per event.
//
// It reports, per setting, deliveries per second of wall time, CPU
// (user + system, of the whole process) per delivery, the cores it used
// (CPU over wall time: on a machine shared with other work, what it was
// given), and the ratios: the throughput at 2 against 1 (speedup), the CPU
// per delivery at 2 against 1 (cpu-growth), and the CPU per delivery
// against the floor's at the same setting. The floor's own speedup and
// cpu-growth are what the machine and its kernel allow. Run it with
//
//	go test -run XXX -bench ShardedFanout -benchtime 1x ./server/gateway/
func BenchmarkShardedFanout(b *testing.B) {
	for b.Loop() {
		pairs, h, g := benchPairs(b, benchSubs)
		ev := protocol.Event{Feed: "main", Kind: protocol.KindPost, Author: protocol.User{ID: "u1", Name: "Ada"}, Text: strings.Repeat("x", 100)}
		var (
			pos  uint64
			want int64 // bytes each client is to read
		)
		msg := func() []byte {
			pos++
			ev.Pos, ev.Prev, ev.ID = pos, pos-1, fmt.Sprint("p", pos)
			m := protocol.MustEncode(ev)
			want += int64(len(wsframe.Text(m)))
			return m
		}
		frame := wsframe.Text(msg()) // the floor's
		pos, want = 0, 0

		modes := []struct {
			name string
			run  func(procs int)
		}{
			{"one-by-one", func(int) {
				for range benchEvents {
					h.Publish("main", pos+1, msg())
					h.Wait()
				}
			}},
			{"burst", func(int) {
				for range benchEvents {
					h.Publish("main", pos+1, msg())
				}
				h.Wait()
			}},
			{"floor", func(procs int) {
				floorSends(pairs, frame, procs)
				want += int64(benchEvents * len(frame))
			}},
		}
		type total struct{ wall, cpu time.Duration }
		res := map[string]map[int]*total{}
		for _, m := range modes {
			res[m.name] = map[int]*total{1: {}, 2: {}}
		}
		var read int64
		before := runtime.GOMAXPROCS(0)
		for r := range 2 * benchRounds {
			procs := []int{1, 2, 2, 1}[r%4]
			runtime.GOMAXPROCS(procs)
			for _, m := range modes {
				runtime.GC()
				c0, t0 := cpuTime(), time.Now()
				m.run(procs)
				t := res[m.name][procs]
				t.wall += time.Since(t0)
				t.cpu += cpuTime() - c0
				read += drain(b, pairs)
			}
		}
		runtime.GOMAXPROCS(before)
		if read != want*int64(len(pairs)) {
			b.Fatalf("the clients read %d bytes, want %d", read, want*int64(len(pairs)))
		}
		if n := g.Stats.SlowConsumers.Load(); n > 0 {
			b.Fatalf("%d slow-consumer cuts", n)
		}
		deliveries := float64(benchRounds * benchEvents * len(pairs))
		for _, m := range modes {
			t1, t2 := res[m.name][1], res[m.name][2]
			rate := func(t *total) float64 { return deliveries / t.wall.Seconds() }
			cpu := func(t *total) float64 { return float64(t.cpu.Nanoseconds()) / deliveries }
			b.ReportMetric(rate(t1), m.name+"-deliveries/s@1")
			b.ReportMetric(rate(t2), m.name+"-deliveries/s@2")
			b.ReportMetric(rate(t2)/rate(t1), m.name+"-speedup")
			b.ReportMetric(cpu(t1), m.name+"-cpu-ns/delivery@1")
			b.ReportMetric(cpu(t2), m.name+"-cpu-ns/delivery@2")
			b.ReportMetric(cpu(t2)/cpu(t1), m.name+"-cpu-growth")
			b.ReportMetric(t1.cpu.Seconds()/t1.wall.Seconds(), m.name+"-cores@1")
			b.ReportMetric(t2.cpu.Seconds()/t2.wall.Seconds(), m.name+"-cores@2")
			if m.name != "floor" {
				f1, f2 := res["floor"][1], res["floor"][2]
				b.ReportMetric(cpu(t1)/cpu(f1), m.name+"-vs-floor@1")
				b.ReportMetric(cpu(t2)/cpu(f2), m.name+"-vs-floor@2")
			}
		}
		b.ReportMetric(float64(g.Stats.SocketFull.Load()), "socket-full")
	}
}

// benchPairs makes n loopback TCP connections, each with a live
// subscription of its server end to feed "main" of a new hub.
func benchPairs(b *testing.B, n int) ([]benchPair, *hub.Hub, *Gateway) {
	b.Helper()
	h := hub.New()
	g := New(Config{Hub: h})
	pairs := make([]benchPair, n)
	b.Cleanup(func() {
		for _, p := range pairs {
			if p.sub != nil {
				h.Leave("main", p.sub)
				p.sub.leave()
				p.sub.c.stopWatchCtx()
			}
		}
	})
	for i, tp := range tcpPairs(b, n) {
		raw, err := tp[0].(*net.TCPConn).SyscallConn()
		if err != nil {
			b.Fatal(err)
		}
		u := protocol.User{ID: fmt.Sprint("u", i%100), Name: "n"}
		c := newConn(g, nil, newSock(tp[1]), u, "", "127.0.0.1")
		ctx, cancel := context.WithCancel(c.ctx)
		s := &subscription{c: c, feed: "main", ctx: ctx, cancel: cancel}
		h.Join("main", s, u)
		pairs[i] = benchPair{client: raw, sub: s}
	}
	return pairs, h, g
}

// floorSends sends frame once to each pair's server socket with a bare
// send(2), as sendfloor does, from procs goroutines (a part of the
// sockets each).
func floorSends(pairs []benchPair, frame []byte, procs int) {
	for range benchEvents {
		var wg sync.WaitGroup
		for k := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := k; i < len(pairs); i += procs {
					pairs[i].sub.c.sock.raw.Write(func(fd uintptr) bool { send(fd, frame); return true })
				}
			}()
		}
		wg.Wait()
	}
}

// drain reads what waits at every client end and returns its bytes.
func drain(b *testing.B, pairs []benchPair) int64 {
	var n int64
	buf := make([]byte, 256<<10)
	for _, p := range pairs {
		p.client.Read(func(fd uintptr) bool {
			for {
				m, err := syscall.Read(int(fd), buf)
				if m <= 0 || err != nil {
					return true
				}
				n += int64(m)
			}
		})
	}
	return n
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
