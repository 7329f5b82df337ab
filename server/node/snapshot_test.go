package node_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"livefeed/server/eventlog"
	"livefeed/server/internal/testnode"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// TestWorstFeedLoads: the feed of issue 12 (500 posts of 2,000 '<', four
// users with 40-character names giving all six reactions to each) reaches a
// new subscriber, whose read limit is MaxClientReadBytes, as one bounded
// snapshot. Before, it was 9.4 MB: over the limit, the client looped on
// reconnecting and the server paid a 9.4 MB encode per retry.
func TestWorstFeedLoads(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.Sync = eventlog.SyncPeriodic })
	ctx := context.Background()
	users := make([]protocol.User, 4)
	for i := range users {
		users[i] = protocol.User{ID: fmt.Sprintf("u%d", i), Name: fmt.Sprint(i) + strings.Repeat("<", protocol.MaxNameChars-1)}
	}
	op := 0
	do := func(u protocol.User, kind string, a protocol.Action) protocol.Ack {
		op++
		a.Op, a.Feed = fmt.Sprint("o", op), "worst"
		ack, err := tn.Service.Do(ctx, u, a.WithKind(kind))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		return ack
	}
	start := time.Now()
	for i := range protocol.MaxSnapshotPosts {
		ack := do(users[i%4], protocol.TypePost, protocol.Action{Text: strings.Repeat("<", protocol.MaxTextChars)})
		for _, e := range protocol.Reactions {
			for _, u := range users {
				do(u, protocol.TypeReact, protocol.Action{ID: ack.ID, Emoji: e})
			}
		}
	}
	t.Logf("%d actions in %s", op, time.Since(start).Round(time.Millisecond))

	tok, _ := tn.SignIn(t, "Newcomer")
	c := testnode.Dial(t, tn, tok) // read limit MaxClientReadBytes, as the app's
	c.Hello(protocol.Sub{Feed: "worst", Mode: protocol.ModeSnapshot})
	snap := testnode.Expect[protocol.Snapshot](c)
	if len(snap.Posts) == 0 || !snap.Truncated {
		t.Fatalf("snapshot of %d posts, truncated %v", len(snap.Posts), snap.Truncated)
	}
	b := protocol.MustEncode(snap)
	t.Logf("snapshot: %d posts, %d bytes, truncated", len(snap.Posts), len(b))
	if len(b) > protocol.MaxSnapshotBytes {
		t.Fatalf("snapshot %d bytes > MaxSnapshotBytes", len(b))
	}
	testnode.Expect[protocol.Subscribed](c)
	// Live from there: a new post arrives as an event.
	do(users[0], protocol.TypePost, protocol.Action{Text: "after"})
	if ev := testnode.Expect[protocol.Event](c); ev.Text != "after" {
		t.Fatalf("event %+v", ev)
	}
}
