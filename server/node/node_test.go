package node_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"livefeed/app/session"
	"livefeed/server/auth"
	"livefeed/server/gateway"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// collector applies events the way a client must: each exactly once, in
// order, verifying the prev chain.
type collector struct {
	t     *testing.T
	pos   uint64
	posts []string
}

func (col *collector) apply(e protocol.Event) {
	col.t.Helper()
	if e.Pos <= col.pos {
		col.t.Fatalf("duplicate or out of order: event %d after %d", e.Pos, col.pos)
	}
	if e.Prev > col.pos {
		col.t.Fatalf("gap: event %d has prev %d but we are at %d", e.Pos, e.Prev, col.pos)
	}
	col.pos = e.Pos
	col.posts = append(col.posts, e.Text)
}

// eachTransport runs test once over every transport (WebSocket, HTTP
// stream, HTTP polls): the guarantees are the same on each.
func eachTransport(t *testing.T, test func(t *testing.T, tr string)) {
	for _, tr := range testnode.Transports {
		t.Run(tr, func(t *testing.T) { test(t, tr) })
	}
}

func TestResumeSeam(t *testing.T) { eachTransport(t, testResumeSeam) }

func testResumeSeam(t *testing.T, tr string) {
	tn := testnode.Start(t, t.TempDir(), nil)
	_, u := tn.SignIn(t, "Writer")
	ctx := context.Background()
	const N = 300
	post := func(i int) {
		a := protocol.Action{Op: fmt.Sprintf("op%d", i), Feed: "main", Text: fmt.Sprintf("post %d", i)}.WithKind(protocol.TypePost)
		if _, err := tn.Service.Do(ctx, u, a); err != nil {
			t.Errorf("post %d: %v", i, err)
		}
	}
	// Another feed interleaves, so positions of "main" are not contiguous.
	other := func(i int) {
		a := protocol.Action{Op: fmt.Sprintf("other%d", i), Feed: "other", Text: "x"}.WithKind(protocol.TypePost)
		tn.Service.Do(ctx, u, a)
	}
	rtoken, _ := tn.SignIn(t, "Reader")
	c := testnode.DialTransport(t, tn, rtoken, tr)
	c.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeSnapshot})
	snap := testnode.Expect[protocol.Snapshot](c)
	col := &collector{t: t, pos: snap.Pos}
	testnode.Expect[protocol.Subscribed](c)
	for i := 0; i < 10; i++ {
		post(i)
		other(i)
	}
	for len(col.posts) < 10 {
		if e, ok := c.Next().(protocol.Event); ok {
			col.apply(e)
		}
	}
	// Disconnect; posts keep coming, some while we reconnect.
	c.Wire.Close(protocol.CloseNormal, "bye")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 10; i < N; i++ {
			post(i)
			if i%3 == 0 {
				other(i)
			}
		}
	}()
	time.Sleep(20 * time.Millisecond) // not a wait: lets some posts land while disconnected
	c = testnode.DialTransport(t, tn, rtoken, tr)
	c.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeResume, Pos: col.pos})
	subscribed := false
	for len(col.posts) < N {
		switch m := c.Next().(type) {
		case protocol.Event:
			col.apply(m)
		case protocol.Subscribed:
			if m.Pos > col.pos {
				t.Fatalf("subscribed at %d beyond the applied %d", m.Pos, col.pos)
			}
			subscribed = true
		case protocol.Snapshot, protocol.HistoryGone:
			t.Fatalf("unexpected %T on resume", m)
		}
	}
	wg.Wait()
	if !subscribed {
		t.Errorf("no subscribed message")
	}
	for i, text := range col.posts {
		if want := fmt.Sprintf("post %d", i); text != want {
			t.Fatalf("post %d is %q, want %q", i, text, want)
		}
	}
	// Nothing more arrives: no duplicate after the seam.
	post(N)
	e := testnode.Expect[protocol.Event](c)
	col.apply(e)
	if e.Text != fmt.Sprintf("post %d", N) {
		t.Fatalf("after the seam got %q", e.Text)
	}
}

func TestHistoryGone(t *testing.T) { eachTransport(t, testHistoryGone) }

