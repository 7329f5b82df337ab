package ui

import (
	"strconv"
	"testing"
	"time"

	"livefeed/shared/protocol"
)

const meID = "u-me"

// news drives a whatsNew as the page does: the feed's posts, what the
// list shows (all posts while the reader is at the top; away from it, the
// ones shown when they left and their own, like the page's "known"), the
// storage, the clock.
type news struct {
	t      *testing.T
	w      whatsNew
	posts  []protocol.Post
	shown  []postView
	atTop  bool
	upTo   uint64 // posts up to here are shown (revealed)
	stored uint64
	now    time.Time
	fresh  []string // texts offered for notification, in order
}

func newNews(t *testing.T, stored uint64, posts ...protocol.Post) *news {
	n := &news{t: t, atTop: true, stored: stored, now: time.Unix(1_000_000, 0)}
	n.w.hiddenAt = n.now
	n.posts = posts
	n.sync(false)
	return n
}

func newsPost(pos uint64, author string) protocol.Post {
	return protocol.Post{ID: "p" + strconv.FormatUint(pos, 10), Pos: pos, Author: protocol.User{ID: author, Name: author}, Text: "post " + strconv.FormatUint(pos, 10)}
}

// arrive adds posts to the feed and syncs.
func (n *news) arrive(posts ...protocol.Post) {
	n.posts = append(n.posts, posts...)
	n.sync(false)
}

func (n *news) sync(reset bool) {
	if n.atTop || reset {
		n.upTo = newestPos(n.posts)
	}
	var shown []postView
	for i := len(n.posts) - 1; i >= 0; i-- {
		p := n.posts[i]
		if p.Pos <= n.upTo || p.Author.ID == meID {
			shown = append(shown, postView{ID: p.ID, Pos: p.Pos, Own: p.Author.ID == meID})
		}
	}
	fresh, moved := n.w.see(meID, "main", n.posts, shown, reset, n.atTop, func() uint64 { return n.stored })
	n.shown = shown
	for _, p := range fresh {
		n.fresh = append(n.fresh, p.Text)
	}
	if moved {
		n.stored = max(n.stored, n.w.seen)
		n.w.stored(n.stored)
	}
}

// scroll moves the reader to the top or away from it, as setAtTop does
// (coming back to the top also syncs: it reveals what was held back).
func (n *news) scroll(atTop bool) {
	n.atTop = atTop
	i, moved := n.w.place(n.shown, atTop)
	n.shown = withDivider(n.shown, i)
	if moved {
		n.stored = max(n.stored, n.w.seen)
		n.w.stored(n.stored)
	}
	if atTop {
		n.sync(false)
	}
}

func (n *news) hide() {
	n.w.setHidden(true, n.now, func() uint64 { return n.stored })
	n.sync(false)
}

func (n *news) show(after time.Duration) {
	n.now = n.now.Add(after)
	n.w.setHidden(false, n.now, func() uint64 { return n.stored })
	n.sync(false)
}

// expect checks the title's count and the post the divider sits above
// ("" for none).
func (n *news) expect(count int, dividerAbove string) {
	n.t.Helper()
	if got := n.w.shownCount(); got != count {
		n.t.Errorf("count %d, want %d", got, count)
	}
	got := ""
	for _, v := range n.shown {
		if v.DividerAbove {
			if got != "" {
				n.t.Errorf("two dividers: above %s and %s", got, v.ID)
			}
			got = v.ID
		}
	}
	if got != dividerAbove {
		n.t.Errorf("divider above %q, want %q", got, dividerAbove)
	}
}

func (n *news) expectFresh(texts ...string) {
	n.t.Helper()
	if len(n.fresh) != len(texts) {
		n.t.Fatalf("offered for notification %q, want %q", n.fresh, texts)
	}
	for i := range texts {
		if n.fresh[i] != texts[i] {
			n.t.Fatalf("offered for notification %q, want %q", n.fresh, texts)
		}
	}
}

func TestCountWhileHidden(t *testing.T) {
	n := newNews(t, 0, newsPost(1, "bob"), newsPost(2, "bob"))
	n.expect(0, "")
	if n.stored != 2 {
		t.Fatalf("stored %d, want 2 (seen at the top)", n.stored)
	}
	n.hide()
	n.expect(0, "")
	n.arrive(newsPost(3, "bob"))
	n.arrive(newsPost(4, meID)) // own posts do not count
	n.arrive(newsPost(5, "bob"))
	n.expect(2, "")
	if got := tabTitle("main", n.w.shownCount()); got != "(2) Livefeed" {
		t.Errorf("title %q", got)
	}
	if n.stored != 2 {
		t.Errorf("stored %d while hidden, want 2", n.stored)
	}
	// Visible again (briefly): cleared; the reader is at the top, so the
	// count resets and seen moves on; a short absence sets no divider.
	n.show(awayFor - time.Nanosecond)
	n.expect(0, "")
	if n.w.unseen != 0 || n.stored != 5 {
		t.Errorf("unseen %d, stored %d; want 0, 5", n.w.unseen, n.stored)
	}
	n.hide()
	n.expect(0, "")
}

func TestCountSinceTheReaderLastSawTheTop(t *testing.T) {
	n := newNews(t, 0, newsPost(1, "bob"))
	n.scroll(false)
	n.arrive(newsPost(2, "bob")) // held back behind the pill
	n.expect(0, "")              // visible: no count in the title
	n.hide()
	n.arrive(newsPost(3, "bob"))
	n.expect(2, "") // both arrived since the reader last saw the top
	n.show(time.Second)
	n.expect(0, "")
	if n.w.unseen != 2 {
		t.Errorf("unseen %d, want 2: scrolled away, the reader has not seen them", n.w.unseen)
	}
	n.hide()
	n.expect(2, "")
	n.show(time.Second)
	n.scroll(true) // back at the top: seen
	n.hide()
	n.expect(0, "")
}

