package session

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"livefeed/shared/protocol"
)

func TestFeedApplyContinuity(t *testing.T) {
	ada := protocol.User{ID: "u1", Name: "Ada"}
	f := &Feed{Name: "main"}
	f.Reset(protocol.Snapshot{Feed: "main", Pos: 10, Posts: []protocol.Post{{ID: "p10", Text: "ten", Pos: 10}}})
	steps := []struct {
		e    protocol.Event
		want Applied
	}{
		{protocol.Event{Feed: "main", Pos: 12, Prev: 10, Kind: protocol.KindPost, ID: "p12", Text: "twelve", Author: ada}, AppliedOK},
		{protocol.Event{Feed: "main", Pos: 12, Prev: 10, Kind: protocol.KindPost, ID: "p12", Text: "twelve", Author: ada}, AppliedDup},
		{protocol.Event{Feed: "main", Pos: 11, Prev: 10, Kind: protocol.KindPost, ID: "p11"}, AppliedDup},
		{protocol.Event{Feed: "main", Pos: 20, Prev: 15, Kind: protocol.KindPost, ID: "p20"}, AppliedGap},
		{protocol.Event{Feed: "main", Pos: 21, Prev: 12, Kind: protocol.KindReact, ID: "p12", Emoji: "👍", On: true, Author: ada}, AppliedOK},
		{protocol.Event{Feed: "main", Pos: 22, Prev: 21, Kind: protocol.KindEdit, ID: "p10", Text: "TEN", Time: 5}, AppliedOK},
		{protocol.Event{Feed: "main", Pos: 23, Prev: 22, Kind: protocol.KindReact, ID: "p12", Emoji: "👍", On: false, Author: ada}, AppliedOK},
		{protocol.Event{Feed: "main", Pos: 24, Prev: 23, Kind: protocol.KindDelete, ID: "p10"}, AppliedOK},
	}
	for i, s := range steps {
		if got := f.Apply(s.e); got != s.want {
			t.Fatalf("step %d: Apply(pos %d prev %d) = %v, want %v", i, s.e.Pos, s.e.Prev, got, s.want)
		}
		if i == 4 {
			p, _ := f.Post("p12")
			if len(p.Reactions) != 1 || p.Reactions[0].Users[0] != ada {
				t.Fatalf("reaction not applied: %+v", p)
			}
		}
	}
	if f.Pos != 24 || len(f.Posts) != 1 || f.Posts[0].ID != "p12" || len(f.Posts[0].Reactions) != 0 {
		t.Fatalf("final state %+v", f)
	}
}

// TestFeedRemoved: a "removed" event drops the feed's posts and moves its
// position; the feed goes on with later events.
func TestFeedRemoved(t *testing.T) {
	f := Feed{Name: "f"}
	u := protocol.User{ID: "u", Name: "U"}
	f.Apply(protocol.Event{Feed: "f", Pos: 1, Kind: protocol.KindPost, ID: "p1", Author: u, Text: "a"})
	f.Apply(protocol.Event{Feed: "f", Pos: 2, Prev: 1, Kind: protocol.KindPost, ID: "p2", Author: u, Text: "b"})
	if got := f.Apply(protocol.Event{Feed: "f", Pos: 5, Prev: 2, Kind: protocol.KindRemoved}); got != AppliedOK || len(f.Posts) != 0 || f.Pos != 5 {
		t.Fatalf("after removal: %v, %d posts, pos %d", got, len(f.Posts), f.Pos)
	}
	if _, ok := f.Post("p1"); ok {
		t.Fatal("p1 still there")
	}
	f.Apply(protocol.Event{Feed: "f", Pos: 9, Prev: 5, Kind: protocol.KindPost, ID: "p9", Author: u, Text: "new"})
	if len(f.Posts) != 1 || f.Posts[0].ID != "p9" {
		t.Fatalf("after a new post: %+v", f.Posts)
	}
}

// TestFeedCopiesNeverChange: a copy handed out (Session.Feed shares the
// posts' array with it) shows the feed as it was, whatever is applied to
// the feed afterwards: new posts, edits, reactions, deletes, and the trim
// of the oldest loaded posts.
func TestFeedCopiesNeverChange(t *testing.T) {
	u := protocol.User{ID: "u", Name: "U"}
	f := &Feed{Name: "f"}
	pos := uint64(0)
	apply := func(e protocol.Event) {
		pos++
		e.Feed, e.Prev, e.Pos, e.Author = "f", pos-1, pos, u
		if f.Apply(e) != AppliedOK {
			t.Fatalf("event %d not applied", pos)
		}
	}
	for range 5 {
		apply(protocol.Event{Kind: protocol.KindPost, ID: fmt.Sprint("p", pos+1), Text: "post"})
	}
	steps := []func(){
		func() { apply(protocol.Event{Kind: protocol.KindPost, ID: fmt.Sprint("p", pos+1), Text: "new"}) },
		func() { apply(protocol.Event{Kind: protocol.KindEdit, ID: "p2", Text: "edited"}) },
		func() { apply(protocol.Event{Kind: protocol.KindReact, ID: "p3", Emoji: "👍", On: true}) },
		func() { apply(protocol.Event{Kind: protocol.KindDelete, ID: "p1"}) },
		func() {
			for len(f.Posts) <= MaxLoadedPosts+protocol.MaxSnapshotPosts-1 {
				apply(protocol.Event{Kind: protocol.KindPost, ID: fmt.Sprint("p", pos+1), Text: "more"})
			}
		},
	}
	for i, step := range steps {
		f.shared = true // as Session.Feed marks it
		c := *f
		want := make([]protocol.Post, len(c.Posts))
		for j, p := range c.Posts {
			p.Reactions = slices.Clone(p.Reactions)
			want[j] = p
		}
		step()
		if !reflect.DeepEqual(c.Posts, want) {
			t.Fatalf("step %d changed a copy handed out before it", i)
		}
	}
}