func testHistoryGone(t *testing.T, tr string) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.RetainEvents = 10 })
	token, u := tn.SignIn(t, "Ada")
	ctx := context.Background()
	for i := 0; i < 40; i++ {
		a := protocol.Action{Op: fmt.Sprintf("op%d", i), Feed: "main", Text: fmt.Sprintf("post %d", i)}.WithKind(protocol.TypePost)
		if _, err := tn.Service.Do(ctx, u, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := tn.Service.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	first, last, _ := tn.Log.Bounds(ctx)
	if last-first+1 != 10 {
		t.Fatalf("log holds %d..%d, want the newest 10", first, last)
	}
	c := testnode.DialTransport(t, tn, token, tr)
	c.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeResume, Pos: 3})
	g := testnode.Expect[protocol.HistoryGone](c)
	if g.Pos != 3 || g.First != first {
		t.Fatalf("history_gone %+v, want pos 3 first %d", g, first)
	}
	s := testnode.Expect[protocol.Snapshot](c)
	if len(s.Posts) != 40 || s.Pos != last || s.Posts[0].Text != "post 39" {
		t.Fatalf("snapshot has %d posts at %d (newest %q), want 40 at %d", len(s.Posts), s.Pos, s.Posts[0].Text, last)
	}
	testnode.Expect[protocol.Subscribed](c)

	// A position still retained resumes normally.
	c2 := testnode.DialTransport(t, tn, token, tr)
	c2.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeResume, Pos: last - 2})
	for i := 0; i < 2; i++ {
		if e := testnode.Expect[protocol.Event](c2); e.Pos != last-1+uint64(i) {
			t.Fatalf("resume got %d", e.Pos)
		}
	}
	testnode.Expect[protocol.Subscribed](c2)

	// A position ahead of the log (client of a wiped server) is gone too.
	c3 := testnode.DialTransport(t, tn, token, tr)
	c3.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeResume, Pos: last + 100})
	testnode.Expect[protocol.HistoryGone](c3)
	testnode.Expect[protocol.Snapshot](c3)

	// The view survives a restart from snapshot plus the retained log.
	tn.Stop()
	tn2 := testnode.Start(t, tn.Dir, func(c *node.Config) { c.RetainEvents = 10 })
	if got := tn2.Service.View().Snapshot("main"); len(got.Posts) != 40 || got.Pos != last {
		t.Fatalf("after restart: %d posts at %d", len(got.Posts), got.Pos)
	}
}

func TestDedupeByOpID(t *testing.T) { eachTransport(t, testDedupeByOpID) }

func testDedupeByOpID(t *testing.T, tr string) {
	dir := t.TempDir()
	tn := testnode.Start(t, dir, nil)
	token, _ := tn.SignIn(t, "Ada")
	a := protocol.Action{Op: "same-op-1", Feed: "main", Text: "only once"}
	c := testnode.DialTransport(t, tn, token, tr)
	c.Hello()
	first, e := c.Act(protocol.TypePost, a)
	if e != nil || first.Duplicate {
		t.Fatalf("first send: %+v %v", first, e)
	}
	second, e := c.Act(protocol.TypePost, a)
	if e != nil || !second.Duplicate || second.Pos != first.Pos || second.ID != first.ID {
		t.Fatalf("second send: %+v %v", second, e)
	}
	// After a restart of the server on the same data directory.
	tn.Stop()
	tn = testnode.Start(t, dir, nil)
	c = testnode.DialTransport(t, tn, token, tr)
	c.Hello()
	third, e := c.Act(protocol.TypePost, a)
	if e != nil || !third.Duplicate || third.Pos != first.Pos || third.Event == nil || third.Event.Text != "only once" {
		t.Fatalf("third send after restart: %+v %v", third, e)
	}
	snap := tn.Service.View().Snapshot("main")
	if len(snap.Posts) != 1 {
		t.Fatalf("%d posts, want 1", len(snap.Posts))
	}
	// The same op id from another user is another op.
	token2, _ := tn.SignIn(t, "Bob")
	c2 := testnode.DialTransport(t, tn, token2, tr)
	c2.Hello()
	if ack, e := c2.Act(protocol.TypePost, a); e != nil || ack.Duplicate {
		t.Fatalf("other user's op: %+v %v", ack, e)
	}
}

