package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

func byAuthor(id, author string) protocol.Post {
	return protocol.Post{ID: id, Text: id, Author: protocol.User{ID: "u-" + strings.ToLower(author), Name: author}}
}

func TestAnnouncerCountsOthersNewPostsOnce(t *testing.T) {
	var a announcer
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	isNew := map[string]bool{}
	newIf := func(id string) bool { return isNew[id] }

	// The feed as it opens: nothing is new.
	open := []protocol.Post{byAuthor("p1", "Bob"), byAuthor("p2", "Ada")}
	if a.note("main", "u-ada", open, newIf, t0) || a.n != 0 {
		t.Fatalf("the opening feed counted: %+v", a)
	}
	// Bob twice, Ada (the reader) once, Cy once.
	posts := append(open, byAuthor("p3", "Bob"), byAuthor("p4", "Ada"), byAuthor("p5", "Bob"), byAuthor("p6", "Cy"))
	for _, id := range []string{"p3", "p4", "p5", "p6"} {
		isNew[id] = true
	}
	if !a.note("main", "u-ada", posts, newIf, t0) || a.n != 3 {
		t.Fatalf("new posts: %+v", a)
	}
	// Seen again (still held back): not counted twice.
	if a.note("main", "u-ada", posts, newIf, t0.Add(time.Second)) || a.n != 3 || !a.lastAt.Equal(t0) {
		t.Fatalf("counted twice: %+v", a)
	}
	a.announce()
	if a.text != "3 new posts from Bob and Cy" || a.n != 0 {
		t.Errorf("announced %q (%d left)", a.text, a.n)
	}
	// The same words next time differ, so a screen reader speaks them.
	a.n, a.authors = 3, []string{"Bob", "Cy"}
	a.announce()
	if a.text != "3 new posts from Bob and Cy\u00a0" {
		t.Errorf("second time: %q", a.text)
	}
	// Another feed starts afresh (its opening posts are not news).
	if a.note("team", "u-ada", []protocol.Post{byAuthor("p3", "Bob")}, func(string) bool { return false }, t0) || a.n != 0 || a.seen["p1"] {
		t.Errorf("another feed: %+v", a)
	}
}

func TestNewPostsText(t *testing.T) {
	for _, c := range []struct {
		n       int
		authors []string
		want    string
	}{
		{1, []string{"Ada"}, "1 new post from Ada"},
		{3, []string{"Ada"}, "3 new posts from Ada"},
		{2, []string{"Ada", "Bob"}, "2 new posts from Ada and Bob"},
		{7, []string{"Ada", "Bob", "Cy"}, "7 new posts"},
	} {
		if got := newPostsText(c.n, c.authors); got != c.want {
			t.Errorf("newPostsText(%d, %v) = %q, want %q", c.n, c.authors, got, c.want)
		}
	}
}

// TestAnnouncementWaitsForAQuietMoment: due announceQuiet after the last
// arrival or keystroke, whichever is later, and not a moment before.
func TestAnnouncementWaitsForAQuietMoment(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	a := announcer{lastAt: t0}
	if w := a.wait(t0); w != announceQuiet {
		t.Errorf("right after a post: wait %v", w)
	}
	if w := a.wait(t0.Add(announceQuiet - time.Nanosecond)); w <= 0 {
		t.Errorf("a nanosecond early: due (%v)", w)
	}
	if w := a.wait(t0.Add(announceQuiet)); w > 0 {
		t.Errorf("at announceQuiet: not due (%v)", w)
	}
	// The reader typed a second later: the quiet moment starts again.
	a.typedAt = t0.Add(time.Second)
	if w := a.wait(t0.Add(announceQuiet)); w != time.Second {
		t.Errorf("typing: wait %v", w)
	}
	if w := a.wait(t0.Add(time.Second + announceQuiet)); w > 0 {
		t.Errorf("after typing stopped: not due (%v)", w)
	}
	// Typing long ago does not delay a new post.
	a = announcer{lastAt: t0, typedAt: t0.Add(-time.Minute)}
	if w := a.wait(t0); w != announceQuiet {
		t.Errorf("old typing: wait %v", w)
	}
}

func TestAnnouncementIsAPoliteHiddenRegion(t *testing.T) {
	p := newFeedPage()
	p.announce.text = "2 new posts from Bob"
	html := app.HTMLString(app.Div().Body(p.announcement()))
	for _, want := range []string{`id="announcer"`, `class="sr-only"`, `aria-live="polite"`, `aria-atomic`, ">2 new posts from Bob<"} {
		if !strings.Contains(html, want) {
			t.Errorf("announcer lacks %s:\n%s", want, html)
		}
	}
	if strings.Contains(html, `role="status"`) {
		t.Error(`role="status" would make a second status region (tests find the connection indicator by it)`)
	}
}
