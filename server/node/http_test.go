package node_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// uplink posts body to the HTTP transport's uplink with token and returns
// the status and the replies.
func uplink(t *testing.T, tn *testnode.Node, token, contentType string, body []byte) (int, []protocol.Message) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, tn.Srv.URL+protocol.HTTPUpPath, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	var out []protocol.Message
	for line := range bytes.Lines(b) {
		m, err := protocol.Decode(bytes.TrimSpace(line))
		if err != nil {
			t.Fatalf("reply %q: %v", line, err)
		}
		out = append(out, m)
	}
	return resp.StatusCode, out
}

// downlinkStatus returns the status of a downlink request with query and
// Last-Event-ID lastID (empty: none).
func downlinkStatus(t *testing.T, tn *testnode.Node, token, query, lastID string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, tn.Srv.URL+protocol.HTTPDownPath+"?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// testBadHTTPRequests: what only the HTTP transport can get wrong, each
// at its limit, gets a clear status and error and applies nothing.
func testBadHTTPRequests(t *testing.T, tn *testnode.Node, token string) {
	post := func(i int) []byte {
		return protocol.MustEncode(protocol.Action{Op: fmt.Sprintf("batch%d", i), Feed: "batch", Text: "x"}.WithKind(protocol.TypePost))
	}
	batch := func(n int) []byte {
		var b [][]byte
		for i := range n {
			b = append(b, post(i))
		}
		return bytes.Join(b, []byte("\n"))
	}
	t.Run("uplink without its content type", func(t *testing.T) {
		// Every type a form or a no-cors fetch of another page can send
		// without the browser asking first (CSRF), and none.
		for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", ""} {
			if status, _ := uplink(t, tn, token, ct, post(0)); status != http.StatusUnsupportedMediaType {
				t.Fatalf("%q: HTTP %d, want 415", ct, status)
			}
		}
	})
	t.Run("uplink over MaxUplinkMessages", func(t *testing.T) {
		if status, _ := uplink(t, tn, token, protocol.UplinkType, batch(protocol.MaxUplinkMessages+1)); status != http.StatusRequestEntityTooLarge {
			t.Fatalf("HTTP %d, want 413", status)
		}
		if got := tn.Service.View().Snapshot("batch"); len(got.Posts) != 0 {
			t.Fatalf("%d posts applied from a refused request", len(got.Posts))
		}
	})
	t.Run("uplink at MaxUplinkMessages", func(t *testing.T) {
		status, replies := uplink(t, tn, token, protocol.UplinkType, batch(protocol.MaxUplinkMessages))
		if status != http.StatusOK || len(replies) != protocol.MaxUplinkMessages {
			t.Fatalf("HTTP %d, %d replies", status, len(replies))
		}
		acks := 0
		for _, r := range replies {
			if _, ok := r.(protocol.Ack); ok {
				acks++
			}
		}
		// The action rate limit applies as over a WebSocket: its burst
		// is acked, the rest is rate_limited.
		if acks == 0 {
			t.Fatalf("no ack in %+v", replies)
		}
	})
	t.Run("uplink over MaxUplinkBytes", func(t *testing.T) {
		body := bytes.Repeat([]byte("x"), protocol.MaxUplinkBytes+1)
		if status, _ := uplink(t, tn, token, protocol.UplinkType, body); status != http.StatusRequestEntityTooLarge {
			t.Fatalf("HTTP %d, want 413", status)
		}
	})
	t.Run("subscribe over the uplink", func(t *testing.T) {
		status, replies := uplink(t, tn, token, protocol.UplinkType, protocol.MustEncode(protocol.Subscribe{Sub: protocol.Sub{Feed: "main", Mode: protocol.ModeLive}}))
		if status != http.StatusOK || len(replies) != 1 {
			t.Fatalf("HTTP %d, %d replies", status, len(replies))
		}
		if e, ok := replies[0].(*protocol.Error); !ok || e.Code != protocol.CodeUnknownType || !strings.Contains(e.Message, protocol.HTTPDownPath) {
			t.Fatalf("reply %+v", replies[0])
		}
	})
	subs := func(n int) string {
		var q []string
		for i := range n {
			q = append(q, fmt.Sprintf("live=f%d", i))
		}
		return strings.Join(q, "&")
	}
	for _, tc := range []struct {
		name, query, lastID string
		status              int
	}{
		{"no mode", "live=main", "", http.StatusBadRequest},
		{"unknown mode", "mode=socket&live=main", "", http.StatusBadRequest},
		{"resume without a position", "mode=poll&resume=main", "", http.StatusBadRequest},
		{"bad feed name", "mode=poll&live=..%2Fetc", "", http.StatusBadRequest},
		{"a feed twice", "mode=poll&live=main&snapshot=main", "", http.StatusBadRequest},
		{"over MaxSubscriptions", "mode=poll&" + subs(protocol.MaxSubscriptions+1), "", http.StatusBadRequest},
		{"bad Last-Event-ID", "mode=poll&live=main", "main=3", http.StatusBadRequest},
	} {
		t.Run("downlink: "+tc.name, func(t *testing.T) {
			if status := downlinkStatus(t, tn, token, tc.query, tc.lastID); status != tc.status {
				t.Fatalf("HTTP %d, want %d", status, tc.status)
			}
		})
	}
	t.Run("downlink at MaxSubscriptions", func(t *testing.T) {
		c := testnode.DialHTTP(t, tn.Srv.URL, token, protocol.HTTPPoll)
		var all []protocol.Sub
		for i := range protocol.MaxSubscriptions {
			all = append(all, protocol.Sub{Feed: fmt.Sprintf("f%d", i), Mode: protocol.ModeLive})
		}
		c.Hello(all...)
		for range all {
			testnode.Expect[protocol.Subscribed](c)
		}
	})
}

