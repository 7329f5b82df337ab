package cluster

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

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
