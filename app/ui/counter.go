package ui

import "livefeed/shared/protocol"

// counterMarks are the characters left at which the compose box's hidden
// note speaks, politely: a screen reader hears "150 characters left" once
// on coming into each band (200 to 101 left, 100 to 51, ... none left,
// over the limit), not on every keystroke, and nothing at all while the
// text is shorter than counterFrom. The first mark is where counterFrom
// starts; the visible counter ("1850 / 2000") is not a live region.
var counterMarks = [...]int{protocol.MaxTextChars - counterFrom, 100, 50, 20, 10, 0}

// counterBand is the band a text of n characters is in: 0 below
// counterFrom (quiet), then 1 + the index of the last mark at or above the
// characters left, and len(counterMarks)+1 over the limit.
func counterBand(n int) int {
	left := protocol.MaxTextChars - n
	switch {
	case n < counterFrom:
		return 0
	case left < 0:
		return len(counterMarks) + 1
	}
	band := 0
	for i, m := range counterMarks {
		if m >= left {
			band = i + 1
		}
	}
	return band
}

// counterNote is what the note says for a text of n characters.
func counterNote(n int) string {
	left := protocol.MaxTextChars - n
	switch {
	case n < counterFrom:
		return ""
	case left < 0:
		return plural(-left, "character", "characters") + " over the limit"
	case left == 0:
		return "No characters left"
	}
	return plural(left, "character", "characters") + " left"
}
