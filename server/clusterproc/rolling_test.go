package clusterproc

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"livefeed/app/session"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
)

// Rolling restart: how many clients per node, and how often each posts.
const (
	rollClientsPerNode = 2
	rollPostEvery      = 150 * time.Millisecond
)

// TestRollingRestart restarts every node in turn (SIGTERM: goaway with its
// restart window, then the same binary started again, as an upgrade does)
// while clients of every node post and read. Nothing acknowledged is lost
// or doubled, in the log or in any client's feed, and each client
// reconnects about once: when its node restarts.
func TestRollingRestart(t *testing.T) {
	c := newCluster(t, true)
	nodes := []*testnode.Process{c.startNode(), c.startNode(), c.startNode()}
	type client struct {
		node int
		s    *session.Session
		ops  []string
	}
	var clients []*client
	for i, n := range nodes {
		for k := range rollClientsPerNode {
			tok := signIn(t, n, fmt.Sprintf("roller%d-%d", i, k))
			s, _ := runSession(t, n, tok, session.NewMemoryStore())
			clients = append(clients, &client{node: i, s: s})
		}
	}
	for _, cl := range clients {
		waitPos(t, cl.s, 0)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for ci, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(rollPostEvery):
				}
				op, err := cl.s.Post("main", fmt.Sprintf("c%d-%d", ci, i))
				if err != nil {
					t.Errorf("client %d: %v", ci, err)
					return
				}
				cl.ops = append(cl.ops, op)
			}
		}()
	}
	time.Sleep(time.Second)
	start := time.Now()
	for i, n := range nodes {
		n.Signal(syscall.SIGTERM)
		n.Start()
		t.Logf("node %d restarted (%v into the roll)", i+1, time.Since(start).Round(time.Millisecond))
		time.Sleep(time.Second)
	}
	close(stop)
	wg.Wait()

	// Every post acknowledged; the log holds each once; every client's
	// feed has each once.
	texts := map[string]bool{}
	for ci, cl := range clients {
		for i, op := range cl.ops {
			waitAck(t, cl.s, op)
			texts[fmt.Sprintf("c%d-%d", ci, i)] = true
		}
	}
	snap, err := snapshot(nodes[0], "main")
	if err != nil {
		t.Fatal(err)
	}
	stored := postTexts(snap)
	var report []string
	for ci, cl := range clients {
		var lost, doubled int
		wait.For(t, 30*time.Second, 20*time.Millisecond, func() error {
			seen := map[string]int{}
			for _, p := range cl.s.Feed("main").Posts {
				seen[p.Text]++
			}
			lost, doubled = 0, 0
			for text := range texts {
				switch seen[text] {
				case 0:
					lost++
				case 1:
				default:
					doubled++
				}
			}
			if lost+doubled > 0 {
				return fmt.Errorf("client %d: %d posts missing, %d doubled", ci, lost, doubled)
			}
			return nil
		})
		st := cl.s.Status().Stats
		report = append(report, fmt.Sprintf("client %d (node %d): posts %d, lost %d, doubled %d, reconnects %d",
			ci, cl.node+1, len(cl.ops), lost, doubled, st.Reconnects))
		if st.Reconnects < 1 || st.Reconnects > 2 {
			t.Errorf("client %d reconnected %d times; its node restarted once", ci, st.Reconnects)
		}
	}
	for text := range texts {
		if stored[text] != 1 {
			t.Errorf("the log has post %q %d times", text, stored[text])
		}
	}
	if len(stored) != len(texts) {
		t.Errorf("the log has %d posts, %d acknowledged", len(stored), len(texts))
	}
	t.Logf("rolling restart of 3 nodes under load, %d posts in all:\n%s", len(texts), strings.Join(report, "\n"))
}
