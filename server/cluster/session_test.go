package cluster

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"livefeed/server/internal/softauthn"
	"livefeed/shared/protocol"
)

// sessionRequest sends method /api/session to n with token as bearer and
// returns the status.
func sessionRequest(t *testing.T, n *lfNode, method, token string) int {
	t.Helper()
	req, _ := http.NewRequest(method, n.srv.URL+"/api/session", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func sessionStatus(t *testing.T, n *lfNode, token string) int {
	return sessionRequest(t, n, http.MethodGet, token)
}

func signOutOn(t *testing.T, n *lfNode, token string) {
	t.Helper()
	if st := sessionRequest(t, n, http.MethodDelete, token); st != http.StatusNoContent {
		t.Fatalf("sign out: %d", st)
	}
}

// TestRevocationOnEveryNode: a session signed out on node 1 is refused at
// once by every node, each of which had it cached (a request just before),
// and its WebSockets on the other nodes get an Error signed_out and close
// 4006. Another session stays valid. It prints how long each node took to
// refuse the token after the sign-out returned (polling every 1 ms), over
// several rounds.
func TestRevocationOnEveryNode(t *testing.T) {
	h := newHarness(t, 3)
	otherToken, _ := signIn(t, h.node(0), "Other")
	const rounds = 10
	lat := make([][]time.Duration, 3)
	var sockLat []time.Duration
	for round := 0; round < rounds; round++ {
		token, _ := signIn(t, h.node(round%3), "Ada")
		for i := 0; i < 3; i++ {
			if st := sessionStatus(t, h.node(i), token); st != http.StatusOK {
				t.Fatalf("round %d: node %d answers %d before the sign-out", round, i+1, st)
			}
		}
		// A socket on each of the other two nodes.
		var socks []*client
		for i := 1; i < 3; i++ {
			c := dial(t, h.node(i).wsURL(), token)
			c.hello(t, protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
			socks = append(socks, c)
		}
		signOutOn(t, h.node(0), token)
		out := time.Now()
		// Each node polled in a goroutine of its own, so that one
		// node's figure does not include another's polls.
		var wg sync.WaitGroup
		took := make([]time.Duration, 3)
		for i := 0; i < 3; i++ {
			wg.Go(func() {
				deadline := out.Add(5 * time.Second)
				for sessionStatus(t, h.node(i), token) != http.StatusUnauthorized {
					if time.Now().After(deadline) {
						t.Errorf("round %d: node %d still accepts the revoked token after 5 s", round, i+1)
						return
					}
					time.Sleep(time.Millisecond)
				}
				took[i] = time.Since(out)
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		for i, d := range took {
			lat[i] = append(lat[i], d)
		}
		for _, c := range socks {
			var sawErr bool
			for {
				s, err := c.next(5 * time.Second)
				if err != nil {
					if code := websocket.CloseStatus(err); code != protocol.CloseSignedOut {
						t.Fatalf("round %d: socket ended with %v (code %d), want close %d", round, err, code, protocol.CloseSignedOut)
					}
					break
				}
				if e, ok := s.m.(*protocol.Error); ok && e.Code == protocol.CodeSignedOut {
					sawErr = true
					sockLat = append(sockLat, s.at.Sub(out))
				}
			}
			if !sawErr {
				t.Fatalf("round %d: no %s error before the close", round, protocol.CodeSignedOut)
			}
		}
	}
	for i := 0; i < 3; i++ {
		if st := sessionStatus(t, h.node(i), otherToken); st != http.StatusOK {
			t.Fatalf("node %d refuses a session nobody signed out: %d", i+1, st)
		}
	}
	for i, l := range lat {
		slices.Sort(l)
		t.Logf("node-%d refuses a token signed out on node-1 after: median %v, max %v (%d rounds, 1 ms polling, loaded machine)", i+1, l[len(l)/2], l[len(l)-1], rounds)
	}
	slices.Sort(sockLat)
	t.Logf("sockets on node-2/3 get signed_out after: median %v, max %v (%d sockets)", sockLat[len(sockLat)/2], sockLat[len(sockLat)-1], len(sockLat))
}

// byName is node n's origin by name (a relying party takes no IP address).
func byName(n *lfNode) string {
	return "http://" + strings.Replace(n.addr(), "127.0.0.1", "localhost", 1)
}

// TestPasskeyAcrossNodes: a ceremony begun on one node finishes on
// another (behind one load balancer they share an origin; here the finish
// node's), since ceremonies, accounts and handles are in the shared bucket;
// the handle is then taken on every node.
func TestPasskeyAcrossNodes(t *testing.T) {
	h := newHarness(t, 3)
	post := func(n *lfNode, path string, body []byte) (int, []byte) {
		resp, err := http.Post(byName(n)+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	var c struct {
		Ceremony string
		Options  json.RawMessage
	}
	st, b := post(h.node(0), "/api/account/sign-up/begin", []byte(`{"handle":"nomad","name":"Nomad"}`))
	if st != http.StatusOK || json.Unmarshal(b, &c) != nil {
		t.Fatalf("begin on node-1: %d %s", st, b)
	}
	key := &softauthn.Authenticator{}
	cred, _, err := key.Create(c.Options, byName(h.node(1)))
	if err != nil {
		t.Fatal(err)
	}
	st, b = post(h.node(1), "/api/account/sign-up/finish?ceremony="+c.Ceremony, cred)
	var out struct {
		Token string
		User  protocol.User
	}
	if st != http.StatusOK || json.Unmarshal(b, &out) != nil || out.User.Handle != "nomad" {
		t.Fatalf("finish on node-2: %d %s", st, b)
	}
	for i := 0; i < 3; i++ {
		if st := sessionStatus(t, h.node(i), out.Token); st != http.StatusOK {
			t.Fatalf("node-%d refuses the new account's session: %d", i+1, st)
		}
		if st, b := post(h.node(i), "/api/account/sign-up/begin", []byte(`{"handle":"NOMAD","name":"N"}`)); st != http.StatusConflict {
			t.Fatalf("node-%d lets the handle be taken again: %d %s", i+1, st, b)
		}
	}
	st, b = post(h.node(2), "/api/account/sign-in/begin", nil)
	if st != http.StatusOK || json.Unmarshal(b, &c) != nil {
		t.Fatalf("sign-in begin on node-3: %d %s", st, b)
	}
	assertion, err := key.Get(c.Options, byName(h.node(0)))
	if err != nil {
		t.Fatal(err)
	}
	st, b = post(h.node(0), "/api/account/sign-in/finish?ceremony="+c.Ceremony, assertion)
	var again struct{ User protocol.User }
	if st != http.StatusOK || json.Unmarshal(b, &again) != nil || again.User != out.User {
		t.Fatalf("sign-in finish on node-1: %d %s", st, b)
	}
}
