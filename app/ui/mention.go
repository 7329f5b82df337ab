package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// mentions reports whether text mentions the person whose display name is
// name. The rule (docs/whats-new.md, "Mentions"):
//
//   - a mention is "@" (or the full-width "＠" of East Asian keyboards)
//     followed by the name, the name's case ignored (Unicode simple case
//     folding: "@ada" and "@ADA" mention Ada, "@маша" mentions Маша);
//   - it stands on its own: the character before the "@" is not a letter,
//     digit, combining mark or "_" (so "ada@example.org" mentions no one),
//     and when the name ends in one of those, so does not the character
//     after it ("@Adam" does not mention Ada; "@Ada," and "@Ada's" do);
//   - a run of spaces in the name matches any run of white space
//     ("@Ada  Lovelace" mentions Ada Lovelace), and a name starting with
//     "@" is written with one "@";
//   - bidirectional formatting characters (LRM, RLM, ALM, the embeddings,
//     overrides and isolates), which right-to-left text and pasted names
//     carry invisibly, are ignored in both;
//   - the text is compared as written: no Unicode normalisation (an "é"
//     typed as "e" and a combining accent does not match a precomposed
//     one).
//
// "@Ada" in "@Ada Lovelace" also mentions a person called Ada: the text
// cannot tell which of the two was meant.
func mentions(text, name string) bool {
	name = strings.TrimLeft(strings.TrimSpace(name), "@＠")
	if strings.IndexFunc(name, func(r rune) bool { return !isBidiControl(r) && !unicode.IsSpace(r) }) < 0 {
		return false // nothing to mention
	}
	lastWord := isWordRune(lastRune(name))
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if (r == '@' || r == '＠') && !isWordRune(lastRune(text[:i])) {
			if n, ok := matchName(text[i+size:], name); ok {
				if !lastWord || !isWordRune(firstRune(text[i+size+n:])) {
					return true
				}
			}
		}
		i += size
	}
	return false
}

// matchName reports whether s starts with name (see mentions) and how many
// bytes of s the name covers.
func matchName(s, name string) (int, bool) {
	i := 0
	for j := 0; j < len(name); {
		nr, nsize := utf8.DecodeRuneInString(name[j:])
		if isBidiControl(nr) {
			j += nsize
			continue
		}
		i += skipBidi(s[i:])
		if unicode.IsSpace(nr) {
			// A run of spaces in the name, a run of white space in s.
			for j < len(name) {
				r, size := utf8.DecodeRuneInString(name[j:])
				if !unicode.IsSpace(r) && !isBidiControl(r) {
					break
				}
				j += size
			}
			n := 0
			for i < len(s) {
				r, size := utf8.DecodeRuneInString(s[i:])
				if !unicode.IsSpace(r) && !isBidiControl(r) {
					break
				}
				if unicode.IsSpace(r) {
					n++
				}
				i += size
			}
			if n == 0 {
				return 0, false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if i >= len(s) || !sameFold(r, nr) {
			return 0, false
		}
		i += size
		j += nsize
	}
	return i, true
}

// sameFold reports whether a and b are the same letter but for case
// (Unicode simple folding).
func sameFold(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// isWordRune reports whether r belongs to a word: a letter, a digit, a
// combining mark (Arabic vowel signs, Indic vowel signs and viramas) or
// "_".
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isBidiControl reports whether r is a bidirectional formatting character:
// ALM, LRM, RLM, the embeddings and overrides (U+202A–U+202E) and the
// isolates (U+2066–U+2069).
func isBidiControl(r rune) bool {
	switch {
	case r == '\u061c', r == '\u200e', r == '\u200f':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// skipBidi is the number of bytes of bidirectional formatting characters
// that s starts with.
func skipBidi(s string) int {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isBidiControl(r) {
			break
		}
		i += size
	}
	return i
}

// firstRune is the first rune of s that is not a bidirectional formatting
// character (utf8.RuneError for none).
func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s[skipBidi(s):])
	return r
}

// lastRune is the last rune of s that is not a bidirectional formatting
// character (utf8.RuneError for none).
func lastRune(s string) rune {
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if !isBidiControl(r) {
			return r
		}
		s = s[:len(s)-size]
	}
	return utf8.RuneError
}
