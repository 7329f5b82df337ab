package node

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"livefeed/shared/protocol"
)

// testNode is a node served by an httptest server.
type testNode struct {
	*Node
	srv *httptest.Server
	dir string
}

func startNode(t *testing.T, dir string, mod func(*Config)) *testNode {
	t.Helper()
	cfg := Config{DataDir: dir, SyncAlways: true, Name: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	tn := &testNode{Node: n, srv: httptest.NewServer(n.Handler), dir: dir}
	t.Cleanup(tn.stop)
	return tn
}

func (tn *testNode) stop() {
	if tn.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tn.Node.Shutdown(ctx)
	tn.srv.CloseClientConnections()
	tn.srv.Close()
	tn.srv = nil
}

// signIn returns a bearer token and user for name.
func (tn *testNode) signIn(t *testing.T, name string) (string, protocol.User) {
	t.Helper()
	resp, err := http.Post(tn.srv.URL+"/api/session", "application/json", strings.NewReader(`{"name":`+quote(name)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string
		User  protocol.User
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		t.Fatalf("sign in %q: HTTP %d %v", name, resp.StatusCode, err)
	}
	return out.Token, out.User
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func (tn *testNode) wsURL() string { return "ws" + strings.TrimPrefix(tn.srv.URL, "http") + "/ws" }

// client is a raw protocol client for tests.
type client struct {
	t  *testing.T
	ws *websocket.Conn
}

func dial(t *testing.T, tn *testNode, token string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, tn.wsURL(), &websocket.DialOptions{
		Subprotocols: []string{protocol.Subprotocol},
		HTTPHeader:   http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(protocol.MaxClientReadBytes)
	c := &client{t: t, ws: ws}
	t.Cleanup(func() { ws.CloseNow() })
	return c
}

func (c *client) send(m protocol.Message) {
	c.t.Helper()
	c.sendRaw(protocol.MustEncode(m))
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next returns the next message that is not a heartbeat or presence.
func (c *client) next() protocol.Message {
	c.t.Helper()
	for {
		m, err := c.read(10 * time.Second)
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		switch m.(type) {
		case protocol.Heartbeat, protocol.Presence:
			continue
		}
		return m
	}
}

func (c *client) read(timeout time.Duration) (protocol.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		return nil, err
	}
	m, err := protocol.Decode(b)
	if err != nil {
		c.t.Fatalf("server sent an undecodable message %s: %v", b, err)
	}
	return m, nil
}

// expect reads the next message and checks its type.
func expect[T protocol.Message](c *client) T {
	c.t.Helper()
	m := c.next()
	v, ok := m.(T)
	if !ok {
		var zero T
		c.t.Fatalf("got %T %+v, want %T", m, m, zero)
	}
	return v
}

func (c *client) hello(subs ...protocol.Sub) protocol.Welcome {
	c.t.Helper()
	c.send(protocol.Hello{Client: "test", Subs: subs})
	return expect[protocol.Welcome](c)
}

// act sends an action and waits for its ack or error.
func (c *client) act(kind string, a protocol.Action) (protocol.Ack, *protocol.Error) {
	c.t.Helper()
	c.send(a.WithKind(kind))
	for {
		switch m := c.next().(type) {
		case protocol.Ack:
			if m.Op == a.Op {
				return m, nil
			}
		case *protocol.Error:
			return protocol.Ack{}, m
		}
	}
}

// snapshotJSON returns the feed's state as the HTTP API shows it.
func (tn *testNode) snapshotJSON(t *testing.T, feed string) []byte {
	t.Helper()
	resp, err := http.Get(tn.srv.URL + "/api/feeds/" + feed)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return bytes.TrimSpace(b)
}
