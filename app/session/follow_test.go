package session

import (
	"testing"

	"livefeed/shared/protocol"
)

func TestPostsSinceAndUnfollow(t *testing.T) {
	s := New(Config{Feeds: []string{"f", "g"}})
	me := protocol.User{ID: "me", Name: "Me"}
	other := protocol.User{ID: "o", Name: "O"}
	s.handle(nil, protocol.Snapshot{Feed: "f", Pos: 3, Posts: []protocol.Post{
		{ID: "p3", Pos: 3, Author: other}, {ID: "p2", Pos: 2, Author: me}, {ID: "p1", Pos: 1, Author: other},
	}})
	for _, c := range []struct {
		since uint64
		want  int
	}{{0, 2}, {1, 1}, {2, 1}, {3, 0}} {
		if got := s.PostsSince("f", c.since, "me"); got != c.want {
			t.Errorf("since %d: %d, want %d", c.since, got, c.want)
		}
	}
	if pos, synced := s.FeedPos("f"); pos != 3 || !synced {
		t.Errorf("FeedPos %d %v", pos, synced)
	}
	s.Unfollow("g")
	s.Unfollow("nope")
	if got := s.Following(); len(got) != 1 || got[0] != "f" {
		t.Fatalf("following %v", got)
	}
	s.Follow("g")
	if got := s.Following(); len(got) != 2 {
		t.Fatalf("following %v", got)
	}
}
