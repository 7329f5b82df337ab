package session

import (
	"slices"

	"livefeed/shared/protocol"
)

// Follow starts following a feed (subscribing at once when connected).
func (s *Session) Follow(feed string) {
	s.mu.Lock()
	if slices.Contains(s.follow, feed) {
		s.mu.Unlock()
		return
	}
	s.addFeedLocked(feed)
	sub := s.subFor(feed)
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		s.write(c, protocol.Subscribe{Sub: sub})
	}
}

// Unfollow stops following a feed: it is unsubscribed at once when
// connected and no longer resumed. Its cached state and its pending actions
// stay (they still go out on the next connection that follows it).
func (s *Session) Unfollow(feed string) {
	s.mu.Lock()
	i := slices.Index(s.follow, feed)
	if i < 0 {
		s.mu.Unlock()
		return
	}
	s.follow = slices.Delete(s.follow, i, i+1)
	wasSubbed := s.subbed[feed]
	delete(s.subbed, feed)
	c := s.conn
	s.mu.Unlock()
	if c != nil && wasSubbed {
		s.write(c, protocol.Unsubscribe{Feed: feed})
	}
}

// Following returns the feeds the session follows, in the order they were
// added.
func (s *Session) Following() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.follow)
}

// PostsSince counts feed's posts created after position pos by others
// than user me, without copying the feed (the unread count of a feed
// list).
func (s *Session) PostsSince(feed string, pos uint64, me string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[feed]
	if f == nil {
		return 0
	}
	n := 0
	for i := len(f.Posts) - 1; i >= 0 && f.Posts[i].Pos > pos; i-- {
		if f.Posts[i].Author.ID != me {
			n++
		}
	}
	return n
}

// FeedPos returns a feed's position and whether it is synced, without
// copying the feed.
func (s *Session) FeedPos(feed string) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.feeds[feed]; f != nil {
		return f.Pos, f.Synced
	}
	return 0, false
}
