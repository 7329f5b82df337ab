package node_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"livefeed/server/internal/testnode"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// startTLS serves tn's handler over TLS on loopback with HTTP/2 (Go's
// http2, as a proxy or a browser would speak it) and returns the server.
func startTLS(t *testing.T, tn *testnode.Node) *httptest.Server {
	srv := httptest.NewUnstartedServer(tn.Handler)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestStreamOverHTTP2: the stream downlink over HTTP/2 is an
// unbuffered text/event-stream: an event posted while it is open arrives
// on it, each flush its own (the event is read before the response
// ends). Each flush has its write deadline there too: a client that stops
// reading is cut, and its response ends (a write blocked by HTTP/2's flow
// control returns at its deadline, whether or not its queue overflowed
// first), so the node holds nothing for it.
func TestStreamOverHTTP2(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) {
		c.SendQueue = 16
		c.WriteTimeout = 500 * time.Millisecond
	})
	srv := startTLS(t, tn)
	tok, u := tn.SignIn(t, "Ada")
	c, s := openStream(t, srv.Client(), srv.URL, tok, "mode=stream&live=main", "")
	if s.resp.ProtoMajor != 2 {
		t.Fatalf("served over %s, want HTTP/2", s.resp.Proto)
	}
	if ct := s.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	if h := s.resp.Header.Get("X-Accel-Buffering"); h != "no" {
		t.Fatalf("X-Accel-Buffering %q", h)
	}
	if h := s.resp.Header.Get("Content-Encoding"); h != "" {
		t.Fatalf("Content-Encoding %q", h)
	}
	testnode.Expect[protocol.Welcome](c)
	testnode.Expect[protocol.Subscribed](c)
	post := func(i int, text string) {
		a := protocol.Action{Op: fmt.Sprintf("h2-%d", i), Feed: "main", Text: text}.WithKind(protocol.TypePost)
		if _, err := tn.Service.Do(context.Background(), u, a); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		post(i, fmt.Sprintf("over h2 %d", i))
		if ev := testnode.Expect[protocol.Event](c); ev.Text != fmt.Sprintf("over h2 %d", i) {
			t.Fatalf("event %+v", ev)
		}
	}

	// This client stops reading; posts go on until the node has cut it
	// and its response is over.
	before := tn.Gateway.Conns()
	text := strings.Repeat("z", protocol.MaxTextChars)
	for i := 3; tn.Gateway.Conns() >= before; i++ {
		if i > 20000 {
			t.Fatalf("%d posts (%d MB) and the client that stopped reading is still served", i, i*len(text)>>20)
		}
		post(i, text)
	}
	// Which comes first depends on the machine: the queue overflowing
	// behind the blocked write (a slow-consumer cut), or the write's
	// deadline; either ends the response.
	if n := tn.Gateway.Stats.SlowConsumers.Load(); n > 1 {
		t.Fatalf("%d slow consumers cut, want at most the one that stopped reading", n)
	}
	t.Logf("the reader that stopped was cut (slow consumers cut: %d)", tn.Gateway.Stats.SlowConsumers.Load())
}
