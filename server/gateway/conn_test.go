package gateway_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
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
