// Package testnode starts Livefeed nodes inside tests and talks the protocol
// to them with a raw WebSocket client.
package testnode

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

	"livefeed/app/session"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// Node is a node served by an httptest server.
type Node struct {
	*node.Node
	Srv *httptest.Server
	Dir string
}

// Start starts a node on data directory dir (default sync: group commit; quiet logs); mod
// may change the configuration. The node stops when the test ends.
func Start(t testing.TB, dir string, mod func(*node.Config)) *Node {
	t.Helper()
	cfg := node.Config{DataDir: dir, Name: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := node.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	srv := httptest.NewUnstartedServer(n.Handler)
	srv.Start()
	tn := &Node{Node: n, Srv: srv, Dir: dir}
	t.Cleanup(tn.Stop)
	return tn
}

// Stop shuts the node down gracefully (idempotent).
func (tn *Node) Stop() {
	if tn.Srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tn.Node.Shutdown(ctx)
	tn.Srv.CloseClientConnections()
	tn.Srv.Close()
	tn.Srv = nil
}

// SignIn returns a bearer token and user for name.
func (tn *Node) SignIn(t testing.TB, name string) (string, protocol.User) {
	t.Helper()
	return SignIn(t, tn.Srv.URL, name)
}

// SignIn signs in at the server with base URL serverURL.
func SignIn(t testing.TB, serverURL, name string) (string, protocol.User) {
	t.Helper()
	resp, b := Request(t, "POST", serverURL+"/api/session", "", `{"name":`+quote(name)+`}`, "Content-Type", "application/json")
	var out struct {
		Token string
		User  protocol.User
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
		t.Fatalf("sign in %q: HTTP %d %v", name, resp.StatusCode, err)
	}
	return out.Token, out.User
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// WSURL returns the node's WebSocket URL.
func (tn *Node) WSURL() string { return "ws" + strings.TrimPrefix(tn.Srv.URL, "http") + "/ws" }

// Client is a raw protocol client for tests, over a WebSocket or the HTTP
// transport (the session's, session.Dial).
type Client struct {
	T  testing.TB
	WS *websocket.Conn // the WebSocket (nil over HTTP)
	// Wire carries the messages: WS, or the HTTP transport.
	Wire session.Conn
}

// Transports are the transports a suite runs over.
var Transports = []string{session.TransportWebSocket, session.TransportStream, session.TransportPoll}

// DialTransport opens a connection to the node over transport name (see
// Transports) with a bearer token.
func DialTransport(t testing.TB, tn *Node, token, name string) *Client {
	t.Helper()
	if name == session.TransportWebSocket {
		return Dial(t, tn, token)
	}
	return DialHTTP(t, tn.Srv.URL, token, name)
}

// DialHTTP opens a connection over the HTTP transport in mode
// (session.TransportStream or TransportPoll) to the server at base URL
// serverURL.
func DialHTTP(t testing.TB, serverURL, token, mode string) *Client {
	t.Helper()
	w, err := session.Dial(context.Background(), session.Config{URL: serverURL, Token: token, Client: "test"}, mode)
	if err != nil {
		t.Fatalf("dial %s: %v", mode, err)
	}
	t.Cleanup(func() { w.Close(protocol.CloseNormal, "test over") })
	return &Client{T: t, Wire: w}
}

// Dial opens a WebSocket to the node with a bearer token.
func Dial(t testing.TB, tn *Node, token string) *Client {
	t.Helper()
	return DialURL(t, tn.WSURL(), token)
}

// DialURL opens a WebSocket to url with a bearer token.
func DialURL(t testing.TB, url, token string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		Subprotocols: []string{protocol.Subprotocol},
		HTTPHeader:   http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(protocol.MaxClientReadBytes)
	c := &Client{T: t, WS: ws, Wire: wsWire{ws}}
	t.Cleanup(func() { ws.CloseNow() })
	return c
}

// wsWire is a WebSocket as a session.Conn.
type wsWire struct{ ws *websocket.Conn }

func (w wsWire) Read(ctx context.Context) ([]byte, error) {
	_, b, err := w.ws.Read(ctx)
	return b, err
}

func (w wsWire) Write(ctx context.Context, b []byte) error {
	return w.ws.Write(ctx, websocket.MessageText, b)
}

func (w wsWire) Close(code int, reason string) { w.ws.Close(websocket.StatusCode(code), reason) }

func (c *Client) wire() session.Conn {
	if c.Wire == nil { // a Client made with only WS
		c.Wire = wsWire{c.WS}
	}
	return c.Wire
}

// Send sends a message.
func (c *Client) Send(m protocol.Message) {
	c.T.Helper()
	c.SendRaw(protocol.MustEncode(m))
}

// SendRaw sends a text frame as is.
func (c *Client) SendRaw(b []byte) {
	c.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.wire().Write(ctx, b); err != nil {
		c.T.Fatalf("write: %v", err)
	}
}

// Next returns the next message that is not a heartbeat or presence.
func (c *Client) Next() protocol.Message {
	c.T.Helper()
	for {
		m, err := c.Read(10 * time.Second)
		if err != nil {
			c.T.Fatalf("read: %v", err)
		}
		switch m.(type) {
		case protocol.Heartbeat, protocol.Presence:
			continue
		}
		return m
	}
}

// Read reads the next message of any type.
func (c *Client) Read(timeout time.Duration) (protocol.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	b, err := c.wire().Read(ctx)
	if err != nil {
		return nil, err
	}
	m, err := protocol.Decode(b)
	if err != nil {
		c.T.Fatalf("server sent an undecodable message %s: %v", b, err)
	}
	return m, nil
}

// Expect reads the next message (not heartbeat or presence) and checks
// its type.
func Expect[T protocol.Message](c *Client) T {
	c.T.Helper()
	m := c.Next()
	v, ok := m.(T)
	if !ok {
		var zero T
		c.T.Fatalf("got %T %+v, want %T", m, m, zero)
	}
	return v
}

// Hello sends hello and returns the welcome.
func (c *Client) Hello(subs ...protocol.Sub) protocol.Welcome {
	c.T.Helper()
	c.Send(protocol.Hello{Client: "test", Subs: subs})
	return Expect[protocol.Welcome](c)
}

// Act sends an action and waits for its ack or error.
func (c *Client) Act(kind string, a protocol.Action) (protocol.Ack, *protocol.Error) {
	c.T.Helper()
	c.Send(a.WithKind(kind))
	for {
		switch m := c.Next().(type) {
		case protocol.Ack:
			if m.Op == a.Op {
				return m, nil
			}
		case *protocol.Error:
			return protocol.Ack{}, m
		}
	}
}

// SnapshotJSON returns the feed's state as the HTTP API shows it.
func (tn *Node) SnapshotJSON(t testing.TB, feed string) []byte {
	t.Helper()
	_, b := tn.Get(t, "/api/feeds/"+feed)
	return bytes.TrimSpace(b)
}
