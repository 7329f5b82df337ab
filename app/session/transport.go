package session

import (
	"context"
	"fmt"

	"github.com/coder/websocket"

	"livefeed/shared/protocol"
)

// transport carries one connection's messages, each one JSON text, both
// ways. Everything above it (hello and resume, the outbox, continuity
// checks, heartbeats and probes, backoff) is the session's and the same on
// every transport: WebSocket (wsTransport), and plain HTTP as a stream or
// polls (httpTransport, transport_http.go), chosen by the ladder
// (ladder.go); tests use a fake one (session_test.go).
type transport interface {
	// Read returns the next message from the server, or why the
	// connection ended.
	Read(ctx context.Context) ([]byte, error)
	// Write sends one message.
	Write(ctx context.Context, b []byte) error
	// Close ends the connection, telling the server why when it can.
	Close(code int, reason string)
}

// dialFunc opens a transport to the server.
type dialFunc func(ctx context.Context) (transport, error)

// Conn is one connection over any transport, for tools and tests that
// speak the protocol themselves (the bench, the server's tests): messages
// both ways, as the session sees them.
type Conn interface {
	Read(ctx context.Context) ([]byte, error)
	Write(ctx context.Context, b []byte) error
	Close(code int, reason string)
}

// Dial opens one connection of cfg (URL, Token, Client) over transport
// name: TransportWebSocket, TransportStream or TransportPoll.
func Dial(ctx context.Context, cfg Config, name string) (Conn, error) {
	switch name {
	case TransportWebSocket:
		return dialWebSocket(cfg)(ctx)
	case TransportStream, TransportPoll:
		return dialHTTP(cfg, name, newHTTPDoer(cfg))(ctx)
	}
	return nil, fmt.Errorf("session: unknown transport %q (want %s, %s or %s)", name, TransportWebSocket, TransportStream, TransportPoll)
}

// wsTransport is a transport over a WebSocket (coder/websocket, natively
// and in the browser).
type wsTransport struct{ c *websocket.Conn }

// dialWebSocket opens the WebSocket of cfg, checks the subprotocol
// (ErrUpdateRequired when the server speaks another) and sets the read
// limit.
func dialWebSocket(cfg Config) dialFunc {
	return func(ctx context.Context) (transport, error) {
		c, resp, err := websocket.Dial(ctx, cfg.URL, dialOptions(cfg.Token))
		if err != nil {
			if resp != nil && resp.StatusCode == statusUnauthorized {
				return nil, fmt.Errorf("session: not signed in (HTTP 401): %w", err)
			}
			return nil, fmt.Errorf("session: dial: %w", err)
		}
		if c.Subprotocol() != protocol.Subprotocol {
			c.Close(protocol.CloseClientGoingAway, "unsupported protocol")
			return nil, ErrUpdateRequired
		}
		c.SetReadLimit(protocol.MaxClientReadBytes)
		return wsTransport{c}, nil
	}
}

func (t wsTransport) Read(ctx context.Context) ([]byte, error) {
	_, b, err := t.c.Read(ctx)
	return b, err
}

func (t wsTransport) Write(ctx context.Context, b []byte) error {
	return t.c.Write(ctx, websocket.MessageText, b)
}

func (t wsTransport) Close(code int, reason string) {
	t.c.Close(websocket.StatusCode(code), reason)
}

// statusUnauthorized is net/http's StatusUnauthorized: this package is also
// compiled into the wasm app, which keeps net/http out of its own imports
// (see app/cmd/wasm's test).
const statusUnauthorized = 401