func TestReactToggleAndAuthorRules(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	ta, _ := tn.SignIn(t, "Ada")
	tb, ub := tn.SignIn(t, "Bob")
	a, b := testnode.Dial(t, tn, ta), testnode.Dial(t, tn, tb)
	a.Hello()
	b.Hello()
	ack, _ := a.Act(protocol.TypePost, protocol.Action{Op: "p", Feed: "main", Text: "hi"})
	r1, e := b.Act(protocol.TypeReact, protocol.Action{Op: "r1", Feed: "main", ID: ack.ID, Emoji: "👍"})
	if e != nil || !r1.Event.On {
		t.Fatalf("first react: %+v %v", r1, e)
	}
	snap := tn.Service.View().Snapshot("main")
	if rs := snap.Posts[0].Reactions; len(rs) != 1 || rs[0].Users[0] != ub {
		t.Fatalf("reactions %+v", rs)
	}
	r2, e := b.Act(protocol.TypeReact, protocol.Action{Op: "r2", Feed: "main", ID: ack.ID, Emoji: "👍"})
	if e != nil || r2.Event.On {
		t.Fatalf("second react should remove: %+v %v", r2, e)
	}
	if rs := tn.Service.View().Snapshot("main").Posts[0].Reactions; len(rs) != 0 {
		t.Fatalf("reactions after toggle %+v", rs)
	}
	if _, e := a.Act(protocol.TypeEdit, protocol.Action{Op: "e", Feed: "main", ID: ack.ID, Text: "edited"}); e != nil {
		t.Fatalf("author edit: %v", e)
	}
	if _, e := a.Act(protocol.TypeDelete, protocol.Action{Op: "d", Feed: "main", ID: ack.ID}); e != nil {
		t.Fatalf("author delete: %v", e)
	}
	if _, e := a.Act(protocol.TypeEdit, protocol.Action{Op: "e2", Feed: "main", ID: ack.ID, Text: "again"}); e == nil || e.Code != protocol.CodeNotFound {
		t.Fatalf("edit after delete: %v", e)
	}
}

// TestBadInput sends each kind of bad input and checks the typed answer,
// that another client keeps receiving, and that nothing stored changed.
func TestBadInput(t *testing.T) { eachTransport(t, testBadInput) }

