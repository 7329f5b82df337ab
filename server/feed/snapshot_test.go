package feed

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"livefeed/shared/protocol"
)

// worstFeed builds the feed that bricked new visitors: posts of 2,000 '<'
// (6 bytes each once escaped) by users with 40-character names of '<',
// every reaction given by `reactors` such users.
func worstFeed(t testing.TB, posts, reactors int) *View {
	v := NewView()
	now := time.Now()
	name := func(i int) string { return fmt.Sprintf("%03d", i) + strings.Repeat("<", protocol.MaxNameChars-3) }
	users := make([]protocol.User, reactors)
	for i := range users {
		users[i] = protocol.User{ID: fmt.Sprintf("u%030d", i), Name: name(i)}
	}
	pos := uint64(0)
	next := func(e protocol.Event) {
		pos++
		e.Feed, e.Pos, e.Prev, e.Time, e.Op = "worst", pos, pos-1, now.UnixMilli(), fmt.Sprint("o", pos)
		v.apply(e, now)
	}
	for i := range posts {
		id := fmt.Sprint("p", pos+1)
		next(protocol.Event{Kind: protocol.KindPost, ID: id, Author: users[i%len(users)], Text: strings.Repeat("<", protocol.MaxTextChars)})
		for _, emoji := range protocol.Reactions {
			for _, u := range users {
				next(protocol.Event{Kind: protocol.KindReact, ID: id, Author: u, Emoji: emoji, On: true})
			}
		}
	}
	return v
}

// TestSnapshotBounded: whatever people post, a snapshot encodes to at most
// MaxSnapshotBytes, far below the client's read limit (before, this feed's
// snapshot was 9.4 MB with 4 reactors, over the 8 MiB limit: new visitors
// looped on "Reconnecting"). Reactions list at most MaxReactionUsers users,
// the subscriber first, and count them all.
func TestSnapshotBounded(t *testing.T) {
	const reactors = 30
	v := worstFeed(t, protocol.MaxSnapshotPosts, reactors)
	me := fmt.Sprintf("u%030d", reactors-1) // the last to react: not among the first listed
	s := v.SnapshotFor("worst", me)
	b := protocol.MustEncode(s)
	t.Logf("worst-case snapshot: %d posts, %d bytes (limit %d), truncated %v", len(s.Posts), len(b), protocol.MaxSnapshotBytes, s.Truncated)
	if len(b) > protocol.MaxSnapshotBytes {
		t.Fatalf("snapshot is %d bytes, over MaxSnapshotBytes %d", len(b), protocol.MaxSnapshotBytes)
	}
	if !s.Truncated || len(s.Posts) < 20 {
		t.Fatalf("%d posts, truncated %v: want the newest that fit, and the flag", len(s.Posts), s.Truncated)
	}
	// Within a comma of full: posts are cut only when the next does not fit.
	if room := protocol.MaxSnapshotBytes - len(b); room > protocol.PostLen(s.Posts[0])+1 {
		t.Errorf("%d bytes left, room for another post", room)
	}
	for _, p := range s.Posts {
		if len(p.Reactions) != len(protocol.Reactions) {
			t.Fatalf("post %s has %d reactions", p.ID, len(p.Reactions))
		}
		for _, r := range p.Reactions {
			if len(r.Users) != protocol.MaxReactionUsers || r.Count != reactors || r.Total() != reactors {
				t.Fatalf("reaction %s: %d users listed, count %d; want %d listed of %d", r.Emoji, len(r.Users), r.Count, protocol.MaxReactionUsers, reactors)
			}
			if r.Users[0].ID != me {
				t.Fatalf("the subscriber is not listed first: %s", r.Users[0].ID)
			}
		}
	}
	// Newest first, the newest included.
	if s.Posts[0].Pos <= s.Posts[len(s.Posts)-1].Pos || s.Posts[0].Pos+uint64(len(protocol.Reactions)*reactors) != s.Pos {
		t.Errorf("not the newest posts: first %d, last %d, feed at %d", s.Posts[0].Pos, s.Posts[len(s.Posts)-1].Pos, s.Pos)
	}
}

