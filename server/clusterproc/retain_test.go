package clusterproc

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
)

// TestRetentionClusterWide runs three nodes that all carry --retain while
// writers post through each: one node (the lease holder) compacts, the log
// is trimmed, none logs a failed compaction, and a node started afterwards
// restores the snapshot and has every post. Before compaction was a
// cluster-wide decision every node compacted on its own.
func TestRetentionClusterWide(t *testing.T) {
	const retain, writers, posts = 30, 3, 60
	c := newCluster(t, true)
	var nodes []*testnode.Process
	for range 3 {
		nodes = append(nodes, c.startNode("--retain", fmt.Sprint(retain), "--log-level", "info"))
	}
	writeConcurrently(t, nodes, writers, posts, "r", 0, func(string) {})()
	// Compaction is tried as records are applied: go on posting (a post
	// every 100 ms) until the log is trimmed.
	total := writers * posts
	tok := signIn(t, nodes[0], "retainer-last")
	wait.For(t, 30*time.Second, 100*time.Millisecond, func() error {
		if first, _ := c.nats.StreamBounds("LIVEFEED"); first > 1 {
			return nil
		}
		text := fmt.Sprintf("r-extra-%d", total)
		postRetry(t, nodes[0], tok, "main", "op-"+text, text)
		total++
		return errors.New("the log is not trimmed yet")
	})
	late := c.startNode("--log-level", "info")
	for i, n := range append(nodes, late) {
		wait.For(t, 30*time.Second, 50*time.Millisecond, func() error {
			s, err := snapshot(n, "main")
			if err != nil {
				return err
			}
			if got := postTexts(s); len(got) != total {
				return fmt.Errorf("node %d has %d posts, want %d", i+1, len(got), total)
			}
			return nil
		})
	}
	var compacted []string
	for i, n := range nodes {
		out := n.Output()
		if strings.Contains(out, `"msg":"compaction failed"`) {
			t.Errorf("node %d: a compaction failed:\n%s", i+1, tail(out, 3000))
		}
		if k := strings.Count(out, `"msg":"compacted log"`); k > 0 {
			compacted = append(compacted, fmt.Sprintf("lf-%d (%d times)", i+1, k))
		}
	}
	if len(compacted) != 1 {
		t.Fatalf("nodes that compacted: %v; want exactly one (the lease holder)", compacted)
	}
	first, last := c.nats.StreamBounds("LIVEFEED")
	t.Logf("%d posts, --retain %d on 3 nodes: compacted by %v; the log holds %d..%d", total, retain, compacted, first, last)
}
