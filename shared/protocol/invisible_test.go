package protocol

import "testing"

func TestNamesWithoutHiddenCharacters(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"Alice", true},
		{"أليس", true},
		{"Ann 👩\u200d💻", true}, // an emoji sequence joins with ZWJ
		{"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", true}, // Persian: ZWNJ between letters
		{"Alice\u202e", false},       // RLO
		{"\u202dAlice", false},       // LRO
		{"Ali\u2066ce\u2069", false}, // isolates
		{"Alice\u200f", false},       // RLM
		{"Al\u200bice", false},       // zero-width space
		{"Al\u2060ice", false},       // word joiner
		{"\ufeffAlice", false},       // BOM
		{"Ali\u00adce", false},       // soft hyphen
		{"\u3164", false},            // Hangul filler
		{"Alice\u200d", false},       // a joiner that joins nothing
		{"\u200cAlice", false},
		{"Ali \u200d ce", false},
		{"Ali\u200d\u200dce", false},
	} {
		_, e := CheckName(c.name)
		if (e == nil) != c.ok {
			t.Errorf("%+q: %v, want ok=%v", c.name, e, c.ok)
		}
		if e != nil && e.Code != CodeInvalidName {
			t.Errorf("%+q: code %s", c.name, e.Code)
		}
	}
}

func TestTextWithoutOverrides(t *testing.T) {
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{"hello", true},
		{"\u2067שלום\u2069 world", true}, // isolates stay
		{"مرحبا\u200f!", true},           // marks stay
		{"👨\u200d👩\u200d👧", true},        // ZWJ emoji
		{"access \u202elevel\u202c admin", false},
		{"\u202atext", false},
	} {
		_, e := CheckText(c.text)
		if (e == nil) != c.ok {
			t.Errorf("%+q: %v, want ok=%v", c.text, e, c.ok)
		}
	}
}