// TestSnapshotOrdinaryFeedWhole: a feed of ordinary posts is sent whole,
// MaxSnapshotPosts of them, untruncated.
func TestSnapshotOrdinaryFeedWhole(t *testing.T) {
	v := NewView()
	now := time.Now()
	u := protocol.User{ID: "u1", Name: "Ada"}
	for i := 1; i <= protocol.MaxSnapshotPosts+20; i++ {
		v.apply(protocol.Event{Feed: "f", Pos: uint64(i), Prev: uint64(i - 1), Kind: protocol.KindPost, ID: fmt.Sprint("p", i),
			Author: u, Op: fmt.Sprint("o", i), Time: now.UnixMilli(), Text: strings.Repeat("an ordinary post ", 20)}, now)
	}
	s := v.Snapshot("f")
	if len(s.Posts) != protocol.MaxSnapshotPosts || s.Truncated {
		t.Fatalf("%d posts, truncated %v", len(s.Posts), s.Truncated)
	}
}

func BenchmarkSnapshotWorst(b *testing.B) {
	v := worstFeed(b, protocol.MaxSnapshotPosts, 30)
	b.ResetTimer()
	for b.Loop() {
		protocol.MustEncode(v.SnapshotFor("worst", "u1"))
	}
}

// TestNewestBounds: Newest (a prerendered page's posts) stops at maxPosts
// and at maxBytes, and says whether its posts reach the feed's first one:
// at the count's edge (exactly maxPosts posts in the feed: all of them,
// from the beginning), one over it, and a byte budget one post short.
func TestNewestBounds(t *testing.T) {
	const max = 20
	feed := func(n int) *View {
		v := NewView()
		now := time.Now()
		u := protocol.User{ID: "u1", Name: "Ada"}
		for i := 1; i <= n; i++ {
			v.apply(protocol.Event{Feed: "f", Pos: uint64(i), Prev: uint64(i - 1), Kind: protocol.KindPost, ID: fmt.Sprint("p", i),
				Author: u, Op: fmt.Sprint("o", i), Time: now.UnixMilli(), Text: "post"}, now)
		}
		return v
	}
	if s, begins := feed(max).Newest("f", "u1", max, protocol.MaxSnapshotBytes); len(s.Posts) != max || !begins || s.Posts[0].ID != "p20" {
		t.Errorf("feed of %d: %d posts, begins %v", max, len(s.Posts), begins)
	}
	v := feed(max + 1)
	s, begins := v.Newest("f", "u1", max, protocol.MaxSnapshotBytes)
	if len(s.Posts) != max || begins || s.Posts[0].ID != "p21" || s.Pos != max+1 {
		t.Errorf("feed of %d: %d posts from %s, begins %v, pos %d", max+1, len(s.Posts), s.Posts[0].ID, begins, s.Pos)
	}
	// The bytes of 3 posts, less one: 2 posts.
	size := protocol.SnapshotLen("f", s.Pos, true)
	for _, p := range s.Posts[:3] {
		size += protocol.PostLen(p) + 1
	}
	size -= 2 // no comma before the first, and one byte short
	if s, begins := v.Newest("f", "u1", max, size); len(s.Posts) != 2 || begins {
		t.Errorf("budget of 3 posts less one byte: %d posts, begins %v", len(s.Posts), begins)
	}
	if s, _ := v.Newest("f", "u1", max, size+1); len(s.Posts) != 3 {
		t.Errorf("budget of 3 posts: %d posts", len(s.Posts))
	}
	if s, begins := v.Newest("none", "u1", max, size); len(s.Posts) != 0 || !begins {
		t.Errorf("no feed: %+v %v", s, begins)
	}
}
