package ui

import (
	"strings"
	"unicode"
)

// Long posts fold behind "Show more".
//
// Whether a post is long is decided from its text, not measured in the
// page (a measurement per card would cost a layout per card on every
// render): estimatedLines counts its lines as a desktop column would wrap
// them, and a post of more than foldLines folds. A folded post shows its
// first foldShownLines lines (CSS line-clamp, .post-folded in
// web/app.css) and a "Show more" button; "Show less" folds it back. The
// whole text stays in the page, for find-in-page, copying and screen
// readers.
//
// The reader's choice is the page's, by feed and post (the unfolded map
// of feedPage): it follows the post when the list shifts and go-app hands
// its card to another post.

// foldLines is how many estimated lines a post may take and still show in
// full; a post of more folds.
const foldLines = 10

// foldShownLines is how many lines a folded post shows (the line-clamp of
// .post-folded in web/app.css says the same).
const foldShownLines = 6

// foldLineChars is how many characters an estimated line holds: the post
// text's column on a desktop is 524 px of 16 px system-ui, about 66
// average Latin characters. On a phone's narrower column a post folds at
// about 15 of its lines.
const foldLineChars = 64

// foldable reports whether text is long enough to fold: more than
// foldLines estimated lines.
func foldable(text string) bool { return estimatedLines(text, foldLines+1) > foldLines }

// estimatedLines is how many lines text takes in a column of foldLineChars
// (counting at most up to limit: the caller only asks whether it is
// longer). Every line break starts a line; a line wraps every
// foldLineChars columns, where a wide (East Asian) character takes two
// columns and combining marks and format characters none, so a letter
// with 1,999 combining marks is one character.
func estimatedLines(text string, limit int) int {
	lines := 0
	for line := range strings.SplitSeq(text, "\n") {
		cols := 0
		for _, r := range line {
			cols += runeColumns(r)
		}
		lines += max(1, (cols+foldLineChars-1)/foldLineChars)
		if lines >= limit {
			return lines
		}
	}
	return lines
}

// runeColumns is how many columns r takes in estimatedLines.
func runeColumns(r rune) int {
	switch {
	case r < 0x300:
		if r == '\r' {
			return 0
		}
		return 1
	case unicode.IsMark(r) || unicode.Is(unicode.Cf, r) || (0xFE00 <= r && r <= 0xFE0F):
		return 0
	case wideRune(r):
		return 2
	}
	return 1
}

// wideRune reports whether r is a wide character: Hangul, CJK, kana,
// full-width forms, emoji.
func wideRune(r rune) bool {
	switch {
	case 0x1100 <= r && r <= 0x115F,
		0x2E80 <= r && r <= 0x303E,
		0x3041 <= r && r <= 0x33FF,
		0x3400 <= r && r <= 0x4DBF,
		0x4E00 <= r && r <= 0x9FFF,
		0xA000 <= r && r <= 0xA4CF,
		0xAC00 <= r && r <= 0xD7A3,
		0xF900 <= r && r <= 0xFAFF,
		0xFE30 <= r && r <= 0xFE4F,
		0xFF00 <= r && r <= 0xFF60,
		0xFFE0 <= r && r <= 0xFFE6,
		0x1F300 <= r && r <= 0x1F64F,
		0x1F900 <= r && r <= 0x1F9FF,
		0x20000 <= r && r <= 0x3FFFD:
		return true
	}
	return false
}

// foldKey is what a post's fold state is kept by: its id, or for a post
// not in the feed yet its op id.
func foldKey(v postView) string {
	if v.ID != "" {
		return v.ID
	}
	return "op:" + v.Op
}

// unfolded reports whether the reader unfolded the post key (foldKey) of
// the page's feed.
func (p *feedPage) unfolded(key string) bool { return p.unfoldedPosts[p.feed+"/"+key] }

// setUnfolded records that the reader unfolded (open) or folded back the
// post key of the page's feed. Only what the reader opened is kept.
func (p *feedPage) setUnfolded(key string, open bool) {
	k := p.feed + "/" + key
	if !open {
		delete(p.unfoldedPosts, k)
		return
	}
	if p.unfoldedPosts == nil {
		p.unfoldedPosts = map[string]bool{}
	}
	p.unfoldedPosts[k] = true
}
