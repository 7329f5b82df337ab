package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"livefeed/shared/protocol"
)

// httpTransport is a transport over plain HTTP (docs/protocol.md, "Over
// plain HTTP"), for networks that do not let a WebSocket through. To the
// session it is one connection like a WebSocket: messages both ways.
// Underneath, the downlink is a series of requests (one long stream, or
// polls) that each name every feed at the position of the last message
// received, so that a lost response is asked for again and nothing the
// server keeps between requests matters but presence (each names the
// connection its welcome gave, Welcome.Conn); what the session writes goes up in
// batched POSTs whose replies come back as messages.
//
// What the session writes: hello gives the feeds and starts the
// downlink; subscribe and unsubscribe change the feeds and reopen it;
// heartbeats that are not probes are not sent (the server does not watch
// an HTTP client for silence); everything else goes up.
type httpTransport struct {
	base   string // http(s)://host[:port]
	mode   string // protocol.HTTPStream or protocol.HTTPPoll
	client string
	web    httpDoer

	ctx    context.Context
	cancel context.CancelFunc
	reads  chan []byte   // what Read returns, in order
	failed chan struct{} // closed with err set: the connection is over
	err    error
	once   sync.Once

	mu       sync.Mutex
	subs     []protocol.Sub // the feeds, at the positions received
	started  bool           // hello came: the downlink runs
	reopen   chan struct{}  // the feeds changed: the downlink request starts again
	welcomed bool
	conn     string          // the server's name of this connection (Welcome.Conn)
	live     map[string]bool // feeds whose subscribed went up: each request's next one does not
	up       [][]byte        // messages waiting for the uplink
	upKick   chan struct{}   // up is not empty
}

// httpDoer makes the transport's requests: net/http natively
// (http_native.go), the browser's fetch in wasm (http_js.go).
type httpDoer interface {
	// get opens a GET of url and returns its body as it arrives, or the
	// status and body of a response that is not 200 OK.
	get(ctx context.Context, url string, header map[string]string) (body io.ReadCloser, status int, errBody []byte, err error)
	// post sends body to url with contentType and returns the status and
	// the whole response body.
	post(ctx context.Context, url, contentType string, body []byte) (status int, resp []byte, err error)
}

// Transport names, Config.Transport and Status.Transport.
const (
	TransportAuto      = "auto"
	TransportWebSocket = "ws"
	TransportStream    = protocol.HTTPStream
	TransportPoll      = protocol.HTTPPoll
)

