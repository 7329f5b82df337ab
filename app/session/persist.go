package session

import (
	"encoding/json"
	"time"

	"livefeed/shared/protocol"
)

// Keeping the feeds in the Store.

// FlushInterval is how often changed feeds are written to the store.
const FlushInterval = 300 * time.Millisecond

// flush writes changed feeds to the store.
func (s *Session) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return
	}
	for name := range s.dirty {
		f := s.feeds[name]
		keep := *f
		if len(keep.Posts) > protocol.MaxSnapshotPosts {
			keep.Posts = keep.Posts[len(keep.Posts)-protocol.MaxSnapshotPosts:]
			keep.Begins = false // the older ones are loaded again when wanted
		}
		if b, err := json.Marshal(keep); err == nil {
			if err := s.cfg.Store.Set(keyFeedPrefix+name, b); err != nil {
				s.cfg.Logf("session: store feed %s: %v", name, err)
			}
		}
		delete(s.dirty, name)
	}
}
