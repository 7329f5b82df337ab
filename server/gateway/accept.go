package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"livefeed/server/auth"
	"livefeed/shared/protocol"
)

// ServeHTTP upgrades an authenticated request to a WebSocket. A missing,
// invalid or revoked session gets HTTP 401 before any upgrade (503 when
// the sessions cannot be read); a foreign Origin gets HTTP 403.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sess, err := g.cfg.Auth.Identify(r)
	if errors.Is(err, auth.ErrInvalid) {
		http.Error(w, "unauthorized: sign in first (missing, invalid or revoked session)", http.StatusUnauthorized)
		return
	} else if err != nil {
		g.lg.Warn("session lookup failed", "err", err)
		http.Error(w, "sessions unavailable; try again", http.StatusServiceUnavailable)
		return
	}
	u := sess.User
	if err := g.origins.Check(r, g.cfg.ClientIP.Proto(r)); err != nil {
		http.Error(w, "forbidden: "+err.Error(), http.StatusForbidden)
		return
	}
	hw := &hijackWriter{ResponseWriter: w}
	// lc is set before the connection's reader starts; OnPongReceived is
	// called by the reader (or, nil, by the close of a refused one).
	var lc *conn
	c, err := websocket.Accept(hw, r, &websocket.AcceptOptions{
		Subprotocols: []string{protocol.Subprotocol},
		// Checked above, scheme included (the library compares hosts).
		InsecureSkipVerify: true,
		// No permessage-deflate, whatever the client offers (the
		// library's default, stated): compressing a session's
		// secrets next to text an attacker chooses leaks them
		// (CRIME, BREACH), and the frames the send path writes are
		// made once per event, uncompressed (package wsframe).
		// TestUpgradeNegotiatesNoExtension holds it.
		CompressionMode: websocket.CompressionDisabled,
		OnPongReceived: func(context.Context, []byte) {
			if lc != nil {
				lc.pongs.Add(1)
			}
		},
	})
	if err != nil {
		g.lg.Debug("websocket accept failed", "err", err)
		return
	}
	g.Stats.Accepted.Add(1)
	if tc, ok := hw.s.Conn.(*net.TCPConn); ok {
		tc.SetWriteBuffer(g.cfg.SocketSendBuffer)
	}
	if c.Subprotocol() != protocol.Subprotocol {
		e := protocol.Errorf(protocol.CodeUnsupportedVer, "this server speaks %s; please update the app", protocol.Subprotocol)
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		c.Write(ctx, websocket.MessageText, protocol.MustEncode(e))
		cancel()
		c.Close(protocol.CloseUnsupportedVersion, "unsupported protocol version; update the client")
		g.countClose(protocol.CloseUnsupportedVersion)
		return
	}
	cn := newConn(g, c, hw.s, u, sess.ID, g.cfg.ClientIP.Of(r))
	lc = cn
	if !g.admit(cn) {
		return
	}
	// The connection runs in a goroutine of its own and the handler
	// returns: net/http then drops what it kept for the request (its
	// connection state, 4 KiB buffers, the headers) and the handler's deep
	// stack; the WebSocket keeps the small buffers it got at the hijack.
	go func() {
		defer g.release(cn)
		cn.run()
	}()
	if g.cfg.Auth.Gone(u.ID, sess.ID) {
		// Revoked between the lookup and the registration: revoked()
		// ran before this connection was there to close.
		g.revoked(u.ID, sess.ID)
	}
}

// admit counts a new connection (WebSocket or HTTP downlink) against the
// limits (shutting down, MaxConns, AcceptRate, MaxConnsPerUser) and
// registers it, or refuses it with the goaway or error and close code
// that say why and returns false.
func (g *Gateway) admit(cn *conn) bool {
	u := cn.user
	g.mu.Lock()
	if b := time.Now().UnixMilli() / 100; b != g.bucket {
		g.bucket, g.bucketN = b, 0
	}
	g.bucketN++
	if g.bucketN > g.Stats.AcceptPeak.Load() {
		g.Stats.AcceptPeak.Store(g.bucketN)
	}
	over := g.down || g.cfg.MaxConns > 0 && len(g.conns) >= g.cfg.MaxConns || !g.takeAcceptLocked()
	userFull := !over && g.perUser[u.ID] >= MaxConnsPerUser
	reason := "overloaded"
	if g.down {
		reason = "restart"
	}
	if !over && !userFull {
		g.conns[cn] = struct{}{}
		g.perUser[u.ID]++
		g.n.Add(1)
		g.keepaliveOnce.Do(func() { go g.keepalive() })
	}
	g.mu.Unlock()
	if userFull {
		g.Stats.Refused.Add(1)
		e := protocol.RateLimited(g.cfg.RestartWindow, "more than %d connections for this user; close some tabs", MaxConnsPerUser)
		cn.refuse(protocol.CloseOverloaded, "too many connections for this user", protocol.MustEncode(e))
		g.countClose(protocol.CloseOverloaded)
		return false
	}
	if over {
		g.Stats.Refused.Add(1)
		code := protocol.CloseOverloaded
		if reason == "restart" {
			code = protocol.CloseRestart
		}
		cn.goAway(reason, code, g.cfg.RestartWindow)
		g.countClose(code)
		return false
	}
	return true
}

// release unregisters a connection admit registered, once it has ended.
func (g *Gateway) release(cn *conn) {
	g.mu.Lock()
	delete(g.conns, cn)
	if g.perUser[cn.user.ID]--; g.perUser[cn.user.ID] <= 0 {
		delete(g.perUser, cn.user.ID)
	}
	g.n.Add(-1)
	g.mu.Unlock()
}

// takeAcceptLocked applies the accept-rate limit.
func (g *Gateway) takeAcceptLocked() bool {
	return g.cfg.AcceptRate <= 0 || g.accepts.Take(time.Now(), g.cfg.AcceptRate, float64(g.cfg.AcceptBurst)) == 0
}

// Buffer sizes of a WebSocket: client messages are small (at most
// protocol.MaxFrameBytes, usually a few hundred bytes; larger payloads are
// read around the buffer), and coder/websocket writes only control frames
// (at most 2+125 bytes, each flushed in one Write).
const (
	readBufferSize  = 1024
	writeBufferSize = 256
)

// hijackWriter hands coder/websocket a sock and small buffers of its own
// when it hijacks the connection, instead of net/http's 4 KiB ones (which
// are freed with the rest of net/http's connection state when the handler
// returns).
type hijackWriter struct {
	http.ResponseWriter
	s *sock
}

func (h *hijackWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func (h *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// The request's read deadline (httpapi.RequestReadTimeout) does not
	// apply to the WebSocket: its liveness is the heartbeat's.
	nc.SetDeadline(time.Time{})
	h.s = newSock(nc)
	var r *bufio.Reader
	if n := brw.Reader.Buffered(); n > 0 {
		// The client sent frames right behind its request: keep them in
		// the new reader's buffer (the library resets the reader onto
		// the connection after taking what is buffered).
		early, _ := brw.Reader.Peek(n)
		early = bytes.Clone(early)
		r = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(early), nc), max(readBufferSize, n))
		r.Peek(n)
	} else {
		r = bufio.NewReaderSize(nc, readBufferSize)
	}
	return h.s, bufio.NewReadWriter(r, bufio.NewWriterSize(h.s, writeBufferSize)), nil
}
