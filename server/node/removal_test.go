package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"livefeed/server/eventlog"
	"livefeed/server/internal/testnode"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

const adminToken = "0123456789abcdef0123456789abcdef"

func removeFeed(t *testing.T, tn *testnode.Node, feed, token, op string) (int, map[string]any) {
	t.Helper()
	resp, b := testnode.Request(t, "DELETE", tn.Srv.URL+"/api/feeds/"+feed+"?op="+op, token, "")
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// TestRemoveFeed: an operator removes a feed; its follower gets a "removed"
// event and the posts are gone from every snapshot; a retry with the same op
// changes nothing; a later post starts the feed anew, continuing the chain.
// Without the admin token nothing happens.
func TestRemoveFeed(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.AdminToken = adminToken })
	tok, _ := tn.SignIn(t, "Ada")
	a := testnode.Dial(t, tn, tok)
	a.Hello(protocol.Sub{Feed: "gone", Mode: protocol.ModeLive})
	testnode.Expect[protocol.Subscribed](a)
	for i := range 3 {
		if _, e := a.Act(protocol.TypePost, protocol.Action{Op: fmt.Sprint("p", i), Feed: "gone", Text: "spam"}); e != nil {
			t.Fatal(e)
		}
	}
	if code, _ := removeFeed(t, tn, "gone", "", "rm1"); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := removeFeed(t, tn, "gone", strings.Repeat("x", 32), "rm1"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	code, out := removeFeed(t, tn, "gone", adminToken, "rm1")
	if code != http.StatusOK {
		t.Fatalf("remove: %d %v", code, out)
	}
	pos := uint64(out["pos"].(float64))
	var ev protocol.Event
	for ev.Kind != protocol.KindRemoved {
		ev = testnode.Expect[protocol.Event](a)
	}
	if ev.Pos != pos {
		t.Fatalf("removed event at %d, removal acknowledged at %d", ev.Pos, pos)
	}
	if snap := tn.Service.View().Snapshot("gone"); len(snap.Posts) != 0 || snap.Pos != pos {
		t.Fatalf("snapshot after removal: %+v", snap)
	}
	if code, out := removeFeed(t, tn, "gone", adminToken, "rm1"); code != http.StatusOK || uint64(out["pos"].(float64)) != pos {
		t.Fatalf("retry of the same removal: %d %v", code, out)
	}
	if code, _ := removeFeed(t, tn, "gone", adminToken, "rm2"); code != http.StatusNotFound {
		t.Fatalf("removing a removed feed: %d", code)
	}
	ack, e := a.Act(protocol.TypePost, protocol.Action{Op: "again", Feed: "gone", Text: "fresh start"})
	if e != nil || ack.Event.Prev != pos {
		t.Fatalf("post after removal: %+v %v (prev want %d)", ack, e, pos)
	}
	if snap := tn.Service.View().Snapshot("gone"); len(snap.Posts) != 1 || snap.Posts[0].Text != "fresh start" {
		t.Fatalf("snapshot after a new post: %+v", snap)
	}
}

// TestRemovingAFeedFreesItsPlace: with MaxFeeds feeds, a new one is refused
// (too_many_feeds); once an operator removes one, a new feed can be made.
// This is what an operator does when the cap is reached.
func TestRemovingAFeedFreesItsPlace(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) {
		c.AdminToken, c.Sync, c.NewFeedRate = adminToken, eventlog.SyncPeriodic, -1
	})
	u := protocol.User{ID: "u1", Name: "Filler"}
	post := func(feed string) error {
		_, err := tn.Service.Do(context.Background(), u, protocol.Action{Op: "o-" + feed, Feed: feed, Text: "x"}.WithKind(protocol.TypePost))
		return err
	}
	for i := range protocol.MaxFeeds {
		if err := post(fmt.Sprint("f", i)); err != nil {
			t.Fatalf("feed %d: %v", i, err)
		}
	}
	err := post("one-more")
	if e, ok := protocol.AsError(err); !ok || e.Code != protocol.CodeTooManyFeeds {
		t.Fatalf("feed %d: %v, want too_many_feeds", protocol.MaxFeeds+1, err)
	}
	if code, out := removeFeed(t, tn, "f7", adminToken, "rm"); code != http.StatusOK {
		t.Fatalf("remove: %d %v", code, out)
	}
	if err := post("one-more"); err != nil {
		t.Fatalf("a new feed after a removal: %v", err)
	}
	if err := post("and-another"); err == nil {
		t.Fatal("the cap no longer holds after the freed place was taken")
	}
}

// TestRemoveFeedDisabled: without an admin token the endpoint answers 404.
func TestRemoveFeedDisabled(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	if code, _ := removeFeed(t, tn, "main", adminToken, "x"); code != http.StatusNotFound {
		t.Fatalf("%d", code)
	}
}
