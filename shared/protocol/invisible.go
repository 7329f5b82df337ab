package protocol

import "unicode"

// Characters that change what a name or a text looks like without being
// seen. "Alice" followed by a right-to-left override, or with a zero-width
// space inside, renders as "Alice" beside the real one; an override in a
// post reorders the text after it ("Trojan Source").

// isOverride reports whether r is a bidi embedding or override (U+202A
// LRE, U+202B RLE, U+202C PDF, U+202D LRO, U+202E RLO): refused in names
// and texts. Text direction comes from dir=auto and isolation (<bdi>); the
// isolates (U+2066–U+2069) and marks (U+200E, U+200F, U+061C) right-to-left
// writers use stay allowed in texts.
func isOverride(r rune) bool { return r >= 0x202a && r <= 0x202e }

// isHiddenInName reports whether r may not be in a display name: every
// bidi control, and the characters that render as nothing (zero-width
// space, word joiner and the invisible operators, BOM, soft hyphen, the
// Mongolian vowel separator, the Hangul fillers, and any other format
// character but the joiners). ZWJ and ZWNJ, which emoji sequences and
// Persian words need, are allowed between two visible characters only
// (nameJoinerOK).
func isHiddenInName(r rune) bool {
	switch {
	case r == 0x200c || r == 0x200d: // ZWNJ, ZWJ: see nameJoinerOK
		return false
	case isOverride(r), r >= 0x2066 && r <= 0x2069, r == 0x200e || r == 0x200f || r == 0x061c:
		return true
	case r == 0x3164 || r == 0x115f || r == 0x1160 || r == 0xffa0: // Hangul fillers
		return true
	}
	return unicode.Is(unicode.Cf, r) // U+200B, U+2060–U+2064, U+FEFF, U+00AD, U+180E, ...
}

// nameJoinerOK reports whether the joiners of name (ZWJ, ZWNJ) each sit
// between two visible characters: not at an end, not next to a space, a
// joiner or another hidden character.
func nameJoinerOK(name []rune) bool {
	visible := func(i int) bool {
		if i < 0 || i >= len(name) {
			return false
		}
		r := name[i]
		return !unicode.IsSpace(r) && r != 0x200c && r != 0x200d && !isHiddenInName(r)
	}
	for i, r := range name {
		if (r == 0x200c || r == 0x200d) && !(visible(i-1) && visible(i+1)) {
			return false
		}
	}
	return true
}
