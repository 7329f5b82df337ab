package session

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"time"

	"livefeed/shared/protocol"
)

// Keeping the feeds in the Store, incrementally.
//
// A feed is stored as a header (its Feed fields: position, epoch, ...,
// without the posts) and its newest posts in segments of at most
// SegmentPosts consecutive posts, each under its own key. A segment holds
// the posts from its start position up to the next segment's start, so a
// post always falls in the same segment: a flush writes the header and only
// the segments whose posts changed. A new post changes the newest segment,
// an edit or a reaction the segment of its post; at 500 posts that is one
// segment of 32 instead of the whole feed (about 4 ms of JSON and setItem
// on every event, issue 11).
//
// A flush writes the changed segments first, then the header, then removes
// the segments no longer used. Every write of a flush carries the header's
// next sequence number and the header lists the number each segment was
// written with, so a flush cut short (a crash between two writes) is seen
// when the feed is loaded: a segment that is missing or newer than its
// header's mention discards the cached feed, which then starts afresh from
// a snapshot, as a feed never cached does. Nothing is lost: the feed's
// position only moves with its posts.
//
// The outbox is not kept here: it is written synchronously on every change
// (outbox.go), before an action is sent.

// FlushInterval is how often changed feeds are written to the store.
const FlushInterval = 300 * time.Millisecond

// SegmentPosts is how many posts one stored segment of a feed holds at most.
const SegmentPosts = 32

// storedFeed is a feed's header in the store: the feed without its posts,
// and its segments, oldest first.
type storedFeed struct {
	Feed
	Seq      uint64   `json:"seq"`
	Segments []segRef `json:"segments"`
}

// segRef names a segment in the header: its start position and the
// sequence number of the flush that wrote it.
type segRef struct {
	Start uint64 `json:"start"`
	Seq   uint64 `json:"seq"`
}

// storedSegment is a segment's value in the store.
type storedSegment struct {
	Seq   uint64          `json:"seq"`
	Posts []protocol.Post `json:"posts"` // oldest first
}

// savedFeed is what the store holds of a feed, as the last flush left it
// (or the load found it): the segments' posts as written, to find the ones
// that changed.
type savedFeed struct {
	seq  uint64
	gen  uint64     // the feed's gen: a feed replaced is cut into new segments
	segs []savedSeg // oldest first
}

type savedSeg struct {
	start, seq uint64
	posts      []protocol.Post
}

func segmentKey(feed string, start uint64) string {
	return keyFeedPrefix + feed + "#" + strconv.FormatUint(start, 10)
}

// loadFeed reads a feed from the store into f, and what the store holds of
// it. A feed stored whole by an earlier version is read as it is; its next
// flush stores it in segments.
func loadFeed(st Store, f *Feed, logf func(string, ...any)) *savedFeed {
	b, ok := st.Get(keyFeedPrefix + f.Name)
	if !ok {
		return nil
	}
	name := f.Name
	var h storedFeed
	if err := json.Unmarshal(b, &h); err != nil {
		logf("session: cached feed %s unreadable: %v", name, err)
		return nil
	}
	if h.Segments == nil {
		*f = h.Feed
		f.Name = name
		return nil
	}
	sv := &savedFeed{seq: h.Seq, gen: f.gen}
	var posts []protocol.Post
	for _, r := range h.Segments {
		var seg storedSegment
		b, ok := st.Get(segmentKey(name, r.Start))
		if !ok || json.Unmarshal(b, &seg) != nil || seg.Seq != r.Seq {
			// A flush was cut short: start afresh.
			logf("session: cached feed %s incomplete (segment %d); starting afresh", name, r.Start)
			return nil
		}
		posts = append(posts, seg.Posts...)
		sv.segs = append(sv.segs, savedSeg{start: r.Start, seq: r.Seq, posts: seg.Posts})
	}
	*f = h.Feed
	f.Name, f.Posts = name, posts
	return sv
}

// flush writes changed feeds to the store.
func (s *Session) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return
	}
	for name := range s.dirty {
		if f := s.feeds[name]; f != nil {
			s.saved[name] = storeFeed(s.cfg.Store, f, s.saved[name], s.cfg.Logf)
		}
		delete(s.dirty, name)
	}
}

// Flush writes the feeds changed since the last flush now, instead of at
// the next FlushInterval (the page is hiding: it may not come back).
func (s *Session) Flush() { s.flush() }

