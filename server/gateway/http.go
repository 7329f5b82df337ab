package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"livefeed/server/auth"
	"livefeed/server/feed"
	"livefeed/shared/protocol"
)

// The HTTP transport (docs/protocol.md, "Over plain HTTP"), for clients
// whose network does not let a WebSocket through: a downlink (GET
// protocol.HTTPDownPath) that is a connection like a WebSocket's for as
// long as its response lasts, and an uplink (POST protocol.HTTPUpPath)
// that carries actions and probes and answers them in its response.
// No guarantee rests on what a node keeps between requests: the downlink
// request names its feeds and positions, so any node answers any request.
// A node keeps only a downlink's membership in its feeds for the
// connection's next request, for a grace (http_member.go).

// ServeDownlink answers GET protocol.HTTPDownPath: the same messages a
// WebSocket carries, each a server-sent event, from a connection that
// subscribes to the feeds the query names (at the positions of
// Last-Event-ID, when sent) and otherwise runs as a WebSocket's does (the
// same catch-up, bounded queue and slow-consumer cut, heartbeats, goaway,
// limits). In poll mode the response ends protocol.PollLinger after its
// first batch, or after protocol.PollHold.
func (g *Gateway) ServeDownlink(w http.ResponseWriter, r *http.Request) {
	sess, ok := g.authorize(w, r)
	if !ok {
		return
	}
	d, err := protocol.ParseDownlink(r.URL.Query(), r.Header.Get("Last-Event-ID"))
	if err != nil {
		e, _ := protocol.AsError(err)
		writeHTTPError(w, http.StatusBadRequest, e)
		return
	}
	poll := d.Mode == protocol.HTTPPoll
	rc := http.NewResponseController(w)
	// The response outlives the request's read deadline (httpapi's
	// RequestReadTimeout: the server's reader would end the request);
	// the write deadline of every flush is the downlink's own, and is
	// cleared for the next request on a kept-alive connection.
	rc.SetReadDeadline(time.Time{})
	defer rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	// no-transform: proxies must not compress or rewrite it; nginx reads
	// X-Accel-Buffering and passes it through unbuffered.
	h.Set("Cache-Control", "no-store, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc.Flush()

	cn := newHTTPConn(g, newHTTPOut(w, poll, d.Continued, g.cfg.Service.Epoch()), sess.User, g.cfg.ClientIP.Of(r))
	cn.sid = sess.ID // a revoked session's downlink ends too (revoke.go)
	defer close(cn.done)
	if !g.admit(cn) {
		return
	}
	defer g.release(cn)
	if g.cfg.Auth.Gone(sess.User.ID, sess.ID) {
		// Revoked between authorize and admit: revoked() ran before
		// this downlink was there to close (as for a WebSocket,
		// accept.go).
		g.revoked(sess.User.ID, sess.ID)
	}
	g.Stats.HTTPDownlinks.Add(1)
	stop := context.AfterFunc(r.Context(), cn.cancel) // the client went away
	defer stop()

	heartbeat := g.cfg.HeartbeatInterval
	if poll {
		// A poll ends before a heartbeat is due: the client's silence
		// limit is the hold, whatever a proxy holds back meanwhile.
		heartbeat = g.cfg.PollHold
	}
	g.lg.Debug("http downlink", "mode", d.Mode, "client", d.Client, "user", sess.User.ID, "feeds", len(d.Subs))
	var parked []parkedSub
	cn.down, parked = g.downs.begin(d.Conn, sess.User.ID, sess.ID)
	welcome := protocol.Welcome{
		Version: protocol.Version, Node: g.cfg.Node, User: sess.User,
		HeartbeatMS: heartbeat.Milliseconds(), AppVersion: g.cfg.AppVersion,
		Epoch: g.cfg.Service.Epoch(),
	}
	if cn.down != nil {
		welcome.Conn = cn.down.id
	}
	err = cn.sendMsg(welcome)
	for _, s := range d.Subs {
		if err == nil {
			err = cn.subscribe(s)
		}
	}
	// Joined (or not): the last request's membership goes, with no
	// change of presence for a feed this one follows too.
	g.downs.release(parked)
	if err == nil {
		var hold <-chan time.Time
		var batched <-chan struct{}
		if poll {
			t := time.NewTimer(g.cfg.PollHold)
			defer t.Stop()
			hold, batched = t.C, cn.hout.batched
		}
		select {
		case <-cn.ctx.Done():
		case <-cn.closing:
		case <-hold:
		case <-batched:
			select {
			case <-cn.ctx.Done():
			case <-cn.closing:
			case <-time.After(protocol.PollLinger):
			}
		}
	}
	cn.closeWith(protocol.CloseNormal, "response complete", nil)
	cn.finish()
}

// ServeUplink answers POST protocol.HTTPUpPath: up to
// protocol.MaxUplinkMessages messages, one JSON message a line
// (protocol.UplinkType), carried out in order as a WebSocket's reader
// would (actions with the same rate limit and op-id dedupe, probes
// answered), each reply a line of the response. A malformed message gets
// its typed error and the others go on; protocol.MaxBadMessages in a row
// end the request there. Subscriptions are not sent here: the downlink
// request names them.
func (g *Gateway) ServeUplink(w http.ResponseWriter, r *http.Request) {
	sess, ok := g.authorize(w, r)
	if !ok {
		return
	}
	u := sess.User
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != protocol.UplinkType {
		// Also the CSRF rule of a form: a page of another site cannot
		// send this type without the browser asking first.
		writeHTTPError(w, http.StatusUnsupportedMediaType, protocol.Errorf(protocol.CodeBadJSON, "send %s: one JSON message a line", protocol.UplinkType))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, protocol.MaxUplinkBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeHTTPError(w, http.StatusRequestEntityTooLarge, protocol.Errorf(protocol.CodeTooBig, "at most %d bytes per request; nothing was applied", protocol.MaxUplinkBytes))
			return
		}
		writeHTTPError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadJSON, "could not read the request: %v", err))
		return
	}
	var lines [][]byte
	for line := range bytes.Lines(body) {
		if line = bytes.TrimRight(line, "\r\n"); len(line) > 0 {
			lines = append(lines, line)
		}
	}
	if len(lines) > protocol.MaxUplinkMessages {
		writeHTTPError(w, http.StatusRequestEntityTooLarge, protocol.Errorf(protocol.CodeTooBig, "at most %d messages per request, not %d; nothing was applied", protocol.MaxUplinkMessages, len(lines)))
		return
	}
	w.Header().Set("Content-Type", protocol.UplinkType)
	w.Header().Set("Cache-Control", "no-store")
	g.Stats.HTTPUplinks.Add(1)
	ctx := feed.WithClient(r.Context(), g.cfg.ClientIP.Of(r))
	var out []byte
	reply := func(m protocol.Message) {
		out = append(append(out, protocol.MustEncode(m)...), '\n')
	}
	bad := 0
	for _, line := range lines {
		m, err := g.decodeUp(line)
		if err != nil {
			e, _ := protocol.AsError(err)
			reply(e)
			if bad++; bad >= protocol.MaxBadMessages {
				reply(protocol.Errorf(protocol.CodeBadJSON, "%d malformed messages in a row; the rest of this request was not read", bad))
				break
			}
			continue
		}
		bad = 0
		switch m := m.(type) {
		case protocol.Action:
			rep, err := g.act(ctx, u, m)
			if err != nil {
				return // the client went away
			}
			reply(rep)
		case protocol.Heartbeat:
			if m.Probe && g.probes.Take(u.ID) == 0 {
				reply(protocol.Heartbeat{Time: time.Now().UnixMilli()})
			}
		case protocol.Hello, protocol.Subscribe, protocol.Unsubscribe:
			reply(protocol.Errorf(protocol.CodeUnknownType, "over HTTP, %s is not sent: name the feeds in the downlink request (GET %s)", m.MsgType(), protocol.HTTPDownPath))
		default:
			reply(protocol.Errorf(protocol.CodeUnknownType, "%q is a server message; clients may not send it", m.MsgType()))
		}
	}
	w.Write(out)
}

