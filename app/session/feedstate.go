package session

import (
	"slices"

	"livefeed/shared/protocol"
)

// Feed is the client's copy of one feed: its posts and the position of the
// last event applied.
type Feed struct {
	Name string `json:"name"`
	// Pos is the position of the last event applied; Synced is true once
	// Pos is meaningful (after a snapshot, a subscribed message or an event).
	Pos    uint64 `json:"pos"`
	Synced bool   `json:"synced"`
	// Epoch is the epoch of the log Pos and Posts are of (from the last
	// snapshot or subscribed; empty when the server did not say): resumed
	// with Pos, and sent with actions naming these posts, so that a log
	// that was reset is never taken for this one.
	Epoch string `json:"epoch,omitempty"`
	// Posts, oldest first. Deleted posts are removed.
	Posts []protocol.Post `json:"posts"`
	// Begins: Posts reach back to the feed's first post; there is no
	// older history to load.
	Begins bool `json:"begins,omitempty"`

	idx map[string]int // post id -> index in Posts; nil when stale
	gen uint64         // bumped when Posts is replaced (Reset, removal)
	// shared: Posts' array is also held by a copy handed out (Session.Feed),
	// so it is copied before a post in it changes (own). Appending needs no
	// copy: it writes past the length every copy has.
	shared bool
}

// own makes Posts' array the feed's own before a post in it changes.
func (f *Feed) own() {
	if f.shared {
		f.Posts, f.shared = slices.Clone(f.Posts), false
	}
}

// Applied is the outcome of offering an event to a feed.
type Applied int

// Outcomes of Feed.Apply.
const (
	AppliedOK  Applied = iota // the event was applied
	AppliedDup                // already applied (Pos <= feed's position); ignored
	AppliedGap                // events are missing before it; resume needed
)

// Apply applies e if it continues the feed: e.Prev <= f.Pos < e.Pos.
func (f *Feed) Apply(e protocol.Event) Applied {
	if f.Synced && e.Pos <= f.Pos {
		return AppliedDup
	}
	if f.Synced && e.Prev > f.Pos {
		return AppliedGap
	}
	f.Pos, f.Synced = e.Pos, true
	i := f.index(e.ID)
	switch e.Kind {
	case protocol.KindPost:
		if i < 0 {
			f.Posts = append(f.Posts, protocol.PostOf(e))
			if f.idx != nil {
				f.idx[e.ID] = len(f.Posts) - 1
			}
			if len(f.Posts) > MaxLoadedPosts+protocol.MaxSnapshotPosts {
				f.own()
				f.Posts = slices.Delete(f.Posts, 0, len(f.Posts)-MaxLoadedPosts)
				f.idx, f.Begins = nil, false
			}
		}
	case protocol.KindEdit, protocol.KindReact:
		if i >= 0 {
			f.own()
			f.Posts[i].Apply(e)
		}
	case protocol.KindDelete:
		if i >= 0 {
			f.own()
			f.Posts = slices.Delete(f.Posts, i, i+1)
			f.idx = nil
		}
	case protocol.KindRemoved:
		f.Posts, f.idx, f.Begins = nil, nil, true
		f.gen++
	}
	return AppliedOK
}

// Reset replaces the feed's state with a snapshot.
func (f *Feed) Reset(s protocol.Snapshot) {
	posts := make([]protocol.Post, len(s.Posts))
	for i, p := range s.Posts { // snapshot is newest first; keep oldest first
		posts[len(s.Posts)-1-i] = p
	}
	f.Posts, f.Pos, f.Synced, f.idx, f.Epoch = posts, s.Pos, true, nil, s.Epoch
	// Fewer than a full snapshot, none left out: that is every post.
	f.Begins = len(s.Posts) < protocol.MaxSnapshotPosts && !s.Truncated
	f.gen++
}

// Oldest returns the position of the oldest post held (0: none).
func (f *Feed) Oldest() uint64 {
	if len(f.Posts) == 0 {
		return 0
	}
	return f.Posts[0].Pos
}

// prepend merges a page of older posts (newest first) below the posts
// held, if it joins them: every post older than h.Before is in h, so h
// must reach up to the oldest post held. It reports whether it merged.
func (f *Feed) prepend(h protocol.History) bool {
	if len(f.Posts) > 0 && h.Before < f.Oldest() {
		return false // posts between the page and ours are missing
	}
	older := make([]protocol.Post, 0, len(h.Posts)+len(f.Posts))
	for i := len(h.Posts) - 1; i >= 0; i-- {
		if p := h.Posts[i]; len(f.Posts) == 0 || p.Pos < f.Oldest() {
			older = append(older, p)
		}
	}
	f.Posts, f.idx = append(older, f.Posts...), nil
	f.Begins = h.End
	return true
}

// Post returns the post with id.
func (f *Feed) Post(id string) (protocol.Post, bool) {
	if i := f.index(id); i >= 0 {
		return f.Posts[i], true
	}
	return protocol.Post{}, false
}

func (f *Feed) index(id string) int {
	if f.idx == nil {
		f.idx = make(map[string]int, len(f.Posts))
		for i, p := range f.Posts {
			f.idx[p.ID] = i
		}
	}
	if i, ok := f.idx[id]; ok {
		return i
	}
	return -1
}