// httpBase returns the base URL of the HTTP transport for a WebSocket URL
// (ws://host/ws: http://host).
func httpBase(wsURL string) string {
	scheme, rest, ok := strings.Cut(wsURL, "://")
	if !ok {
		return wsURL
	}
	switch scheme {
	case "wss":
		scheme = "https"
	case "ws":
		scheme = "http"
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}

// dialHTTP returns a dialFunc of the HTTP transport in mode. Dialing does
// nothing on the network: the first request goes with hello.
func dialHTTP(cfg Config, mode string, web httpDoer) dialFunc {
	base := httpBase(cfg.URL)
	return func(ctx context.Context) (transport, error) {
		t := &httpTransport{base: base, mode: mode, client: cfg.Client, web: web,
			reads: make(chan []byte, 64), failed: make(chan struct{}),
			reopen: make(chan struct{}, 1), upKick: make(chan struct{}, 1), live: map[string]bool{}}
		t.ctx, t.cancel = context.WithCancel(context.Background())
		go t.uplink()
		return t, nil
	}
}

func (t *httpTransport) fail(err error) {
	t.once.Do(func() {
		t.err = err
		close(t.failed)
		t.cancel()
	})
}

// Read implements transport.
func (t *httpTransport) Read(ctx context.Context) ([]byte, error) {
	select {
	case b := <-t.reads:
		return b, nil
	default:
	}
	select {
	case b := <-t.reads:
		return b, nil
	case <-t.failed:
		return nil, t.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Write implements transport.
func (t *httpTransport) Write(ctx context.Context, b []byte) error {
	select {
	case <-t.failed:
		return t.err
	default:
	}
	switch protocol.PeekType(b) {
	case protocol.TypeHello, protocol.TypeSubscribe, protocol.TypeUnsubscribe:
		m, err := protocol.Decode(b)
		if err != nil {
			return err
		}
		t.mu.Lock()
		switch m := m.(type) {
		case protocol.Hello:
			t.subs = append(t.subs[:0], m.Subs...)
			if !t.started {
				t.started = true
				go t.downlink()
			}
		case protocol.Subscribe:
			t.subs = append(t.subs, m.Sub)
		case protocol.Unsubscribe:
			delete(t.live, m.Feed)
			for i, s := range t.subs {
				if s.Feed == m.Feed {
					t.subs = append(t.subs[:i], t.subs[i+1:]...)
					break
				}
			}
		}
		t.mu.Unlock()
		if _, hello := m.(protocol.Hello); !hello {
			select {
			case t.reopen <- struct{}{}:
			default:
			}
		}
		return nil
	case protocol.TypeHeartbeat:
		if !bytes.Contains(b, []byte(`"probe":true`)) {
			return nil
		}
	}
	t.mu.Lock()
	t.up = append(t.up, b)
	t.mu.Unlock()
	select {
	case t.upKick <- struct{}{}:
	default:
	}
	return nil
}

// Close implements transport.
func (t *httpTransport) Close(int, string) { t.fail(errors.New("session: connection closed")) }

// deliver hands a message of the downlink to Read and moves the feed's
// position past it. Each request of the downlink starts again with
// welcome and, per feed, subscribed: only the first of each goes up, as
// on one WebSocket; a later welcome becomes a heartbeat, which is what it
// says (the server is there), and a later subscribed is dropped.
func (t *httpTransport) deliver(b []byte) bool {
	typ, feed, pos, ok := protocol.PeekPosition(b)
	t.mu.Lock()
	if ok {
		for i := range t.subs {
			if t.subs[i].Feed == feed {
				t.subs[i].Mode, t.subs[i].Pos = protocol.ModeResume, pos
			}
		}
	}
	switch typ {
	case protocol.TypeWelcome:
		// The next request continues this connection (Welcome.Conn):
		// the server keeps its membership in between.
		if m, err := protocol.Decode(b); err == nil {
			w, _ := m.(protocol.Welcome)
			t.conn = w.Conn
		}
		if t.welcomed {
			b = protocol.MustEncode(protocol.Heartbeat{Time: time.Now().UnixMilli()})
		}
		t.welcomed = true
	case protocol.TypeSubscribed:
		// The feed is at its position in the server's log from here
		// on: the next request names that log's epoch, or a feed that
		// got a snapshot of a recreated log would get one every time.
		if m, err := protocol.Decode(b); err == nil {
			sub, _ := m.(protocol.Subscribed)
			for i := range t.subs {
				if t.subs[i].Feed == feed {
					t.subs[i].Epoch = sub.Epoch
				}
			}
		}
		if t.live[feed] {
			t.mu.Unlock()
			return true
		}
		t.live[feed] = true
	}
	t.mu.Unlock()
	select {
	case t.reads <- b:
		return true
	case <-t.ctx.Done():
		return false
	}
}

// downlink runs the downlink's requests until the transport fails: a poll
// is followed by the next at once, a stream that ends without a goaway (a
// proxy's time limit) is opened again, both from the positions received.
func (t *httpTransport) downlink() {
	for t.ctx.Err() == nil {
		t.mu.Lock()
		d := protocol.Downlink{Mode: t.mode, Client: t.client, Subs: t.subs, Continued: t.welcomed, Conn: t.conn}
		url := t.base + protocol.HTTPDownPath + "?" + d.Query()
		t.mu.Unlock()
		rctx, stop := context.WithCancel(t.ctx)
		reopened := make(chan struct{})
		go func() {
			select {
			case <-t.reopen:
				close(reopened)
				stop()
			case <-rctx.Done():
			}
		}()
		err := t.request(rctx, url)
		stop()
		select {
		case <-reopened:
			continue // the feeds changed: ask again with the new set
		default:
		}
		if err != nil {
			t.fail(err)
			return
		}
	}
}

// request runs one downlink request to its end; nil when it ended cleanly
// (a poll answered, a stream ended between events).
func (t *httpTransport) request(ctx context.Context, url string) error {
	body, status, errBody, err := t.web.get(ctx, url, map[string]string{"Accept": "text/event-stream"})
	if err != nil {
		return fmt.Errorf("session: %s: %w", t.mode, noResponse(ctx, err))
	}
	if status != 200 {
		return httpStatusError(t.mode, status, errBody)
	}
	defer body.Close()
	sse := protocol.NewSSEReader(body)
	for n := 0; ; n++ {
		b, err := sse.Next()
		if err == io.EOF && n == 0 {
			return fmt.Errorf("session: %s: the response ended empty", t.mode)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("session: %s: %w", t.mode, err)
		}
		if !t.deliver(b) {
			return t.ctx.Err()
		}
		if protocol.PeekType(b) == protocol.TypeGoAway {
			// The server ends the response after it, as it closes a
			// WebSocket; the session reconnects within its window.
			return errGoneAway
		}
	}
}

var errGoneAway = errors.New("session: the server sent goaway and ended the response")

// unreachableError is a request of the HTTP transport that got no response
// at all (refused, reset, no route, offline: fetch's TypeError): the
// server is down or out of reach, which no rung of the ladder gets past.
// It says what err says.
type unreachableError struct{ err error }

func (e unreachableError) Error() string { return e.err.Error() }
func (e unreachableError) Unwrap() error { return e.err }

// unreachable reports whether err is, or wraps, an unreachableError.
func unreachable(err error) bool {
	var u unreachableError
	return errors.As(err, &u)
}

// noResponse marks err, a request's failure before any response, as
// unreachableError unless ctx ended it (the transport closing, the feeds
// changing).
func noResponse(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	return unreachableError{err}
}

// uplink sends what the session wrote, a batch per request (at most
// protocol.MaxUplinkMessages), one request at a time so that actions
// reach the server in the order they were written; each reply goes to
// Read.
func (t *httpTransport) uplink() {
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-t.upKick:
		}
		for {
			t.mu.Lock()
			n := min(len(t.up), protocol.MaxUplinkMessages)
			batch := t.up[:n:n]
			t.up = t.up[n:]
			t.mu.Unlock()
			if n == 0 {
				break
			}
			body := bytes.Join(batch, []byte("\n"))
			status, resp, err := t.web.post(t.ctx, t.base+protocol.HTTPUpPath, protocol.UplinkType, body)
			if err != nil && status == 0 {
				err = noResponse(t.ctx, err)
			} else if err == nil && status != 200 {
				err = httpStatusError("uplink", status, resp)
			}
			if err != nil {
				t.fail(fmt.Errorf("session: uplink: %w", err))
				return
			}
			for line := range bytes.Lines(resp) {
				if line = bytes.TrimRight(line, "\n"); len(line) > 0 {
					select {
					case t.reads <- line:
					case <-t.ctx.Done():
						return
					}
				}
			}
		}
	}
}

// httpStatusError is the error of a response that is not 200 OK: 401 is
// "not signed in", as for a WebSocket; the server's {"error":...} says
// the rest.
func httpStatusError(what string, status int, body []byte) error {
	var v struct {
		Error *protocol.Error `json:"error"`
	}
	json.Unmarshal(body, &v)
	if status == statusUnauthorized {
		return fmt.Errorf("session: not signed in (HTTP 401)")
	}
	if v.Error != nil {
		return fmt.Errorf("session: %s: HTTP %d: %w", what, status, v.Error)
	}
	return fmt.Errorf("session: %s: HTTP %d", what, status)
}
