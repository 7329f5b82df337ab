package cluster

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"

	"livefeed/shared/protocol"
)

// TestPollsSpreadOverNodes: a balancer with no affinity sends each poll
// of a client to the next node, and each of its uplink POSTs to yet
// another. Each poll names the connection the last welcome gave, which
// only the node that made it knows: the others serve it as a new
// connection. Every post lands once (a retry on a third node is a
// duplicate), and the polls get every event once, in order, with no gap.
func TestPollsSpreadOverNodes(t *testing.T) {
	h := newHarness(t, 3)
	tok, _ := signIn(t, h.node(0), "Ada")
	uplink := func(n *lfNode, a protocol.Action) protocol.Ack {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, n.srv.URL+protocol.HTTPUpPath, bytes.NewReader(protocol.MustEncode(a.WithKind(protocol.TypePost))))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", protocol.UplinkType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m, err := protocol.Decode(bytes.TrimSpace(b))
		ack, ok := m.(protocol.Ack)
		if resp.StatusCode != http.StatusOK || err != nil || !ok {
			t.Fatalf("uplink to %s: HTTP %d %s", n.name, resp.StatusCode, b)
		}
		return ack
	}

	var pos uint64
	var epoch, conn string
	var got, want []string
	poll := func(n *lfNode, cont bool) {
		t.Helper()
		d := protocol.Downlink{Mode: protocol.HTTPPoll, Continued: cont, Conn: conn,
			Subs: []protocol.Sub{{Feed: "main", Mode: protocol.ModeResume, Pos: pos, Epoch: epoch}}}
		req, _ := http.NewRequest(http.MethodGet, n.srv.URL+protocol.HTTPDownPath+"?"+d.Query(), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		r := protocol.NewSSEReader(resp.Body)
		for {
			b, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("poll of %s: %v", n.name, err)
			}
			m, err := protocol.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			switch m := m.(type) {
			case protocol.Welcome:
				if m.Node != n.name || m.Conn == "" || m.Conn == conn {
					t.Fatalf("%s's welcome %+v (the last one named %q)", n.name, m, conn)
				}
				conn = m.Conn
			case protocol.Event:
				if m.Prev != pos {
					t.Fatalf("event %d after %d, its prev is %d", m.Pos, pos, m.Prev)
				}
				pos = m.Pos
				got = append(got, m.Text)
			case protocol.Subscribed:
				pos, epoch = m.Pos, m.Epoch
			case *protocol.Error, protocol.HistoryGone, protocol.GoAway:
				t.Fatalf("poll of %s: %T %+v", n.name, m, m)
			}
		}
	}
	const rounds = 9
	for i := range rounds {
		text := fmt.Sprintf("spread %d", i)
		a := protocol.Action{Op: fmt.Sprintf("spread%d", i), Feed: "main", Text: text}
		if ack := uplink(h.node((i+1)%3), a); ack.Duplicate {
			t.Fatalf("first post of %q acked as a duplicate", text)
		}
		if ack := uplink(h.node((i+2)%3), a); !ack.Duplicate {
			t.Fatalf("the retry of %q on another node is not a duplicate: %+v", text, ack)
		}
		want = append(want, text)
		poll(h.node(i%3), i > 0)
	}
	for i := 0; len(got) < rounds; i++ {
		if i > 3*rounds {
			t.Fatalf("after %d more polls got %v", i, got)
		}
		poll(h.node(i%3), true)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
