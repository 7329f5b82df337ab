package feed

import (
	"encoding/json"
	"slices"
	"sort"
	"sync"
	"time"

	"livefeed/shared/protocol"
)

// DedupeWindow is how long the view remembers an applied op id: a resend of
// the same op within this window is acknowledged as a duplicate and stores
// nothing. Clients keep unsent actions in their outbox for at most
// session.MaxOutboxAge (7 days), so 30 days covers every plausible resend,
// including ones made after a server restart (the window is rebuilt from the
// log and kept in snapshots).
const DedupeWindow = 30 * 24 * time.Hour

// View is the state derived from the log, in log order: every feed's posts
// and reactions, and the op ids applied. Every node that applies the same
// log gets the same view.
type View struct {
	mu      sync.RWMutex
	applied uint64 // last sequence applied
	feeds   map[string]*feedView
	ops     map[string]opEntry
	oldest  time.Time // oldest op entry's time, for pruning
	removed int       // feeds with Removed set

	// The shared snapshots (snapshot_share.go), under snapMu, which is
	// taken with mu held (for reading or writing), never the other way.
	snapMu    sync.Mutex
	snaps     map[string]*sharedSnapshot
	snapBytes int
}

type feedView struct {
	Last  uint64           `json:"last"` // sequence of the feed's last record
	Posts []*post          `json:"posts"`
	byID  map[string]*post // includes deleted posts
	// Removed: an operator removed the feed and nothing was posted since;
	// it does not count toward protocol.MaxFeeds.
	Removed bool `json:"removed,omitempty"`
}

type post struct {
	protocol.Post
	Deleted bool `json:"deleted,omitempty"`
}

type opEntry struct {
	Seq  uint64 `json:"seq"`
	Feed string `json:"feed"`
	ID   string `json:"id"` // the post the op was about
	Time int64  `json:"t"`
}

// NewView returns an empty view.
func NewView() *View {
	return &View{feeds: map[string]*feedView{}, ops: map[string]opEntry{}, snaps: map[string]*sharedSnapshot{}}
}

// Applied returns the sequence of the last record applied.
func (v *View) Applied() uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.applied
}

// FeedLast returns the sequence of the last record of feed (0: none).
func (v *View) FeedLast(feed string) uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if f := v.feeds[feed]; f != nil {
		return f.Last
	}
	return 0
}

// apply applies one event; seq order is the caller's duty. It is
// deterministic: validation happened before the append, so apply only
// guards against impossible states (an edit of an unknown post changes
// nothing).
func (v *View) apply(e protocol.Event, t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.applied = e.Pos
	v.dropSharedLocked(e.Feed)
	f := v.feedLocked(e.Feed)
	f.Last = e.Pos
	v.ops[opKey(e.Author.ID, e.Op)] = opEntry{Seq: e.Pos, Feed: e.Feed, ID: e.ID, Time: e.Time}
	if v.oldest.IsZero() {
		v.oldest = t
	}
	p := f.byID[e.ID]
	switch e.Kind {
	case protocol.KindRemoved:
		if !f.Removed {
			f.Posts, f.byID, f.Removed = nil, map[string]*post{}, true
			v.removed++
		}
	case protocol.KindPost:
		if f.Removed {
			f.Removed = false
			v.removed--
		}
		if p == nil {
			p = &post{Post: protocol.PostOf(e)}
			f.byID[e.ID] = p
			f.Posts = append(f.Posts, p)
		}
	case protocol.KindEdit, protocol.KindReact:
		if p != nil && !p.Deleted {
			p.Apply(e)
		}
	case protocol.KindDelete:
		if p != nil && !p.Deleted {
			p.Deleted = true
			p.Text, p.Reactions = "", nil
		}
	}
	// Forget op ids past the dedupe window, at most once an hour.
	if t.Sub(v.oldest) > DedupeWindow+time.Hour {
		cut := t.Add(-DedupeWindow).UnixMilli()
		for k, o := range v.ops {
			if o.Time < cut {
				delete(v.ops, k)
			}
		}
		v.oldest = t.Add(-DedupeWindow)
	}
	// Drop deleted posts from the ordered list now and then.
	if len(f.Posts) > 64 && len(f.Posts)%64 == 0 {
		f.Posts = slices.DeleteFunc(f.Posts, func(p *post) bool { return p.Deleted })
	}
}

func (v *View) feedLocked(name string) *feedView {
	f := v.feeds[name]
	if f == nil {
		f = &feedView{byID: map[string]*post{}}
		v.feeds[name] = f
	}
	return f
}

// isNewFeed reports whether a post to feed would start it: it has no
// records, or an operator removed it and nothing was posted since.
func (v *View) isNewFeed(feed string) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	f := v.feeds[feed]
	return f == nil || f.Removed
}

