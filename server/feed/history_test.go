package feed

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"livefeed/shared/protocol"
)

// historyFeed is a feed of n posts by one user, every third one deleted
// and every post reacted to once, at positions 1, 2, ...
func historyFeed(n int) *View {
	v := NewView()
	now := time.Now()
	u := protocol.User{ID: "u1", Name: "Ann"}
	pos := uint64(0)
	next := func(e protocol.Event) {
		pos++
		e.Feed, e.Pos, e.Prev, e.Time, e.Op, e.Author = "old", pos, pos-1, now.UnixMilli(), fmt.Sprint("o", pos), u
		v.apply(e, now)
	}
	for i := 1; i <= n; i++ {
		id := fmt.Sprint("p", pos+1)
		next(protocol.Event{Kind: protocol.KindPost, ID: id, Text: fmt.Sprint("post ", i)})
		next(protocol.Event{Kind: protocol.KindReact, ID: id, Emoji: "🎉", On: true})
		if i%3 == 0 {
			next(protocol.Event{Kind: protocol.KindDelete, ID: id})
		}
	}
	return v
}

// TestHistoryPagesDownToTheBeginning: paging back from the newest post
// with each page's oldest position gives every surviving post once, newest
// first, in pages of at most HistoryPage, with reactions, and End on the
// last page only.
func TestHistoryPagesDownToTheBeginning(t *testing.T) {
	const n = 350 // 234 survive: three pages
	v := historyFeed(n)
	var got []string
	before := v.FeedLast("old") + 1
	pages := 0
	for {
		h := v.HistoryFor("old", "u1", before)
		pages++
		if len(h.Posts) > protocol.HistoryPage {
			t.Fatalf("page of %d posts", len(h.Posts))
		}
		if h.Pos != v.FeedLast("old") || h.Before != before {
			t.Fatalf("page pos %d before %d", h.Pos, h.Before)
		}
		for _, p := range h.Posts {
			if p.Pos >= before {
				t.Fatalf("%s at %d is not before %d", p.ID, p.Pos, before)
			}
			if len(p.Reactions) != 1 || p.Reactions[0].Total() != 1 {
				t.Fatalf("%s reactions %+v", p.ID, p.Reactions)
			}
			got = append(got, p.Text)
			before = p.Pos
		}
		if h.End {
			break
		}
		if pages > 10 {
			t.Fatal("no end")
		}
	}
	var want []string
	for i := n; i >= 1; i-- {
		if i%3 != 0 {
			want = append(want, fmt.Sprint("post ", i))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paged %d posts, want %d:\n%v", len(got), len(want), got)
	}
	if pages != 3 {
		t.Errorf("%d pages, want 3", pages)
	}
	// At the edge: exactly HistoryPage posts left is one page, the last.
	if h := historyFeed(150).HistoryFor("old", "", 1<<40); len(h.Posts) != protocol.HistoryPage || !h.End {
		t.Errorf("%d posts left: a page of %d, end %v", protocol.HistoryPage, len(h.Posts), h.End)
	}
	if h := v.HistoryFor("old", "", 1); len(h.Posts) != 0 || !h.End {
		t.Errorf("before the first post: %+v", h)
	}
	if h := v.HistoryFor("nosuch", "", 10); len(h.Posts) != 0 || !h.End || h.Pos != 0 {
		t.Errorf("unknown feed: %+v", h)
	}
}

// TestHistoryBounded: a page of the worst posts stays within
// MaxSnapshotBytes, and then says it is not the end.
func TestHistoryBounded(t *testing.T) {
	v := worstFeed(t, 150, 4)
	h := v.HistoryFor("worst", "", v.FeedLast("worst")+1)
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("worst-case history page: %d posts, %d bytes (limit %d)", len(h.Posts), len(b), protocol.MaxSnapshotBytes)
	if len(b) > protocol.MaxSnapshotBytes {
		t.Fatalf("page is %d bytes, over %d", len(b), protocol.MaxSnapshotBytes)
	}
	if h.End || len(h.Posts) == 0 || len(h.Posts) >= protocol.HistoryPage {
		t.Fatalf("page of %d posts, end %v", len(h.Posts), h.End)
	}
	if room := protocol.MaxSnapshotBytes - len(b); room > protocol.PostLen(h.Posts[0])+1+len(`,"end":true`) {
		t.Errorf("%d bytes left unused, room for another post", room)
	}
}