// TestPollEnds: a poll that continues a connection and gets nothing is
// held PollHold and ends with what every poll begins with; one that gets
// an event ends with it, before the hold is over; the first poll of a
// connection ends with its welcome.
func TestPollEnds(t *testing.T) {
	const hold = 1500 * time.Millisecond
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.PollHold = hold })
	token, u := tn.SignIn(t, "Ada")
	poll := func(query string) (string, time.Duration) {
		req, _ := http.NewRequest(http.MethodGet, tn.Srv.URL+protocol.HTTPDownPath+"?mode=poll&"+query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), time.Since(start)
	}
	body, took := poll("cont=1&live=main")
	if took < hold || !strings.Contains(body, `"type":"welcome"`) || !strings.Contains(body, `"type":"subscribed"`) || strings.Contains(body, `"type":"event"`) {
		t.Fatalf("an empty poll took %v (hold %v):\n%s", took, hold, body)
	}
	if !strings.Contains(body, fmt.Sprintf(`"heartbeat_ms":%d`, hold.Milliseconds())) {
		t.Fatalf("a poll's welcome does not announce the hold as its heartbeat:\n%s", body)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		tn.Service.Do(context.Background(), u, protocol.Action{Op: "p1", Feed: "main", Text: "news"}.WithKind(protocol.TypePost))
	}()
	body, took = poll("cont=1&live=main")
	if took >= hold || !strings.Contains(body, `"text":"news"`) {
		t.Fatalf("a poll with an event took %v (hold %v):\n%s", took, hold, body)
	}
	if !strings.Contains(body, "id: main:") {
		t.Fatalf("the event has no cursor:\n%s", body)
	}
	body, took = poll("live=main")
	if took >= hold || !strings.Contains(body, `"type":"welcome"`) {
		t.Fatalf("a first poll took %v (hold %v):\n%s", took, hold, body)
	}
}

// sseStream is one raw downlink response, read event by event; as the
// wire of a testnode.Client it reads messages (and writes nothing).
type sseStream struct {
	resp *http.Response
	r    *protocol.SSEReader
}

// Read implements session.Conn: the next event's data (the response's
// deadline is its request's, see openStream).
func (s *sseStream) Read(context.Context) ([]byte, error) { return s.r.Next() }

func (s *sseStream) Write(context.Context, []byte) error {
	return errors.New("a downlink carries nothing up")
}

func (s *sseStream) Close(int, string) { s.resp.Body.Close() }

// openStream opens a downlink with query and Last-Event-ID lastID (empty:
// none) through client (nil: http.DefaultClient), for at most 30 s; it
// is closed when the test ends.
func openStream(t *testing.T, client *http.Client, baseURL, token, query, lastID string) (*testnode.Client, *sseStream) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+protocol.HTTPDownPath+"?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("downlink: HTTP %d %s", resp.StatusCode, b)
	}
	s := &sseStream{resp: resp, r: protocol.NewSSEReader(resp.Body)}
	return &testnode.Client{T: t, Wire: s}, s
}

