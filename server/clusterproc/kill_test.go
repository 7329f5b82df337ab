package clusterproc

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
)

// TestNATSServerKilledWhilePosting SIGKILLs the NATS server leading the
// stream (the worst case: appends wait for a new election) while writers
// post through two nodes, then starts it again: every acknowledged post is
// on every node exactly once, and both nodes are ready again (none exited).
func TestNATSServerKilledWhilePosting(t *testing.T) {
	c := newCluster(t, true)
	nodes := []*testnode.Process{c.startNode(), c.startNode()}
	const writers, posts = 4, 30
	var mu sync.Mutex
	acked := map[string]bool{}
	done := writeConcurrently(t, nodes, writers, posts, "w", 30*time.Millisecond, func(text string) {
		mu.Lock()
		acked[text] = true
		mu.Unlock()
	})
	// Kill the leader once the writers are under way.
	wait.Until(t, 30*time.Second, "the first posts", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= writers*posts/5
	})
	leader := c.nats.StreamLeader("LIVEFEED")
	if leader < 0 {
		t.Fatal("no stream leader")
	}
	c.nats.Kill(leader)
	killed := time.Now()
	time.Sleep(2 * time.Second)
	if err := c.nats.Start(leader); err != nil {
		t.Fatal(err)
	}
	done()
	t.Logf("%d posts acknowledged in %v; the stream leader (%s) was SIGKILLed after the first fifth and restarted 2 s later",
		len(acked), time.Since(killed).Round(time.Millisecond), c.nats.Servers[leader].Name)
	for i, n := range nodes {
		wait.For(t, 60*time.Second, 50*time.Millisecond, func() error {
			if !n.Ready() {
				return fmt.Errorf("node %d not ready", i+1)
			}
			s, err := snapshot(n, "main")
			if err != nil {
				return err
			}
			got := postTexts(s)
			for text := range acked {
				if got[text] != 1 {
					return fmt.Errorf("node %d has acknowledged post %q %d times", i+1, text, got[text])
				}
			}
			if len(got) != len(acked) {
				return fmt.Errorf("node %d has %d posts, %d acknowledged", i+1, len(got), len(acked))
			}
			return nil
		})
	}
}
