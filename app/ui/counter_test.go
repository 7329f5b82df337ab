package ui

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// TestCounterSpeaksAtItsStepsOnly types one character at a time from well
// below counterFrom to past the limit: the note changes exactly on coming
// to each mark (200, 100, 50, 20, 10 and 0 left) and on going over.
func TestCounterSpeaksAtItsStepsOnly(t *testing.T) {
	c := &composeBox{Actor: newFeedPage()}
	var said []string
	for n := counterFrom - 3; n <= protocol.MaxTextChars+3; n++ {
		before := c.note
		c.setDraft(strings.Repeat("x", n))
		if c.note != before {
			said = append(said, c.note)
		}
	}
	want := []string{
		"200 characters left", "100 characters left", "50 characters left", "20 characters left",
		"10 characters left", "No characters left", "1 character over the limit",
	}
	if strings.Join(said, "|") != strings.Join(want, "|") {
		t.Errorf("said %q,\nwant %q", said, want)
	}

	// The edges of the quiet part and of the limit.
	for n, want := range map[int]string{
		counterFrom - 1: "", counterFrom: "200 characters left", counterFrom + 1: "199 characters left",
		protocol.MaxTextChars - 1: "1 character left", protocol.MaxTextChars: "No characters left",
		protocol.MaxTextChars + 2: "2 characters over the limit",
	} {
		if got := counterNote(n); got != want {
			t.Errorf("counterNote(%d) = %q, want %q", n, got, want)
		}
	}
	if counterMarks[0] != protocol.MaxTextChars-counterFrom {
		t.Error("the first mark is where counterFrom starts")
	}

	// A paste far into a band says the count it lands on; going back
	// below counterFrom makes it quiet again.
	c = &composeBox{Actor: newFeedPage()}
	c.setDraft(strings.Repeat("x", protocol.MaxTextChars-150))
	if c.note != "150 characters left" {
		t.Errorf("paste: %q", c.note)
	}
	c.setDraft("short")
	if c.note != "" {
		t.Errorf("short again: %q", c.note)
	}
}

func TestCounterIsNotALiveRegionButItsNoteIs(t *testing.T) {
	c := &composeBox{Actor: newFeedPage(), User: protocol.User{ID: "u1", Name: "Ada"}}
	html := app.HTMLString(c)
	i := strings.Index(html, `id="compose-counter"`)
	if i < 0 {
		t.Fatalf("no counter:\n%s", html)
	}
	tag := html[strings.LastIndex(html[:i], "<"):]
	tag = tag[:strings.Index(tag, ">")]
	if strings.Contains(tag, "aria-live") {
		t.Errorf("the visible counter is a live region: %s", tag)
	}
	if !strings.Contains(html, `id="compose-counter-note"`) || !strings.Contains(html, `aria-live="polite"`) {
		t.Errorf("no polite note:\n%s", html)
	}
}
