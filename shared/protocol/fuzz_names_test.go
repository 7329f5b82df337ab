package protocol

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckText, FuzzCheckName, FuzzValidFeed: what the checks accept obeys
// the documented rules, and checking again changes nothing.

func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"hi", " padded \n", strings.Repeat("<", MaxTextChars), "a\x00b", "\xff", "line\n\ttab\r\n", "a\u0085", "é\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, e := CheckText(s)
		if e != nil {
			if e.Code != CodeInvalidText && e.Code != CodeBadUTF8 {
				t.Fatalf("code %q", e.Code)
			}
			return
		}
		n := utf8.RuneCountInString(got)
		if !utf8.ValidString(got) || n < 1 || n > MaxTextChars || got != strings.TrimSpace(got) {
			t.Fatalf("accepted %q (%d runes)", got, n)
		}
		for _, r := range got {
			if isControl(r) && r != '\t' && r != '\n' && r != '\r' || isOverride(r) {
				t.Fatalf("accepted U+%04X", r)
			}
		}
		if again, e := CheckText(got); e != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q, %v", got, again, e)
		}
	})
}

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"Ada", " Bob ", strings.Repeat("n", MaxNameChars+1), "a\x07", "", "名前", "Alice\u202e", "Al\u200bice", "👩\u200d💻", "\u200dAda"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, e := CheckName(s)
		if e != nil {
			if e.Code != CodeInvalidName && e.Code != CodeBadUTF8 {
				t.Fatalf("code %q", e.Code)
			}
			return
		}
		n := utf8.RuneCountInString(got)
		if n < 1 || n > MaxNameChars || strings.ContainsFunc(got, isControl) || strings.ContainsFunc(got, isHiddenInName) ||
			!nameJoinerOK([]rune(got)) || got != strings.TrimSpace(got) {
			t.Fatalf("accepted %q", got)
		}
		if again, e := CheckName(got); e != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q, %v", got, again, e)
		}
	})
}

func FuzzValidFeed(f *testing.F) {
	for _, s := range []string{"main", "a", "-a", strings.Repeat("a", 33), "A", "a_b-c", "a/b", "a\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// The rule written out by hand, independent of the pattern.
		want := len(s) >= 1 && len(s) <= 32
		for i := 0; want && i < len(s); i++ {
			c := s[i]
			alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
			want = alnum || i > 0 && (c == '-' || c == '_')
		}
		if got := ValidFeed(s); got != want {
			t.Fatalf("ValidFeed(%q) = %v, want %v", s, got, want)
		}
	})
}
