package ui

import "strconv"

// titleCountCap is the largest count of unseen posts the tab's title shows
// as a number; above it the title says "(99+)". The app badge gets the
// exact count (the system draws it, and caps it itself).
const titleCountCap = 99

// tabTitle is the tab's title for feed with unseen posts by others:
// pageTitle(feed) ("Livefeed", "#name · Livefeed"), prefixed "(N) " when
// there are any.
func tabTitle(feed string, unseen int) string {
	return countPrefix(unseen) + pageTitle(feed)
}

// countPrefix is "(N) " for n unseen posts, "(99+) " above titleCountCap,
// "" for none.
func countPrefix(n int) string {
	switch {
	case n <= 0:
		return ""
	case n > titleCountCap:
		return "(" + strconv.Itoa(titleCountCap) + "+) "
	default:
		return "(" + strconv.Itoa(n) + ") "
	}
}