// TestStreamCursorNamesTheEpoch: the id of every server-sent event (a
// browser's Last-Event-ID) carries the log's epoch beside the positions,
// so that a cursor of a log that was since recreated (its positions
// numbered from 1 again, past the cursor's) gets history_gone and a
// snapshot of the new log instead of a resume from a position of the old
// one; a cursor of the same log resumes. The recreated log is a second
// node's, on a data directory of its own: another log, another epoch.
func TestStreamCursorNamesTheEpoch(t *testing.T) {
	old := testnode.Start(t, t.TempDir(), nil)
	fresh := testnode.Start(t, t.TempDir(), nil)
	if old.Service.Epoch() == fresh.Service.Epoch() {
		t.Fatal("two logs of one epoch")
	}
	tokOld, uOld := old.SignIn(t, "Ada")
	tok, u := fresh.SignIn(t, "Ada")
	post := func(tn *testnode.Node, u protocol.User, n int, prefix string) {
		for i := range n {
			a := protocol.Action{Op: fmt.Sprintf("%s%d", prefix, i), Feed: "main", Text: fmt.Sprintf("%s %d", prefix, i)}.WithKind(protocol.TypePost)
			if _, err := tn.Service.Do(context.Background(), u, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	post(old, uOld, 3, "old")
	post(fresh, u, 6, "new")

	c, s := openStream(t, nil, old.Srv.URL, tokOld, "mode=stream&resume=main:0", "")
	if w := testnode.Expect[protocol.Welcome](c); w.Epoch != old.Service.Epoch() {
		t.Fatalf("the downlink's welcome has epoch %q, want %q", w.Epoch, old.Service.Epoch())
	}
	for range 3 {
		testnode.Expect[protocol.Event](c)
	}
	sub := testnode.Expect[protocol.Subscribed](c)
	cursor := s.r.LastID
	if want := fmt.Sprintf("main:%d;%s", sub.Pos, old.Service.Epoch()); cursor != want {
		t.Fatalf("cursor %q, want %q", cursor, want)
	}

	// The old log's cursor at the new log: a snapshot, not a resume.
	c, s = openStream(t, nil, fresh.Srv.URL, tok, "mode=stream&resume=main:0", cursor)
	testnode.Expect[protocol.Welcome](c)
	testnode.Expect[protocol.HistoryGone](c)
	snap := testnode.Expect[protocol.Snapshot](c)
	if len(snap.Posts) != 6 || snap.Epoch != fresh.Service.Epoch() {
		t.Fatalf("snapshot of %d posts, epoch %q; want 6 of %q", len(snap.Posts), snap.Epoch, fresh.Service.Epoch())
	}
	testnode.Expect[protocol.Subscribed](c)
	cursor = s.r.LastID

	// The new log's own cursor resumes there.
	post(fresh, u, 1, "more")
	c, s = openStream(t, nil, fresh.Srv.URL, tok, "mode=stream&resume=main:0", cursor)
	testnode.Expect[protocol.Welcome](c)
	if ev := testnode.Expect[protocol.Event](c); ev.Text != "more 0" {
		t.Fatalf("resumed with %+v", ev)
	}
	testnode.Expect[protocol.Subscribed](c)
}

// TestPollsAfterAResetLogSnapshotOnce: a client whose positions are of a
// log since recreated (a resume naming another epoch) gets history_gone
// and a snapshot on its first poll, and its next polls continue in the
// new log's epoch: no snapshot on every poll.
func TestPollsAfterAResetLogSnapshotOnce(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.PollHold = 100 * time.Millisecond })
	tok, u := tn.SignIn(t, "Ada")
	for i := range 3 {
		a := protocol.Action{Op: fmt.Sprintf("p%d", i), Feed: "main", Text: "x"}.WithKind(protocol.TypePost)
		if _, err := tn.Service.Do(context.Background(), u, a); err != nil {
			t.Fatal(err)
		}
	}
	c := testnode.DialHTTP(t, tn.Srv.URL, tok, protocol.HTTPPoll)
	c.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeResume, Pos: 2, Epoch: "an-old-log"})
	testnode.Expect[protocol.HistoryGone](c)
	testnode.Expect[protocol.Snapshot](c)
	testnode.Expect[protocol.Subscribed](c)
	const polls = 5
	until := tn.Gateway.Stats.HTTPDownlinks.Load() + polls
	for tn.Gateway.Stats.HTTPDownlinks.Load() < until {
		m, err := c.Read(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		switch m.(type) {
		case protocol.Heartbeat, protocol.Presence:
		default:
			t.Fatalf("a later poll sent %T %+v", m, m)
		}
	}
}