func testBadInput(t *testing.T, tr string) {
	ws := tr == session.TransportWebSocket
	tn := testnode.Start(t, t.TempDir(), nil)
	ta, _ := tn.SignIn(t, "Ada")
	tb, _ := tn.SignIn(t, "Mallory")
	a := testnode.DialTransport(t, tn, ta, tr)
	a.Hello()
	own, _ := a.Act(protocol.TypePost, protocol.Action{Op: "own", Feed: "main", Text: "Ada's post"})

	watcher := testnode.DialTransport(t, tn, ta, tr)
	watcher.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
	testnode.Expect[protocol.Subscribed](watcher)
	stored := string(tn.SnapshotJSON(t, "main"))

	typed := []struct {
		name string
		raw  string
		code string
	}{
		{"invalid JSON", `{"type":"post",`, protocol.CodeBadJSON},
		{"unknown type", `{"type":"shout","data":{}}`, protocol.CodeUnknownType},
		{"server type from client", `{"type":"event","data":{"feed":"main","pos":1}}`, protocol.CodeUnknownType},
		{"missing field", `{"type":"post","data":{"op":"x1","feed":"main"}}`, protocol.CodeMissingField},
		{"wrong field type", `{"type":"post","data":{"op":"x2","feed":"main","text":42}}`, protocol.CodeBadField},
		{"invalid UTF-8", "{\"type\":\"post\",\"data\":{\"op\":\"x3\",\"feed\":\"main\",\"text\":\"a\xc3\x28\"}}", protocol.CodeBadUTF8},
		{"bad feed name", `{"type":"post","data":{"op":"x4","feed":"../etc","text":"hi"}}`, protocol.CodeBadFeed},
		{"text too long", `{"type":"post","data":{"op":"x5","feed":"main","text":"` + strings.Repeat("x", protocol.MaxTextChars+1) + `"}}`, protocol.CodeInvalidText},
		{"edit someone else's post", `{"type":"edit","data":{"op":"x6","feed":"main","id":"` + own.ID + `","text":"pwned"}}`, protocol.CodeForbidden},
		{"delete someone else's post", `{"type":"delete","data":{"op":"x7","feed":"main","id":"` + own.ID + `"}}`, protocol.CodeForbidden},
		{"unknown post", `{"type":"react","data":{"op":"x8","feed":"main","id":"p999","emoji":"👍"}}`, protocol.CodeNotFound},
		{"binary frame", "", protocol.CodeBadJSON},
	}
	m := testnode.DialTransport(t, tn, tb, tr)
	m.Hello()
	for _, tc := range typed {
		if tc.name == "binary frame" && !ws {
			continue // HTTP carries text only
		}
		t.Run(tc.name, func(t *testing.T) {
			m.T = t
			if tc.name == "binary frame" {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				m.WS.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3})
				cancel()
			} else {
				m.SendRaw([]byte(tc.raw))
			}
			e := testnode.Expect[*protocol.Error](m)
			if e.Code != tc.code {
				t.Fatalf("code %s (%s), want %s", e.Code, e.Message, tc.code)
			}
		})
	}
	m.T = t

	// Closing cases (over HTTP there is no connection to close: each
	// gets its error, the next request is served).
	t.Run("oversized frame", func(t *testing.T) {
		c := testnode.DialTransport(t, tn, tb, tr)
		c.Hello()
		c.SendRaw([]byte(`{"type":"post","data":{"op":"big","feed":"main","text":"` + strings.Repeat("y", protocol.MaxFrameBytes) + `"}}`))
		if !ws {
			if e := testnode.Expect[*protocol.Error](c); e.Code != protocol.CodeTooBig {
				t.Fatalf("oversized message: %v, want %s", e, protocol.CodeTooBig)
			}
			return
		}
		_, err := c.Read(5 * time.Second)
		if websocket.CloseStatus(err) != protocol.CloseMessageTooBig {
			t.Fatalf("read after oversized frame: %v, want close %d", err, protocol.CloseMessageTooBig)
		}
	})
	t.Run("frame at the limit", func(t *testing.T) {
		c := testnode.DialTransport(t, tn, tb, tr)
		c.Hello()
		head, tail := `{"type":"post","data":{"op":"edge","feed":"edge","text":"`, `"}}`
		// A text at MaxTextChars of 4-byte characters, padded with
		// spaces (trimmed) up to exactly MaxFrameBytes.
		body := strings.Repeat("😀", protocol.MaxTextChars)
		pad := protocol.MaxFrameBytes - len(head) - len(body) - len(tail)
		frame := head + body + strings.Repeat(" ", pad) + tail
		if len(frame) != protocol.MaxFrameBytes {
			t.Fatalf("frame is %d bytes", len(frame))
		}
		c.SendRaw([]byte(frame))
		if ack := testnode.Expect[protocol.Ack](c); ack.Feed != "edge" {
			t.Fatalf("ack %+v", ack)
		}
	})
	t.Run("too many malformed messages", func(t *testing.T) {
		c := testnode.DialTransport(t, tn, tb, tr)
		if !ws {
			// One request of MaxBadMessages malformed lines and a
			// post: each line its error, then the end of the request.
			var body []byte
			for i := 0; i < protocol.MaxBadMessages; i++ {
				body = append(body, "nope\n"...)
			}
			body = append(body, protocol.MustEncode(protocol.Action{Op: "late", Feed: "main", Text: "x"}.WithKind(protocol.TypePost))...)
			status, replies := uplink(t, tn, tb, protocol.UplinkType, body)
			if status != http.StatusOK || len(replies) != protocol.MaxBadMessages+1 {
				t.Fatalf("HTTP %d, %d replies, want %d", status, len(replies), protocol.MaxBadMessages+1)
			}
			for _, r := range replies {
				if e, ok := r.(*protocol.Error); !ok || e.Code != protocol.CodeBadJSON {
					t.Fatalf("reply %+v, want bad_json", r)
				}
			}
			return
		}
		for i := 0; i < protocol.MaxBadMessages; i++ {
			c.SendRaw([]byte("nope"))
		}
		var err error
		for err == nil {
			_, err = c.Read(5 * time.Second)
		}
		if websocket.CloseStatus(err) != protocol.CloseProtocolError {
			t.Fatalf("got %v, want close %d", err, protocol.CloseProtocolError)
		}
	})
	if !ws {
		testBadHTTPRequests(t, tn, tb)
	}
	t.Run("wrong subprotocol", func(t *testing.T) {
		if !ws {
			t.Skip("WebSocket only: HTTP has no subprotocol")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, tn.WSURL(), &websocket.DialOptions{
			Subprotocols: []string{"livefeed.v0"},
			HTTPHeader:   http.Header{"Authorization": {"Bearer " + tb}},
		})
		if err != nil {
			t.Fatal(err)
		}
		c := &testnode.Client{T: t, WS: ws}
		e := testnode.Expect[*protocol.Error](c)
		if e.Code != protocol.CodeUnsupportedVer {
			t.Fatalf("got %v", e)
		}
		_, err = c.Read(5 * time.Second)
		if websocket.CloseStatus(err) != protocol.CloseUnsupportedVersion {
			t.Fatalf("close %v, want %d", err, protocol.CloseUnsupportedVersion)
		}
	})
	for _, hc := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"missing session", http.Header{}, http.StatusUnauthorized},
		{"forged session", http.Header{"Authorization": {"Bearer " + forge(tb)}}, http.StatusUnauthorized},
		{"session from another key", http.Header{"Authorization": {"Bearer eyJpZCI6InUxIiwibmFtZSI6Ik0iLCJleHAiOjk5OTk5OTk5OTl9.AAAA"}}, http.StatusUnauthorized},
		{"wrong origin", http.Header{"Authorization": {"Bearer " + tb}, "Origin": {"https://evil.example"}}, http.StatusForbidden},
		// The same host over the other scheme is another origin (the
		// library's own check compares hosts only).
		{"same host, other scheme", http.Header{"Authorization": {"Bearer " + tb}, "Origin": {"https://" + strings.TrimPrefix(tn.Srv.URL, "http://")}}, http.StatusForbidden},
		{"another port", http.Header{"Authorization": {"Bearer " + tb}, "Origin": {"http://127.0.0.1:1"}}, http.StatusForbidden},
		// The cookie a browser attaches to a request from a page of
		// another site: refused by its Origin, or, without one, by
		// Sec-Fetch-Site.
		{"cookie, page of another site", http.Header{"Cookie": {auth.CookieName + "=" + tb}, "Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"cookie, cross-site without Origin", http.Header{"Cookie": {auth.CookieName + "=" + tb}, "Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"cookie, same site without Origin", http.Header{"Cookie": {auth.CookieName + "=" + tb}, "Sec-Fetch-Site": {"same-site"}}, http.StatusForbidden},
	} {
		t.Run(hc.name, func(t *testing.T) {
			if !ws {
				// The same rules for both requests of the HTTP transport.
				for _, req := range []*http.Request{
					httptest.NewRequest(http.MethodGet, tn.Srv.URL+protocol.HTTPDownPath+"?mode="+tr+"&live=main", nil),
					httptest.NewRequest(http.MethodPost, tn.Srv.URL+protocol.HTTPUpPath, strings.NewReader(`{"type":"heartbeat","data":{"ts":1,"probe":true}}`)),
				} {
					req.RequestURI = ""
					req.Header = hc.header.Clone()
					req.Header.Set("Content-Type", protocol.UplinkType)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != hc.status {
						t.Fatalf("%s %s: HTTP %d, want %d", req.Method, req.URL.Path, resp.StatusCode, hc.status)
					}
				}
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, resp, err := websocket.Dial(ctx, tn.WSURL(), &websocket.DialOptions{
				Subprotocols: []string{protocol.Subprotocol}, HTTPHeader: hc.header,
			})
			if err == nil || resp == nil || resp.StatusCode != hc.status {
				t.Fatalf("dial: %v, response %v; want HTTP %d", err, resp, hc.status)
			}
		})
	}

	// Nothing stored changed, and the server still serves: the watcher
	// sees the next good post.
	if got := string(tn.SnapshotJSON(t, "main")); got != stored {
		t.Fatalf("stored state changed:\n%s\n%s", stored, got)
	}
	if _, e := a.Act(protocol.TypePost, protocol.Action{Op: "after", Feed: "main", Text: "still here"}); e != nil {
		t.Fatal(e)
	}
	if ev := testnode.Expect[protocol.Event](watcher); ev.Text != "still here" {
		t.Fatalf("watcher got %+v", ev)
	}
}