// Snapshot returns feed's newest posts (at most protocol.MaxSnapshotPosts,
// newest first, deleted ones left out) and the feed's last sequence, for no
// one in particular (see SnapshotFor).
func (v *View) Snapshot(feed string) protocol.Snapshot { return v.SnapshotFor(feed, "") }

// SnapshotFor is the snapshot sent to user me: each reaction lists at most
// protocol.MaxReactionUsers users, me first if me gave it (so the client
// knows its own reactions), with the count of all. Its encoding is at most
// protocol.MaxSnapshotBytes: the oldest posts that do not fit are left out,
// and Truncated is set.
func (v *View) SnapshotFor(feed, me string) protocol.Snapshot {
	s, stop := v.newest(feed, me, protocol.MaxSnapshotPosts, protocol.MaxSnapshotBytes)
	s.Truncated = stop == stopBytes
	return s
}

// Newest is a snapshot of feed's newest posts for user me (reactions
// listed as in SnapshotFor) of at most maxPosts posts and at most maxBytes
// encoded, for a page prerendered before its app has started (ui's first
// paint), and whether its posts reach back to the feed's first post.
func (v *View) Newest(feed, me string, maxPosts, maxBytes int) (s protocol.Snapshot, begins bool) {
	s, stop := v.newest(feed, me, maxPosts, maxBytes)
	return s, stop == stopNone
}

func (v *View) newest(feed, me string, maxPosts, maxBytes int) (protocol.Snapshot, pageStop) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.newestLocked(feed, me, maxPosts, maxBytes)
}

// newestLocked is newest with v.mu held.
func (v *View) newestLocked(feed, me string, maxPosts, maxBytes int) (protocol.Snapshot, pageStop) {
	s := protocol.Snapshot{Feed: feed, Posts: []protocol.Post{}}
	f := v.feeds[feed]
	if f == nil {
		return s, stopNone
	}
	s.Pos = f.Last
	var stop pageStop
	s.Posts, stop = collect(f.Posts, len(f.Posts)-1, me, maxPosts, protocol.SnapshotLen(feed, s.Pos, true), maxBytes)
	return s, stop
}

// snapshotLocked is SnapshotFor with v.mu held.
func (v *View) snapshotLocked(feed, me string) protocol.Snapshot {
	s, stop := v.newestLocked(feed, me, protocol.MaxSnapshotPosts, protocol.MaxSnapshotBytes)
	s.Truncated = stop == stopBytes
	return s
}

// pageStop is why collect stopped.
type pageStop int

const (
	stopNone  pageStop = iota // no posts left
	stopCount                 // it had max posts
	stopBytes                 // the next post would not fit in MaxSnapshotBytes
)

// collect returns the posts of ps (log order) from index i down, newest
// first, deleted ones left out and reactions listed for me (listReactions):
// at most max, and at most limit bytes encoded in a message whose other
// bytes are size. It says why it stopped.
func collect(ps []*post, i int, me string, max, size, limit int) ([]protocol.Post, pageStop) {
	out := []protocol.Post{}
	for ; i >= 0; i-- {
		p := ps[i]
		if p.Deleted {
			continue
		}
		if len(out) == max {
			return out, stopCount
		}
		c := p.Post
		c.Reactions = listReactions(p.Reactions, me)
		n := protocol.PostLen(c)
		if len(out) > 0 {
			n++ // the comma
		}
		if size+n > limit {
			return out, stopBytes
		}
		size += n
		out = append(out, c)
	}
	return out, stopNone
}

// HistoryFor is the page of feed's posts created before position before
// for user me (see protocol.History): at most protocol.HistoryPage posts,
// newest first, reactions listed as in SnapshotFor, and at most
// protocol.MaxSnapshotBytes encoded.
func (v *View) HistoryFor(feed, me string, before uint64) protocol.History {
	v.mu.RLock()
	defer v.mu.RUnlock()
	h := protocol.History{Feed: feed, Before: before, Posts: []protocol.Post{}, End: true}
	f := v.feeds[feed]
	if f == nil {
		return h
	}
	h.Pos = f.Last
	// Posts are in log order: the first one at or after before.
	i := sort.Search(len(f.Posts), func(i int) bool { return f.Posts[i].Pos >= before }) - 1
	var stop pageStop
	h.Posts, stop = collect(f.Posts, i, me, protocol.HistoryPage, protocol.HistoryLen(feed, h.Pos, before), protocol.MaxSnapshotBytes)
	h.End = stop == stopNone
	return h
}