// decodeUp decodes one uplink message, with the WebSocket's size limit.
func (g *Gateway) decodeUp(line []byte) (protocol.Message, error) {
	if len(line) > protocol.MaxFrameBytes {
		return nil, protocol.Errorf(protocol.CodeTooBig, "a message over %d bytes", protocol.MaxFrameBytes)
	}
	return protocol.Decode(line)
}

// authorize applies the WebSocket's rules to a request of the HTTP
// transport: a valid session (cookie or bearer token, auth.Sessions'
// one check) and the origin policy; it answers 401, 403 or 503 itself.
func (g *Gateway) authorize(w http.ResponseWriter, r *http.Request) (auth.Session, bool) {
	sess, err := g.cfg.Auth.Identify(r)
	if errors.Is(err, auth.ErrInvalid) {
		writeHTTPError(w, http.StatusUnauthorized, protocol.Errorf(protocol.CodeUnauthorized, "sign in first (missing, invalid or revoked session)"))
		return sess, false
	} else if err != nil {
		e := protocol.Errorf(protocol.CodeInternal, "sessions unavailable; try again")
		e.Temporary = true
		writeHTTPError(w, http.StatusServiceUnavailable, e)
		return sess, false
	}
	if err := g.origins.Check(r, g.cfg.ClientIP.Proto(r)); err != nil {
		writeHTTPError(w, http.StatusForbidden, protocol.Errorf(protocol.CodeForbidden, "%v", err))
		return sess, false
	}
	return sess, true
}

// writeHTTPError answers a request of the HTTP transport with status and
// {"error": e}, the HTTP API's shape.
func writeHTTPError(w http.ResponseWriter, status int, e *protocol.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error *protocol.Error `json:"error"`
	}{e})
}