// forge flips the user id in a token's payload, keeping the signature.
func forge(token string) string {
	p, sig, _ := strings.Cut(token, ".")
	b := []byte(p)
	b[5] ^= 1
	return string(b) + "." + sig
}

func TestRateLimit(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	tok, _ := tn.SignIn(t, "Spammer")
	c := testnode.Dial(t, tn, tok)
	c.Hello()
	// The burst passes; then actions are limited to the rate. The server
	// takes a token as it handles each action, after the previous one's
	// durable append, so tokens come back meanwhile (ActionRate times the
	// time it took): send enough that the burst runs out however slow the
	// disk is (as long as an append takes less than 1/ActionRate).
	const n = 200
	start := time.Now()
	for i := 0; i < n; i++ {
		c.Send(protocol.Action{Op: fmt.Sprintf("s%d", i), Feed: "main", Text: "x"}.WithKind(protocol.TypePost))
	}
	acks, limited := 0, 0
	for acks+limited < n {
		switch m := c.Next().(type) {
		case protocol.Ack:
			acks++
		case *protocol.Error:
			if m.Code != protocol.CodeRateLimited || !m.Temporary || m.RetryAfterMS <= 0 {
				t.Fatalf("error %+v", m)
			}
			limited++
		}
	}
	allowed := gateway.ActionBurst + int(gateway.ActionRate*time.Since(start).Seconds()) + 1
	if acks < gateway.ActionBurst || acks > allowed || limited == 0 {
		t.Fatalf("%d acked, %d limited; want at least the burst (%d), at most %d (burst + rate x elapsed), some limited",
			acks, limited, gateway.ActionBurst, allowed)
	}
}

