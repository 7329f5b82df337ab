package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"livefeed/server/eventlog"
	"livefeed/server/internal/testnode"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// TestFramesStayWholeUnderBackpressure has a client that reads in fits and
// starts while large events go to it, and pings the server every few
// milliseconds (coder/websocket answers with pongs, written from the
// connection's reader goroutine): the socket's send buffer fills over and
// over, frames are written in part and their rest by the writer goroutine,
// with control frames in between. The client's WebSocket library must read
// every event whole, in order, once.
func TestFramesStayWholeUnderBackpressure(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) {
		c.Sync = eventlog.SyncPeriodic
		c.SendQueue = 4096
		c.HeartbeatInterval = 10 * time.Second // the client may stop reading for up to 4 s
	})
	tok, u := tn.SignIn(t, "Ada")
	c := dialSmallBuffer(t, tn, tok)
	c.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
	testnode.Expect[protocol.Subscribed](c)

	const n = 1500
	text := func(i int) string {
		// 1 to MaxTextChars characters, varying, tagged with i.
		return fmt.Sprintf("%05d", i) + strings.Repeat("ä", (i*997)%(protocol.MaxTextChars-5))
	}
	errc := make(chan error, 1)
	go func() {
		for i := range n {
			a := protocol.Action{Op: fmt.Sprintf("o%d", i), Feed: "main", Text: text(i)}.WithKind(protocol.TypePost)
			if _, err := tn.Service.Do(context.Background(), u, a); err != nil {
				errc <- err
				return
			}
			if i%37 == 0 {
				// Bursts: the writer empties the queue and exits
				// between them, and direct writes fill the socket again.
				time.Sleep(50 * time.Millisecond)
			}
		}
		errc <- nil
	}()
	pingCtx, stopPings := context.WithCancel(context.Background())
	defer stopPings()
	pongs := 0
	pinged := make(chan struct{})
	go func() {
		defer close(pinged)
		for pingCtx.Err() == nil {
			ctx, cancel := context.WithTimeout(pingCtx, 5*time.Second)
			if c.WS.Ping(ctx) == nil {
				pongs++
			}
			cancel()
			time.Sleep(3 * time.Millisecond)
		}
	}()
	// Read in fits: pause 120 ms after every 100 events.
	var last uint64
	for i := 0; i < n; {
		m, err := c.Read(10 * time.Second)
		if err != nil {
			tn.Gateway.Stats.Closed.Range(func(k, v any) bool { t.Logf("closed %v: %v", k, v); return true })
			t.Fatalf("after %d events: %v (socket full %d times)", i, err, tn.Gateway.Stats.SocketFull.Load())
		}
		e, ok := m.(protocol.Event)
		if !ok {
			continue
		}
		if e.Pos <= last {
			t.Fatalf("event %d at position %d after %d", i, e.Pos, last)
		}
		last = e.Pos
		if e.Text != text(i) {
			t.Fatalf("event %d: text %.20q… (%d bytes), want %.20q… (%d bytes)", i, e.Text, len(e.Text), text(i), len(text(i)))
		}
		i++
		if i == 100 {
			// Stop reading until the server finds the socket full
			// (the poster goes on), however slowly this machine runs.
			for deadline := time.Now().Add(4 * time.Second); tn.Gateway.Stats.SocketFull.Load() == 0 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
		} else if i%100 == 0 {
			time.Sleep(120 * time.Millisecond)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	stopPings()
	<-pinged
	full := tn.Gateway.Stats.SocketFull.Load()
	if full == 0 {
		t.Fatal("the socket never filled up: the test did not exercise the writer")
	}
	if cut := tn.Gateway.Stats.SlowConsumers.Load(); cut != 0 {
		t.Fatalf("%d connections cut as slow consumers", cut)
	}
	if pongs == 0 {
		t.Fatal("no pong came back")
	}
	t.Logf("%d events read whole and in order; the socket was full %d times; %d pongs", n, full, pongs)
}

// dialSmallBuffer connects with a 16 KiB socket receive buffer, so that a
// client that pauses fills the server's send buffer quickly.
func dialSmallBuffer(t *testing.T, tn *testnode.Node, token string) *testnode.Client {
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
		return err
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, tn.WSURL(), &websocket.DialOptions{
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: d.DialContext}},
		Subprotocols: []string{protocol.Subprotocol},
		HTTPHeader:   http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(protocol.MaxClientReadBytes)
	t.Cleanup(func() { ws.CloseNow() })
	return &testnode.Client{T: t, WS: ws}
}