// listReactions copies rs with at most protocol.MaxReactionUsers users
// listed per reaction, me first when among them, and their count.
func listReactions(rs []protocol.Reaction, me string) []protocol.Reaction {
	if len(rs) == 0 {
		return nil
	}
	out := make([]protocol.Reaction, len(rs))
	for i, r := range rs {
		users := make([]protocol.User, 0, min(len(r.Users), protocol.MaxReactionUsers))
		if j := slices.IndexFunc(r.Users, func(u protocol.User) bool { return me != "" && u.ID == me }); j >= 0 {
			users = append(users, r.Users[j])
		}
		for _, u := range r.Users {
			if len(users) == protocol.MaxReactionUsers {
				break
			}
			if me == "" || u.ID != me {
				users = append(users, u)
			}
		}
		out[i] = protocol.Reaction{Emoji: r.Emoji, Users: users, Count: len(r.Users)}
	}
	return out
}

// check validates action a by user against the view and resolves it into
// a record: its Prev is the feed's last position now, which the append
// expects the feed still to have, and for a reaction On says whether it
// adds or takes back. inFlight: this node has stored actions of the feed
// the view has not applied yet (pipeline.go), so a post does not start
// the feed. A refusal is a *protocol.Error.
func (v *View) check(u protocol.User, a protocol.Action, inFlight bool) (record, *protocol.Error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	f := v.feeds[a.Feed]
	rec := record{Kind: a.Kind(), Op: a.Op, Author: u, ID: a.ID, Emoji: a.Emoji}
	if f != nil {
		rec.Prev = f.Last
	}
	if a.Kind() == protocol.TypePost || a.Kind() == protocol.TypeEdit {
		t, err := protocol.CheckText(a.Text)
		if err != nil {
			return rec, err
		}
		rec.Text = t
	}
	if a.Kind() == protocol.TypePost {
		rec.ID = ""
		if (f == nil || f.Removed) && !inFlight && len(v.feeds)-v.removed >= protocol.MaxFeeds {
			return rec, protocol.Errorf(protocol.CodeTooManyFeeds, "the server holds %d feeds, its limit; post to an existing feed", protocol.MaxFeeds)
		}
		return rec, nil
	}
	var p *post
	if f != nil {
		p = f.byID[a.ID]
	}
	if p == nil || p.Deleted {
		return rec, protocol.Errorf(protocol.CodeNotFound, "post %q does not exist in feed %q", a.ID, a.Feed)
	}
	switch a.Kind() {
	case protocol.TypeEdit, protocol.TypeDelete:
		if p.Author.ID != u.ID {
			return rec, protocol.Errorf(protocol.CodeForbidden, "only the author can %s post %q", a.Kind(), a.ID)
		}
	case protocol.TypeReact:
		rec.On = true
		for _, r := range p.Reactions {
			if r.Emoji == a.Emoji && slices.ContainsFunc(r.Users, func(x protocol.User) bool { return x.ID == u.ID }) {
				rec.On = false
			}
		}
	}
	return rec, nil
}

// op returns the entry of an applied op id.
func (v *View) op(userID, op string) (opEntry, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	o, ok := v.ops[opKey(userID, op)]
	return o, ok
}

// viewState is the serialized form of a View (a log snapshot).
type viewState struct {
	Applied uint64               `json:"applied"`
	Feeds   map[string]*feedView `json:"feeds"`
	Ops     map[string]opEntry   `json:"ops"`
}

// Marshal serializes the view; it returns the sequence it reflects.
func (v *View) Marshal() (uint64, []byte, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	b, err := json.Marshal(viewState{Applied: v.applied, Feeds: v.feeds, Ops: v.ops})
	return v.applied, b, err
}

// Restore replaces the view with a serialized one.
func (v *View) Restore(b []byte) error {
	var st viewState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	for _, f := range st.Feeds {
		f.byID = make(map[string]*post, len(f.Posts))
		for _, p := range f.Posts {
			f.byID[p.ID] = p
		}
	}
	if st.Feeds == nil {
		st.Feeds = map[string]*feedView{}
	}
	if st.Ops == nil {
		st.Ops = map[string]opEntry{}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.applied, v.feeds, v.ops = st.Applied, st.Feeds, st.Ops
	v.snapMu.Lock()
	v.snaps, v.snapBytes = map[string]*sharedSnapshot{}, 0
	v.snapMu.Unlock()
	v.oldest = time.Time{}
	v.removed = 0
	for _, f := range v.feeds {
		if f.Removed {
			v.removed++
		}
	}
	return nil
}

// Equal reports whether two views hold the same state (for convergence
// tests).
func (v *View) Equal(w *View) bool {
	_, a, err1 := v.Marshal()
	_, b, err2 := w.Marshal()
	return err1 == nil && err2 == nil && string(a) == string(b)
}
