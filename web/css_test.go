package web

import (
	"regexp"
	"strings"
	"testing"
)

// TestStylesheetBlocksClose: every block of app.css closes where it
// should. A merge once left a media query open, and everything after it
// (the phone rules of the post cards) silently stopped applying.
func TestStylesheetBlocksClose(t *testing.T) {
	b, err := Files.ReadFile("app.css")
	if err != nil {
		t.Fatal(err)
	}
	css := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(b), "")
	depth := 0
	for i, line := range strings.Split(css, "\n") {
		for _, c := range line {
			switch c {
			case '{':
				depth++
			case '}':
				depth--
			}
			if depth < 0 {
				t.Fatalf("line %d: a } closes nothing", i+1)
			}
		}
		// At the top level only rules and at-rules start; a rule's
		// selector line inside a block that never closed shows as a
		// depth over 2 (at-rule, rule, and nothing deeper here).
		if depth > 2 {
			t.Fatalf("line %d: blocks nested %d deep: one above did not close", i+1, depth)
		}
	}
	if depth != 0 {
		t.Fatalf("%d blocks never close", depth)
	}
}