func TestDividerAfterComingBack(t *testing.T) {
	n := newNews(t, 0, newsPost(1, "bob"), newsPost(2, "bob"))
	n.hide()
	n.arrive(newsPost(3, "bob"), newsPost(4, meID))
	n.show(awayFor) // at the edge: a coming back
	n.expect(0, "p2")
	if n.stored != 4 {
		t.Errorf("stored %d, want 4", n.stored)
	}
	// Posts arriving at the top leave it where it is.
	n.arrive(newsPost(5, "carol"))
	n.expect(0, "p2")
	// Away from the top and back: gone.
	n.scroll(false)
	n.expect(0, "p2")
	n.arrive(newsPost(6, "bob")) // held back
	n.expect(0, "p2")
	n.scroll(true)
	n.expect(0, "")
	// A short absence sets none.
	n.hide()
	n.arrive(newsPost(7, "bob"))
	n.show(awayFor - time.Nanosecond)
	n.expect(0, "")
}

func TestDividerAfterAReload(t *testing.T) {
	// The reader saw up to 2; 3 (own) and 4, 5 came while the app was
	// closed, and 6 comes after it opened.
	posts := []protocol.Post{newsPost(1, "bob"), newsPost(2, "bob"), newsPost(3, meID), newsPost(4, "bob"), newsPost(5, "carol")}
	n := newNews(t, 2, posts...)
	n.expect(0, "p2")
	if n.stored != 5 {
		t.Errorf("stored %d, want 5", n.stored)
	}
	n.arrive(newsPost(6, "bob"))
	n.expect(0, "p2")
	n.expectFresh("post 6") // what was there at the opening is not notified
}

func TestNoDividerWhenOnlyOwnPostsCame(t *testing.T) {
	n := newNews(t, 2, newsPost(1, "bob"), newsPost(2, "bob"), newsPost(3, meID))
	n.expect(0, "")
}

func TestNoDividerOnAFirstVisit(t *testing.T) {
	n := newNews(t, 0, newsPost(1, "bob"), newsPost(2, "bob"))
	n.expect(0, "")
}

func TestDividerWhenTheSeenPostIsDeleted(t *testing.T) {
	n := newNews(t, 2, newsPost(1, "bob"), newsPost(2, "bob"), newsPost(3, "bob"))
	n.expect(0, "p2")
	n.posts = append(n.posts[:1], n.posts[2:]...) // 2 deleted
	n.sync(false)
	n.expect(0, "p1")
}

func TestFirstVisitWhileHidden(t *testing.T) {
	// The page opens hidden (a background tab) on an empty cache; the
	// snapshot brings the feed: none of that is new.
	n := &news{t: t, atTop: true, now: time.Unix(1_000_000, 0)}
	n.w.setHidden(true, n.now, func() uint64 { return 0 })
	n.sync(false)
	n.posts = []protocol.Post{newsPost(1, "bob"), newsPost(2, "bob")}
	n.sync(true)
	n.expect(0, "")
	n.arrive(newsPost(3, "bob"))
	n.expect(1, "")
	n.expectFresh("post 3")
	if n.stored != 0 {
		t.Errorf("stored %d: never seen with the tab visible", n.stored)
	}
}

func TestComingBackTakesWhatAnotherTabSaw(t *testing.T) {
	n := newNews(t, 0, newsPost(1, "bob"))
	n.hide()
	n.arrive(newsPost(2, "bob"), newsPost(3, "bob"))
	n.stored = 2 // the reader's other tab saw 2
	n.show(awayFor)
	n.expect(0, "p2")
}

func TestNotifyOnlyNewPostsByOthers(t *testing.T) {
	n := newNews(t, 0, newsPost(1, "bob"))
	n.expectFresh()
	n.arrive(newsPost(2, "bob"), newsPost(3, meID), newsPost(4, "carol"))
	n.expectFresh("post 2", "post 4")
	n.sync(false) // nothing new: nothing offered again
	n.expectFresh("post 2", "post 4")
	// A snapshot replacing the feed brings nothing to notify of.
	n.posts = append(n.posts, newsPost(9, "bob"))
	n.sync(true)
	n.expectFresh("post 2", "post 4")
}

func TestCameBack(t *testing.T) {
	tests := []struct {
		hidden time.Duration
		want   bool
	}{
		{0, false},
		{awayFor - time.Nanosecond, false},
		{awayFor, true},
		{time.Hour, true},
	}
	for _, tt := range tests {
		if got := cameBack(tt.hidden); got != tt.want {
			t.Errorf("cameBack(%v) = %v, want %v", tt.hidden, got, tt.want)
		}
	}
}

func TestUnseenCount(t *testing.T) {
	posts := []protocol.Post{newsPost(1, "bob"), newsPost(3, meID), newsPost(4, "bob"), newsPost(7, "carol")}
	tests := []struct {
		seen uint64
		want int
	}{
		{0, 3},
		{1, 2},
		{3, 2},
		{4, 1},
		{6, 1},
		{7, 0},
		{99, 0},
	}
	for _, tt := range tests {
		if got := unseenCount(posts, tt.seen, meID); got != tt.want {
			t.Errorf("unseenCount(seen %d) = %d, want %d", tt.seen, got, tt.want)
		}
	}
	if got := unseenCount(nil, 0, meID); got != 0 {
		t.Errorf("no posts: %d", got)
	}
}
