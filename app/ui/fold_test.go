package ui

import (
	"strings"
	"testing"
)

func TestFoldableAtItsEdges(t *testing.T) {
	lines := func(n int) string { return strings.TrimSuffix(strings.Repeat("a line\n", n), "\n") }
	for _, c := range []struct {
		name string
		text string
		want bool
	}{
		{"empty", "", false},
		{"foldLines short lines", lines(foldLines), false},
		{"foldLines+1 short lines", lines(foldLines + 1), true},
		{"foldLines empty lines and one more", strings.Repeat("\n", foldLines), true},
		{"one line of foldLines full lines", strings.Repeat("x", foldLines*foldLineChars), false},
		{"one character more", strings.Repeat("x", foldLines*foldLineChars+1), true},
		{"wide characters take two columns", strings.Repeat("字", foldLines*foldLineChars/2), false},
		{"one wide character more", strings.Repeat("字", foldLines*foldLineChars/2+1), true},
		// A letter with 1,999 combining marks is one character (text.spec.ts).
		{"a combining flood", "Z" + strings.Repeat("\u0301", 1999), false},
		{"zero-width joiners and variation selectors", strings.Repeat("a\u200d\ufe0f", foldLines*foldLineChars), false},
		{"CR LF line ends", strings.Repeat("a line\r\n", foldLines-1) + "a line", false},
		{"CR LF, one line more", strings.Repeat("a line\r\n", foldLines) + "a line", true},
		{"wrapped lines and breaks add up", strings.Repeat("x", 2*foldLineChars+1) + "\n" + lines(foldLines-3), false},
		{"wrapped lines and breaks, one more", strings.Repeat("x", 2*foldLineChars+1) + "\n" + lines(foldLines-2), true},
	} {
		if got := foldable(c.text); got != c.want {
			t.Errorf("%s: foldable = %v, want %v (%d lines)", c.name, got, c.want, estimatedLines(c.text, 1<<30))
		}
	}
	if foldShownLines >= foldLines {
		t.Errorf("a folded post shows %d lines, not fewer than the %d it folds above", foldShownLines, foldLines)
	}
}

// The page keeps what the reader unfolded and which picker is open by
// feed and post: the same post id in another feed is another post.
func TestPageKeepsFoldsAndPickerByFeed(t *testing.T) {
	p := newFeedPage()
	p.feed = "a"
	p.setUnfolded("p1", true)
	p.setPicker("p2")
	if !p.unfolded("p1") || p.unfolded("p2") || !p.pickerOpen("p2") || p.pickerOpen("p1") || p.pickerOpen("") {
		t.Fatalf("feed a: unfolded p1 %v, picker %q", p.unfolded("p1"), p.pickerPost)
	}
	p.feed = "b"
	if p.unfolded("p1") || p.pickerOpen("p2") {
		t.Errorf("feed b sees feed a's state")
	}
	p.setPicker("p3") // one open at a time
	p.feed = "a"
	if p.pickerOpen("p2") {
		t.Errorf("two pickers open")
	}
	p.setUnfolded("p1", false)
	p.setPicker("")
	if p.unfolded("p1") || len(p.unfoldedPosts) != 0 || p.pickerPost != "" {
		t.Errorf("folded back and closed: %v %q", p.unfoldedPosts, p.pickerPost)
	}
}