func TestSlowConsumerIsCutOff(t *testing.T) { eachTransport(t, testSlowConsumerIsCutOff) }

func testSlowConsumerIsCutOff(t *testing.T, tr string) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.SendQueue = 16 })
	tok, u := tn.SignIn(t, "Ada")
	slow := testnode.DialTransport(t, tn, tok, tr)
	slow.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
	testnode.Expect[protocol.Subscribed](slow)
	fast := testnode.DialTransport(t, tn, tok, tr)
	fast.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
	testnode.Expect[protocol.Subscribed](fast)
	// The slow client stops reading. Post 13 MB of events: more than the
	// socket buffers plus 16 queued messages can hold.
	text := strings.Repeat("z", protocol.MaxTextChars)
	const N = 6000
	col := &collector{t: t}
	done := make(chan struct{})
	var read atomic.Int64
	go func() {
		defer close(done)
		for len(col.posts) < N {
			if e, ok := fast.Next().(protocol.Event); ok {
				col.apply(e)
				read.Store(int64(len(col.posts)))
			}
		}
	}()
	for i := 0; i < N; i++ {
		// The writer stays within 8 events of the client that reads, so
		// that one is never more than its queue behind, however slowly
		// the machine runs it; the client that does not read falls
		// behind without bound.
		for int64(i)-read.Load() > 8 {
			select {
			case <-done:
				t.Fatal("the reading client stopped")
			case <-time.After(time.Millisecond):
			}
		}
		a := protocol.Action{Op: fmt.Sprintf("o%d", i), Feed: "main", Text: text}.WithKind(protocol.TypePost)
		if _, err := tn.Service.Do(context.Background(), u, a); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if tr == session.TransportPoll {
		// A poll that is not read is cut the same way, or ends (its
		// linger) with the rest still queued: either way the server
		// keeps no more than its queue for it, and the client, reading
		// again, polls on from where it is and misses nothing.
		if n := tn.Gateway.Stats.SlowConsumers.Load(); n > 1 {
			t.Fatalf("%d slow consumers cut, want at most the one that stopped reading", n)
		}
		scol := &collector{t: t}
		for len(scol.posts) < N {
			switch m := slow.Next().(type) {
			case protocol.Event:
				scol.apply(m)
			case protocol.GoAway:
				t.Logf("the poll was cut (%s) after %d events; polling again", m.Reason, len(scol.posts))
				slow = testnode.DialTransport(t, tn, tok, tr)
				slow.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeResume, Pos: scol.pos})
			}
		}
		return
	}
	// Exactly the client that stopped reading was cut.
	if n := tn.Gateway.Stats.SlowConsumers.Load(); n != 1 {
		t.Fatalf("%d slow consumers cut, want 1", n)
	}
	// The slow client finds its connection closed after what was queued
	// (at most the queue plus socket buffers), with a goaway before it.
	var err error
	got := 0
	sawGoAway := false
	for err == nil {
		var m protocol.Message
		m, err = slow.Read(10 * time.Second)
		switch m := m.(type) {
		case protocol.Event:
			got++
		case protocol.GoAway:
			sawGoAway = m.Reason == "slow_consumer"
		}
	}
	if got >= N {
		t.Fatalf("slow client received all %d events; it should have been cut", got)
	}
	t.Logf("slow client got %d of %d events before the cut (%v), goaway %v", got, N, err, sawGoAway)
}

