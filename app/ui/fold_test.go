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

// The page keeps what the reader unfolded by feed and post: the same post
// id in another feed is another post.
func TestPageKeepsFoldsByFeed(t *testing.T) {
	p := newFeedPage()
	p.feed = "a"
	p.setUnfolded("p1", true)
	if !p.unfolded("p1") || p.unfolded("p2") {
		t.Fatalf("feed a: unfolded p1 %v, p2 %v", p.unfolded("p1"), p.unfolded("p2"))
	}
	p.feed = "b"
	if p.unfolded("p1") {
		t.Errorf("feed b sees feed a's state")
	}
	p.feed = "a"
	p.setUnfolded("p1", false)
	if p.unfolded("p1") || len(p.unfoldedPosts) != 0 {
		t.Errorf("folded back: %v", p.unfoldedPosts)
	}
}
