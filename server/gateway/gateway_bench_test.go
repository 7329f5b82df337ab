package gateway_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"livefeed/server/auth"
	"livefeed/server/eventlog"
	"livefeed/server/feed"
	"livefeed/server/gateway"
	"livefeed/server/hub"
	"livefeed/server/internal/testauth"
	"livefeed/shared/protocol"
)

// benchServer is a gateway over an in-memory log, served on loopback.
type benchServer struct {
	hub  *hub.Hub
	srv  *httptest.Server
	auth *auth.Sessions
}

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := hub.New()
	svc, err := feed.Open(ctx, eventlog.NewMemory(), h, feed.Config{Logger: lg})
	if err != nil {
		b.Fatal(err)
	}
	go svc.Run(ctx)
	sessions, _ := testauth.Sessions(b)
	// The raw clients answer no pings: with the default interval a slow
	// run (a loaded machine, 1,000 dials) had its connections closed as
	// dead and waited for their events for ever. Nor do heartbeats
	// (text frames) come in among the events.
	g := gateway.New(gateway.Config{Service: svc, Hub: h, Auth: sessions, Logger: lg, HeartbeatInterval: time.Hour})
	srv := httptest.NewUnstartedServer(g)
	srv.Start()
	b.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		g.Shutdown(sctx)
		srv.CloseClientConnections()
		srv.Close()
	})
	return &benchServer{hub: h, srv: srv, auth: sessions}
}

// dial opens a raw WebSocket (no library, so the client side costs little)
// for a user of its own (a user may have gateway.MaxConnsPerUser
// connections), says hello with a live subscription to feed and reads
// until subscribed and the presence that follows it.
func (s *benchServer) dial(b *testing.B, feed string) (net.Conn, *bufio.Reader) {
	b.Helper()
	_, token, err := s.auth.Guest(context.Background(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	addr := strings.TrimPrefix(s.srv.URL, "http://")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	fmt.Fprintf(nc, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\nAuthorization: Bearer %s\r\n\r\n", addr, key, protocol.Subprotocol, token)
	br := bufio.NewReaderSize(nc, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		b.Fatalf("upgrade: %v %v", resp, err)
	}
	writeMasked(nc, []byte(`{"type":"hello","data":{"subs":[{"feed":"`+feed+`","mode":"live"}]}}`))
	subscribed := false
	for {
		msg := string(readFrame(b, br))
		switch {
		case strings.Contains(msg, `"type":"subscribed"`):
			subscribed = true
		case subscribed && strings.Contains(msg, `"type":"presence"`):
			return nc, br
		case strings.Contains(msg, `"type":"error"`):
			b.Fatalf("dial: %s", msg)
		}
	}
}

func writeMasked(w io.Writer, p []byte) {
	hdr := []byte{0x81, 0x80 | byte(len(p)), 0, 0, 0, 0} // zero mask
	w.Write(append(hdr, p...))
}

func readFrame(b *testing.B, br *bufio.Reader) []byte {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		b.Fatal(err)
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		io.ReadFull(br, e[:])
		n = int(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		io.ReadFull(br, e[:])
		n = int(binary.BigEndian.Uint64(e[:]))
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkFanout measures the gateway's write path end to end: one op is
// one event (encoded once) published to the hub and written to every
// subscriber's socket; it ends when every client has read it. Clients and
// server share the process (and its cores), so ns/delivery is an upper bound
// of the server's cost; compare runs, not absolute figures.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{100, 1000} {
		for _, size := range []int{100, 1000} {
			b.Run(fmt.Sprintf("subs=%d/text=%dB", n, size), func(b *testing.B) {
				s := newBenchServer(b)
				var got, gone atomic.Int64
				for range n {
					nc, br := s.dial(b, "main")
					defer nc.Close()
					go func() {
						var h [2]byte
						for {
							if _, err := io.ReadFull(br, h[:]); err != nil {
								gone.Add(1)
								return
							}
							l := int(h[1] & 0x7f)
							if l == 126 {
								var e [2]byte
								io.ReadFull(br, e[:])
								l = int(binary.BigEndian.Uint16(e[:]))
							}
							br.Discard(l)
							if h[0]&0x0f == 1 {
								got.Add(1)
							}
						}
					}()
				}
				ev := protocol.Event{Feed: "main", Kind: protocol.KindPost, Author: protocol.User{ID: "u1", Name: "Ada"}, Text: strings.Repeat("x", size)}
				got.Store(0)
				b.ReportAllocs()
				pos := uint64(0)
				for b.Loop() {
					pos++
					ev.Pos, ev.Prev, ev.ID = pos, pos-1, fmt.Sprint("p", pos)
					s.hub.Publish("main", pos, protocol.MustEncode(ev))
					for got.Load() < int64(pos)*int64(n) {
						if gone.Load() > 0 {
							b.Fatalf("%d clients disconnected", gone.Load())
						}
						runtime.Gosched()
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
			})
		}
	}
}

// BenchmarkIdleConn reports the memory an idle subscribed connection costs
// the process (server side plus a raw client socket of a few hundred
// bytes): heap and goroutine stacks after a GC, per connection.
func BenchmarkIdleConn(b *testing.B) {
	const n = 2000
	for b.Loop() {
		s := newBenchServer(b)
		runtime.GC()
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		g0 := runtime.NumGoroutine()
		conns := make([]net.Conn, 0, n)
		for range n {
			nc, _ := s.dial(b, "main")
			conns = append(conns, nc)
		}
		time.Sleep(time.Second)
		runtime.GC()
		var m1 runtime.MemStats
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/n, "heap-B/conn")
		b.ReportMetric(float64(m1.StackInuse-m0.StackInuse)/n, "stack-B/conn")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/conn")
		for _, c := range conns {
			c.Close()
		}
	}
}