// TestDownlinkKeepsItsMembership: a client that polls keeps its place in
// the feed from one poll to the next (the next names the connection its
// welcome gave): over many polls its user never goes offline and comes
// back for the others; a poller gone for longer than DownlinkGrace goes
// offline once, and the others see it.
func TestDownlinkKeepsItsMembership(t *testing.T) {
	const grace = time.Second
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) {
		c.PollHold = 50 * time.Millisecond
		c.DownlinkGrace = grace
	})
	tokA, _ := tn.SignIn(t, "Ada")
	tokB, _ := tn.SignIn(t, "Bob")
	watcher := testnode.Dial(t, tn, tokB)
	watcher.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
	testnode.Expect[protocol.Subscribed](watcher)
	poller := testnode.DialHTTP(t, tn.Srv.URL, tokA, protocol.HTTPPoll)
	if w := poller.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive}); w.Conn == "" {
		t.Fatalf("a poll's welcome names no connection: %+v", w)
	}
	testnode.Expect[protocol.Subscribed](poller)
	arrivals, departures := tn.Hub.PresenceChanges()
	const polls = 20
	until := tn.Gateway.Stats.HTTPDownlinks.Load() + polls
	for tn.Gateway.Stats.HTTPDownlinks.Load() < until {
		if _, err := poller.Read(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if a, d := tn.Hub.PresenceChanges(); a != arrivals || d != departures {
		t.Fatalf("over %d polls the poller went offline %d times and came back %d times", polls, d-departures, a-arrivals)
	}
	if p := tn.Hub.Presence("main"); p.Count != 2 {
		t.Fatalf("presence %+v", p)
	}

	// The poller goes away: it is offline once its grace is over.
	poller.Wire.Close(protocol.CloseNormal, "gone")
	wait.Until(t, 20*grace, "the poller offline", func() bool { return tn.Hub.Presence("main").Count == 1 })
	if a, d := tn.Hub.PresenceChanges(); a != arrivals || d != departures+1 {
		t.Fatalf("the poller went offline %d times and came back %d times, want once and never", d-departures, a-arrivals)
	}
	for {
		m, err := watcher.Read(10 * time.Second)
		if err != nil {
			t.Fatalf("the watcher did not see the poller go: %v", err)
		}
		if p, ok := m.(protocol.Presence); ok && p.Count == 1 && p.Online[0].Name == "Bob" {
			break
		}
	}
}

// TestDownlinkOfAnotherNode: a downlink naming a connection this node
// does not know (another node's, or one past its grace) is served as a
// new connection, with a connection of its own.
func TestDownlinkOfAnotherNode(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.PollHold = 50 * time.Millisecond })
	tok, _ := tn.SignIn(t, "Ada")
	c, _ := openStream(t, nil, tn.Srv.URL, tok, "mode=poll&live=main&cont=1&conn=0123456789abcdef0123456789abcdef", "")
	w := testnode.Expect[protocol.Welcome](c)
	if w.Conn == "" || w.Conn == "0123456789abcdef0123456789abcdef" {
		t.Fatalf("welcome %+v", w)
	}
	testnode.Expect[protocol.Subscribed](c)
}

// TestDownlinkGoAwayOnRestart: a node that shuts down ends every HTTP
// downlink, a stream and a held poll, with a goaway (restart, its window)
// before the response ends, as it closes a WebSocket.
func TestDownlinkGoAwayOnRestart(t *testing.T) {
	for _, mode := range []string{protocol.HTTPStream, protocol.HTTPPoll} {
		t.Run(mode, func(t *testing.T) {
			const window = 3 * time.Second
			tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.RestartWindow = window })
			tok, _ := tn.SignIn(t, "Ada")
			// cont=1: the poll's welcome is no news, so it is held.
			c, s := openStream(t, nil, tn.Srv.URL, tok, "mode="+mode+"&live=main&cont=1", "")
			testnode.Expect[protocol.Welcome](c)
			testnode.Expect[protocol.Subscribed](c)
			stopped := make(chan error, 1)
			go func() { stopped <- tn.Node.Shutdown(context.Background()) }()
			g := testnode.Expect[protocol.GoAway](c)
			if g.Reason != "restart" || g.RetryMaxMS != window.Milliseconds() {
				t.Fatalf("goaway %+v", g)
			}
			if _, err := s.r.Next(); err != io.EOF {
				t.Fatalf("after the goaway: %v, want the response's end", err)
			}
			if err := <-stopped; err != nil {
				t.Fatal(err)
			}
		})
	}
}
