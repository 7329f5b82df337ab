package node_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"livefeed/server/internal/testnode"
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
		if status, _ := uplink(t, tn, token, "application/x-www-form-urlencoded", post(0)); status != http.StatusUnsupportedMediaType {
			t.Fatalf("HTTP %d, want 415", status)
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
