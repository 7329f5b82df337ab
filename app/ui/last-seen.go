package ui

import "strconv"

// The reader's last-seen position of each feed, kept in localStorage under
// the user's prefix (store.go), so that it outlives a reload and is shared
// by the user's tabs: the position of the newest post the reader has had
// on screen at the top of the feed with the tab visible (whats-new.go
// decides when). The divider "New since you left" goes by it.

// keySeenPrefix starts the key of a feed's last-seen position (the feed
// name follows); the value is the position in decimal.
const keySeenPrefix = "livefeed/seen/"

// loadSeen returns the last-seen position stored for user and feed (0:
// none, or unreadable).
func loadSeen(userID, feed string) uint64 {
	b, ok := newLocalStore(userID).Get(keySeenPrefix + feed)
	if !ok {
		return 0
	}
	pos, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0
	}
	return pos
}

// saveSeen stores pos as the last-seen position of user and feed unless
// a newer one is stored (another tab of the user saw further). It returns
// the position now stored.
func saveSeen(userID, feed string, pos uint64) uint64 {
	if stored := loadSeen(userID, feed); stored >= pos {
		return stored
	}
	_ = newLocalStore(userID).Set(keySeenPrefix+feed, []byte(strconv.FormatUint(pos, 10)))
	return pos
}