// storeFeed writes what changed in f since sv (what the store holds) and
// returns what the store holds now. On a failed write it returns nil, so
// that the next flush writes every segment again.
func storeFeed(st Store, f *Feed, sv *savedFeed, logf func(string, ...any)) *savedFeed {
	window := f.Posts[max(0, len(f.Posts)-protocol.MaxSnapshotPosts):]
	prev := map[uint64]savedSeg{}
	seq := uint64(1)
	if sv != nil {
		seq = sv.seq + 1
		for _, g := range sv.segs {
			prev[g.start] = g
		}
		if sv.gen != f.gen {
			sv = nil // replaced (a snapshot): new segments
		}
	}
	starts := segmentStarts(f.Posts, window, sv)
	h := storedFeed{Feed: *f, Seq: seq}
	h.Posts = nil
	if len(starts) > 0 && starts[0] > f.Posts[0].Pos {
		h.Begins = false // the older ones are loaded again when wanted
	}
	next := &savedFeed{seq: seq, gen: f.gen}
	fail := func(what string, err error) *savedFeed {
		logf("session: store feed %s (%s): %v", f.Name, what, err)
		return nil
	}
	for i, start := range starts {
		end := uint64(0) // none: up to the newest post
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		ps := postsIn(f.Posts, start, end)
		g, ok := prev[start]
		if !ok || !samePosts(g.posts, ps) {
			g = savedSeg{start: start, seq: seq, posts: slices.Clone(ps)}
			b, err := json.Marshal(storedSegment{Seq: seq, Posts: g.posts})
			if err == nil {
				err = st.Set(segmentKey(f.Name, start), b)
			}
			if err != nil {
				return fail("segment", err)
			}
		}
		delete(prev, start)
		next.segs = append(next.segs, g)
		h.Segments = append(h.Segments, segRef{Start: start, Seq: g.seq})
	}
	if h.Segments == nil {
		h.Segments = []segRef{}
	}
	b, err := json.Marshal(h)
	if err == nil {
		err = st.Set(keyFeedPrefix+f.Name, b)
	}
	if err != nil {
		return fail("header", err)
	}
	for start := range prev {
		_ = st.Delete(segmentKey(f.Name, start))
	}
	return next
}

// segmentStarts returns the start positions of the segments that hold
// window, the newest posts of all (both oldest first): the segments of sv
// that still hold posts, and new ones of at most SegmentPosts for posts
// newer than them. The oldest segment may reach below the window, so that
// the window moving up does not change it. If the window reaches below
// sv's segments (older history was merged), or there is no sv, the window
// is cut into new segments.
func segmentStarts(all, window []protocol.Post, sv *savedFeed) []uint64 {
	if len(window) == 0 {
		return nil
	}
	var starts []uint64
	from := 0 // index in all of the first post not in a kept segment
	if sv != nil && len(sv.segs) > 0 && window[0].Pos >= sv.segs[0].start {
		// The segments from the one that holds the window's oldest post.
		first := 0
		for first+1 < len(sv.segs) && sv.segs[first+1].start <= window[0].Pos {
			first++
		}
		segs := sv.segs[first:]
		for i, g := range segs {
			end := uint64(0)
			if i+1 < len(segs) {
				end = segs[i+1].start
			}
			lo, hi := postRange(all, g.start, end)
			if hi == lo {
				continue // all its posts were deleted
			}
			if hi-lo > SegmentPosts {
				if i < len(segs)-1 {
					return cut(all, window[0].Pos) // not the segments of these posts
				}
				hi = lo + SegmentPosts // the newest is full: new posts start another
			}
			starts = append(starts, g.start)
			from = hi
		}
		if starts == nil {
			return cut(all, window[0].Pos)
		}
		return append(starts, cut(all[from:], 0)...)
	}
	return cut(all, window[0].Pos)
}

// cut returns the starts of new segments of SegmentPosts for the posts
// from position start.
func cut(all []protocol.Post, start uint64) []uint64 {
	var starts []uint64
	from, _ := postRange(all, start, 0)
	for i := from; i < len(all); i += SegmentPosts {
		starts = append(starts, all[i].Pos)
	}
	return starts
}

// postRange returns the indexes [lo, hi) of the posts (oldest first) at
// positions from start up to end (0: no end).
func postRange(posts []protocol.Post, start, end uint64) (lo, hi int) {
	lo = sort.Search(len(posts), func(i int) bool { return posts[i].Pos >= start })
	hi = len(posts)
	if end != 0 {
		hi = sort.Search(len(posts), func(i int) bool { return posts[i].Pos >= end })
	}
	return lo, hi
}

func postsIn(posts []protocol.Post, start, end uint64) []protocol.Post {
	lo, hi := postRange(posts, start, end)
	return posts[lo:hi]
}

// samePosts reports whether two runs of posts are equal, field by field
// (persist_test.go checks that every field of protocol.Post is compared).
func samePosts(a, b []protocol.Post) bool {
	return slices.EqualFunc(a, b, samePost)
}

func samePost(a, b protocol.Post) bool {
	return a.ID == b.ID && a.Feed == b.Feed && a.Author == b.Author && a.Text == b.Text &&
		a.Created == b.Created && a.Edited == b.Edited && a.Pos == b.Pos &&
		slices.EqualFunc(a.Reactions, b.Reactions, func(x, y protocol.Reaction) bool {
			return x.Emoji == y.Emoji && x.Count == y.Count && slices.Equal(x.Users, y.Users)
		})
}