// TestPingsFindSilentClients: the server pings every interval, a frame on
// the send path like any other. A client that answers stays connected
// and keeps getting heartbeats (a ping is not one: a browser app never
// sees pings); one that stops answering is closed as dead within 1.5
// intervals of a ping (the first ping goes out within the first interval).
func TestPingsFindSilentClients(t *testing.T) {
	const interval = 300 * time.Millisecond
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.HeartbeatInterval = interval })
	dead := func() int64 {
		v, ok := tn.Gateway.Stats.Closed.Load(protocol.CloseDead)
		if !ok {
			return 0
		}
		return v.(*atomic.Int64).Load()
	}
	tokA, _ := tn.SignIn(t, "Ada")
	tokB, _ := tn.SignIn(t, "Bob")
	var pingsA, pingsB atomic.Int64
	dial := func(tok string, pings *atomic.Int64, answer bool) *websocket.Conn {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, tn.WSURL(), &websocket.DialOptions{
			Subprotocols: []string{protocol.Subprotocol},
			HTTPHeader:   http.Header{"Authorization": {"Bearer " + tok}},
			OnPingReceived: func(context.Context, []byte) bool {
				pings.Add(1)
				return answer
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.CloseNow() })
		return ws
	}
	a := dial(tokA, &pingsA, true)
	b := dial(tokB, &pingsB, false)
	// Both read (coder/websocket sees control frames only while reading).
	type result struct {
		heartbeats int
		maxGap     time.Duration
		err        error
	}
	read := func(ws *websocket.Conn, d time.Duration) <-chan result {
		ch := make(chan result, 1)
		go func() {
			var r result
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			last := time.Now()
			for {
				_, msg, err := ws.Read(ctx)
				if err != nil {
					r.err = err
					ch <- r
					return
				}
				if m, err := protocol.Decode(msg); err == nil {
					if _, ok := m.(protocol.Heartbeat); ok {
						r.heartbeats++
					}
				}
				r.maxGap = max(r.maxGap, time.Since(last))
				last = time.Now()
			}
		}()
		return ch
	}
	const watch = 10 * interval
	ra, rb := read(a, watch), read(b, watch)
	start := time.Now()
	resB := <-rb
	// A dead peer gets no close handshake: the server drops the socket.
	if errors.Is(resB.err, context.DeadlineExceeded) {
		t.Fatalf("the client that does not answer pings is still connected after %v", watch)
	}
	t.Logf("the silent client was dropped after %v (%v)", time.Since(start).Round(time.Millisecond), resB.err)
	resA := <-ra
	if !errors.Is(resA.err, context.DeadlineExceeded) {
		t.Fatalf("the client that answers pings was cut: %v", resA.err)
	}
	if pingsA.Load() < 5 || pingsB.Load() < 1 {
		t.Fatalf("pings: %d to the live client in %v, %d to the silent one", pingsA.Load(), watch, pingsB.Load())
	}
	// A heartbeat at least every interval (plus the keepalive tick and
	// some scheduling slack), pings or not.
	if resA.heartbeats < 8 || resA.maxGap > interval*3/2 {
		t.Fatalf("the live client got %d heartbeats in %v, longest silence %v", resA.heartbeats, watch, resA.maxGap)
	}
	if n := dead(); n != 1 {
		t.Fatalf("%d connections closed as dead, want 1", n)
	}
}

// TestNoHelloIsClosed: a connection that never sends hello gets
// hello_required and is closed with CloseProtocolError once HelloTimeout
// has passed (before, it stayed open for ever); one that sends hello within
// the time stays.
func TestNoHelloIsClosed(t *testing.T) {
	const timeout = 300 * time.Millisecond
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.HelloTimeout = timeout })
	tok, _ := tn.SignIn(t, "Ada")
	silent := testnode.Dial(t, tn, tok)
	polite := testnode.Dial(t, tn, tok)
	polite.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
	testnode.Expect[protocol.Subscribed](polite)
	start := time.Now()
	m, err := silent.Read(5 * time.Second)
	if err != nil {
		t.Fatalf("no error message before the close: %v", err)
	}
	if e, ok := m.(*protocol.Error); !ok || e.Code != protocol.CodeHelloRequired {
		t.Fatalf("got %#v, want a hello_required error", m)
	}
	_, err = silent.Read(5 * time.Second)
	if websocket.CloseStatus(err) != protocol.CloseProtocolError {
		t.Fatalf("close: %v, want %d", err, protocol.CloseProtocolError)
	}
	// The keepalive tick is a second with the default heartbeat.
	if took := time.Since(start); took > timeout+2*time.Second {
		t.Fatalf("closed after %s", took)
	}
	polite.Send(protocol.Heartbeat{Probe: true})
	if _, err := polite.Read(2 * time.Second); err != nil {
		t.Fatalf("the connection that sent hello was closed too: %v", err)
	}
}

// TestWelcomeCarriesAppVersion: welcome names the web app version the
// server serves (open tabs of another version look for the new one), and
// says nothing when the server has none.
func TestWelcomeCarriesAppVersion(t *testing.T) {
	for _, app := range []string{"3f2a9c1d04be", ""} {
		tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.AppVersion = app })
		tok, u := tn.SignIn(t, "Ada")
		w := testnode.Dial(t, tn, tok).Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
		if w.AppVersion != app || w.User != u || w.Version != protocol.Version {
			t.Errorf("node with app version %q: welcome %+v", app, w)
		}
	}
}
