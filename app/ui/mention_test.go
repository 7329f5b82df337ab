package ui

import "testing"

func TestMentions(t *testing.T) {
	tests := []struct {
		text, name string
		want       bool
	}{
		{"hi @Ada", "Ada", true},
		{"@Ada hi", "Ada", true},
		{"@ada", "Ada", true},
		{"@ADA!", "Ada", true},
		{"(@Ada)", "Ada", true},
		{"@Ada, look", "Ada", true},
		{"@Ada's post", "Ada", true},
		{"@Ada.", "Ada", true},
		{"line\n@Ada", "Ada", true},
		{"hi Ada", "Ada", false}, // no "@"
		{"@ Ada", "Ada", false},  // "@" apart from the name
		{"@Adam", "Ada", false},  // a longer name
		{"@Ada_x", "Ada", false}, // "_" continues a word
		{"@Ada2", "Ada", false},  // so does a digit
		{"mail ada@example.org", "Ada", false},
		{"x@Ada", "Ada", false}, // glued to a word before
		{"_@Ada", "Ada", false},
		{"@@Ada", "Ada", true}, // "@" is no letter
		{"@Ad", "Ada", false},  // cut short
		{"", "Ada", false},
		{"@", "Ada", false},
		{"@Ada", "", false}, // an empty name mentions no one
		{"@", "   ", false},
		{"@ada", "@Ada", true}, // a name that starts with "@"
		{"＠Ada", "Ada", true},  // full-width at sign
		{"＠ada", "＠Ada", true},
		{"a@Ada and @Ada", "Ada", true}, // the second one counts
		{"@Adam and @Ada", "Ada", true},
		// Names with spaces.
		{"@Ada Lovelace hi", "Ada Lovelace", true},
		{"@ada lovelace", "Ada Lovelace", true},
		{"@Ada  Lovelace", "Ada Lovelace", true},     // more spaces
		{"@Ada\u00a0Lovelace", "Ada Lovelace", true}, // no-break space
		{"@Ada\nLovelace", "Ada Lovelace", true},
		{"@AdaLovelace", "Ada Lovelace", false},
		{"@Ada Lovelaces", "Ada Lovelace", false},
		{"@Ada", "Ada Lovelace", false},
		{"@Ada Lovelace", "Ada", true}, // the text cannot tell (see mentions)
		{"@Ada Lovelace", "Ada  Lovelace", true},
		// Other scripts and cases.
		{"привет @маша", "Маша", true},
		{"@МАША!", "Маша", true},
		{"@Машенька", "Маша", false},
		{"@ΣΟΦΙΑ", "σοφια", true},
		{"@straße", "STRASSE", false}, // simple folding only
		{"@Kim", "\u212aim", true},    // the Kelvin sign folds to k
		// Right to left.
		{"مرحبا @مريم!", "مريم", true},
		{"@مريم", "مريم", true},
		{"@مريمة", "مريم", false},
		{"\u200f@\u200fمريم\u200f", "مريم", true}, // RLMs in the text
		{"@مريم", "\u2067مريم\u2069", true},       // an isolated name
		{"@\u2067مريم\u2069 مرحبا", "مريم", true},
		{"شكرا @דנה", "דנה", true},
		{"@דנה כהן", "דנה כהן", true},
		{"@مريمَ", "مريم", false}, // a vowel sign (combining mark) continues the word
		// Combining marks in the name itself (Devanagari).
		{"@प्रिया", "प्रिया", true},
		{"@प्रियाजी", "प्रिया", false},
		// A name ending in punctuation needs nothing after it.
		{"@Bob!x", "Bob!", true},
		{"@Bob", "Bob!", false},
	}
	for _, tt := range tests {
		if got := mentions(tt.text, tt.name); got != tt.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", tt.text, tt.name, got, tt.want)
		}
	}
}