func TestMetricsEndpoint(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	tok, _ := tn.SignIn(t, "Ada")
	c := testnode.Dial(t, tn, tok)
	c.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeResume, Pos: 0})
	testnode.Expect[protocol.Subscribed](c)
	c.Act(protocol.TypePost, protocol.Action{Op: "m1", Feed: "main", Text: "counted"})
	c.WS.Close(websocket.StatusNormalClosure, "")
	// The close is counted when the server's side of the connection ends:
	// wait for it rather than for a while.
	wants := []string{
		"livefeed_accepts_total 1",
		"livefeed_actions_total 1",
		"livefeed_resumes_total 1",
		`livefeed_closes_total{code="1000"} 1`,
		"livefeed_publish_to_fanout_seconds_count 1",
		"livefeed_log_append_seconds_count 1",
		"livefeed_connections 0",
		"go_goroutines",
	}
	wait.For(t, 10*time.Second, 10*time.Millisecond, func() error {
		resp, err := http.Get(tn.Srv.URL + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var missing []string
		for _, want := range wants {
			if !strings.Contains(string(b), want) {
				missing = append(missing, want)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("/metrics lacks %q", missing)
		}
		return nil
	})
}

// TestOverloadSendsClientsAway: over the connection cap or the accept rate,
// an upgrade gets a goaway with the window to come back in and close 4004.
func TestOverloadSendsClientsAway(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*node.Config)
	}{
		{"connection cap", func(c *node.Config) { c.MaxConns = 1; c.RestartWindow = 4 * time.Second }},
		{"accept rate", func(c *node.Config) { c.AcceptRate = 0.001; c.RestartWindow = 4 * time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := testnode.Start(t, t.TempDir(), tc.mod)
			tok, _ := tn.SignIn(t, "Ada")
			first := testnode.Dial(t, tn, tok) // the cap and the burst allow one
			first.Hello()
			second := testnode.Dial(t, tn, tok)
			g := testnode.Expect[protocol.GoAway](second)
			if g.Reason != "overloaded" || g.RetryMaxMS != 4000 {
				t.Fatalf("goaway %+v", g)
			}
			_, err := second.Read(5 * time.Second)
			if websocket.CloseStatus(err) != protocol.CloseOverloaded {
				t.Fatalf("close %v, want %d", err, protocol.CloseOverloaded)
			}
			if n := tn.Gateway.Stats.Refused.Load(); n != 1 {
				t.Fatalf("refused %d", n)
			}
			// The first connection is unaffected.
			if _, e := first.Act(protocol.TypePost, protocol.Action{Op: "ok", Feed: "main", Text: "still served"}); e != nil {
				t.Fatal(e)
			}
		})
	}
}
