package session

import (
	"fmt"
	"testing"

	"livefeed/shared/protocol"
)

func post(pos uint64, text string) protocol.Post {
	return protocol.Post{ID: fmt.Sprint("p", pos), Feed: "f", Text: text, Pos: pos, Author: protocol.User{ID: "u1", Name: "Ann"}}
}

// snapshotOf is a full snapshot (MaxSnapshotPosts posts: older ones may
// exist) whose oldest posts are at positions from, from+1, ...
func snapshotOf(from, pos uint64) protocol.Snapshot {
	s := protocol.Snapshot{Feed: "f", Pos: pos}
	for i := range uint64(protocol.MaxSnapshotPosts) {
		s.Posts = append([]protocol.Post{post(from+i, fmt.Sprint("post ", from+i))}, s.Posts...)
	}
	return s
}

func TestFeedBeginsFromTheSnapshot(t *testing.T) {
	var f Feed
	f.Reset(protocol.Snapshot{Feed: "f", Pos: 3, Posts: []protocol.Post{post(2, "b"), post(1, "a")}})
	if !f.Begins {
		t.Error("a snapshot of 2 posts is the whole feed")
	}
	f.Reset(snapshotOf(10, 600))
	if f.Begins {
		t.Error("a full snapshot may have older posts")
	}
	f.Reset(protocol.Snapshot{Feed: "f", Pos: 3, Posts: []protocol.Post{post(2, "b")}, Truncated: true})
	if f.Begins {
		t.Error("a truncated snapshot has older posts")
	}
}

// TestHistoryWaitsForTheFeedToCatchUp: a page that reflects an event the
// feed has not applied yet (a reaction to an old post) is merged after that
// event, and the reaction counts once.
func TestHistoryWaitsForTheFeedToCatchUp(t *testing.T) {
	var updates int
	s := New(Config{Feeds: []string{"f"}, OnUpdate: func(u Update) {
		if u.Kind == UpdateFeed {
			updates++
		}
	}})
	s.handle(nil, snapshotOf(10, 600)) // posts 10..509, feed at 600
	old := post(5, "old five")
	old.Reactions = []protocol.Reaction{{Emoji: "🎉", Users: []protocol.User{{ID: "u2", Name: "Bo"}}}}
	// The page was read at 601, after Bo's reaction to post 5 (event 601).
	page := protocol.History{Feed: "f", Pos: 601, Before: 10, Posts: []protocol.Post{old, post(4, "old four")}, End: true}
	s.AddHistory(page)
	if !s.HistoryWaiting("f") || len(s.Feed("f").Posts) != protocol.MaxSnapshotPosts {
		t.Fatal("page merged before the feed reached its position")
	}
	s.handle(nil, protocol.Event{Feed: "f", Pos: 601, Prev: 600, Kind: protocol.KindReact, ID: "p5", Emoji: "🎉", On: true, Author: protocol.User{ID: "u2", Name: "Bo"}})
	f := s.Feed("f")
	if s.HistoryWaiting("f") || len(f.Posts) != protocol.MaxSnapshotPosts+2 || f.Posts[0].Text != "old four" || !f.Begins {
		t.Fatalf("after the event: waiting %v, %d posts, oldest %q, begins %v", s.HistoryWaiting("f"), len(f.Posts), f.Posts[0].Text, f.Begins)
	}
	if got := f.Posts[1].Reactions; len(got) != 1 || got[0].Total() != 1 {
		t.Fatalf("reaction on the old post: %+v", got)
	}
	// Later events reach old posts.
	s.handle(nil, protocol.Event{Feed: "f", Pos: 602, Prev: 601, Kind: protocol.KindEdit, ID: "p4", Text: "four, edited", Time: 1})
	if f := s.Feed("f"); f.Posts[0].Text != "four, edited" {
		t.Fatalf("edit of an old post: %q", f.Posts[0].Text)
	}
	if updates < 3 {
		t.Errorf("%d feed updates", updates)
	}
}

func TestHistoryDroppedWhenTheFeedIsReplaced(t *testing.T) {
	s := New(Config{Feeds: []string{"f"}})
	s.handle(nil, snapshotOf(10, 600))
	s.AddHistory(protocol.History{Feed: "f", Pos: 700, Before: 10, Posts: []protocol.Post{post(5, "old")}})
	s.handle(nil, snapshotOf(20, 800)) // history_gone: a new snapshot
	if s.HistoryWaiting("f") {
		t.Fatal("page still waiting after the feed was replaced")
	}
	s.handle(nil, protocol.Event{Feed: "f", Pos: 801, Prev: 800, Kind: protocol.KindPost, ID: "p801", Text: "new"})
	if f := s.Feed("f"); f.Oldest() != 20 {
		t.Fatalf("oldest post %d: a stale page was merged", f.Oldest())
	}
}

func TestHistoryThatDoesNotJoinIsDropped(t *testing.T) {
	s := New(Config{Feeds: []string{"f"}})
	s.handle(nil, snapshotOf(10, 600))
	// Asked for posts before 8, but the feed's oldest is 10: post 9 could
	// be missing between them.
	s.AddHistory(protocol.History{Feed: "f", Pos: 600, Before: 8, Posts: []protocol.Post{post(5, "old")}})
	if f := s.Feed("f"); f.Oldest() != 10 || s.HistoryWaiting("f") {
		t.Fatalf("oldest %d, waiting %v", f.Oldest(), s.HistoryWaiting("f"))
	}
	// A page reaching above the oldest joins; its overlap counts once.
	s.AddHistory(protocol.History{Feed: "f", Pos: 600, Before: 12, Posts: []protocol.Post{post(11, "dup"), post(10, "dup"), post(9, "nine")}})
	f := s.Feed("f")
	if f.Oldest() != 9 || f.Posts[1].Text != "post 10" || len(f.Posts) != protocol.MaxSnapshotPosts+1 {
		t.Fatalf("oldest %d, then %q, %d posts", f.Oldest(), f.Posts[1].Text, len(f.Posts))
	}
}

// TestLoadedPostsBounded: at MaxLoadedPosts plus a snapshot's worth, the
// oldest are dropped, and the feed no longer begins at its first post.
func TestLoadedPostsBounded(t *testing.T) {
	f := Feed{Name: "f", Synced: true, Begins: true}
	pos := uint64(0)
	for range MaxLoadedPosts + protocol.MaxSnapshotPosts {
		pos++
		f.Apply(protocol.Event{Feed: "f", Pos: pos, Prev: pos - 1, Kind: protocol.KindPost, ID: fmt.Sprint("p", pos)})
	}
	if len(f.Posts) != MaxLoadedPosts+protocol.MaxSnapshotPosts || !f.Begins {
		t.Fatalf("at the limit: %d posts, begins %v", len(f.Posts), f.Begins)
	}
	pos++
	f.Apply(protocol.Event{Feed: "f", Pos: pos, Prev: pos - 1, Kind: protocol.KindPost, ID: fmt.Sprint("p", pos)})
	if len(f.Posts) != MaxLoadedPosts || f.Begins || f.Posts[len(f.Posts)-1].Pos != pos {
		t.Fatalf("over the limit: %d posts, begins %v", len(f.Posts), f.Begins)
	}
}
