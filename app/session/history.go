package session

import "livefeed/shared/protocol"

// MaxLoadedPosts is how many posts of one feed a session holds at most in
// memory, older history included; past it (plus a snapshot's worth, so that
// trimming is rare) the oldest are dropped and can be loaded again. Only
// the newest protocol.MaxSnapshotPosts are kept in the Store.
const MaxLoadedPosts = 5000

// heldHistory is a page of older posts waiting for the feed to catch up
// with the position the page reflects.
type heldHistory struct {
	page protocol.History
	gen  uint64 // the feed's gen when the page came
}

// AddHistory merges a page of a feed's older posts (from GET
// /api/feeds/{feed}/history, asked with at= the feed's Pos) below the posts
// held. The page reflects every event up to its Pos: if the feed has not
// applied all of them yet, the page waits until it has (events about the
// page's posts are then already in it, and count once), and is dropped if
// a snapshot replaces the feed meanwhile. A page that does not join the
// posts held (they changed since it was asked for) is dropped too.
func (s *Session) AddHistory(h protocol.History) {
	s.mu.Lock()
	f := s.feeds[h.Feed]
	if f == nil {
		s.mu.Unlock()
		return
	}
	s.held[h.Feed] = heldHistory{page: h, gen: f.gen}
	merged := s.mergeHeldLocked(h.Feed)
	s.mu.Unlock()
	if merged {
		s.notify(Update{Kind: UpdateFeed, Feed: h.Feed})
	}
}

// HistoryWaiting reports whether a page of feed's history is waiting for
// the feed to catch up.
func (s *Session) HistoryWaiting(feed string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	hh, ok := s.held[feed]
	return ok && s.feeds[feed] != nil && s.feeds[feed].gen == hh.gen
}

// mergeHeldLocked merges feed's waiting page once the feed has caught up
// with it; it reports whether the feed's posts changed.
func (s *Session) mergeHeldLocked(feed string) bool {
	hh, ok := s.held[feed]
	if !ok {
		return false
	}
	f := s.feeds[feed]
	if f == nil || f.gen != hh.gen {
		delete(s.held, feed)
		return false
	}
	if !f.Synced || f.Pos < hh.page.Pos {
		return false
	}
	delete(s.held, feed)
	return f.prepend(hh.page)
}
