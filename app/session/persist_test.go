package session

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"livefeed/shared/protocol"
)

// keyLog is a MemoryStore that records the keys written and
// removed.
type keyLog struct {
	*MemoryStore
	sets, deletes []string
}

func newKeyLog() *keyLog { return &keyLog{MemoryStore: NewMemoryStore()} }

func (c *keyLog) Set(key string, val []byte) error {
	c.sets = append(c.sets, key)
	return c.MemoryStore.Set(key, val)
}

func (c *keyLog) Delete(key string) error {
	c.deletes = append(c.deletes, key)
	return c.MemoryStore.Delete(key)
}

func (c *keyLog) reset() { c.sets, c.deletes = nil, nil }

// feedOf returns a feed of n posts at positions 1..n.
func feedOf(n int) *Feed {
	f := &Feed{Name: "main"}
	var snap protocol.Snapshot
	snap.Feed, snap.Pos = "main", uint64(n)
	for i := n; i >= 1; i-- {
		snap.Posts = append(snap.Posts, protocol.Post{
			ID: fmt.Sprintf("p%d", i), Feed: "main", Pos: uint64(i), Text: fmt.Sprintf("post %d", i),
			Author: protocol.User{ID: "u1", Name: "Ada"}, Created: int64(i),
		})
	}
	f.Reset(snap)
	return f
}

func apply(t *testing.T, f *Feed, e protocol.Event) {
	t.Helper()
	e.Feed, e.Prev = f.Name, f.Pos
	if got := f.Apply(e); got != AppliedOK {
		t.Fatalf("Apply(%+v) = %v", e, got)
	}
}

// loaded reads the feed back as a new session would.
func loaded(st Store) (*Feed, *savedFeed) {
	f := &Feed{Name: "main"}
	sv := loadFeed(st, f, func(string, ...any) {})
	return f, sv
}

func sameFeed(t *testing.T, got, want *Feed) {
	t.Helper()
	if got.Pos != want.Pos || got.Synced != want.Synced || got.Begins != want.Begins || got.Epoch != want.Epoch {
		t.Fatalf("loaded pos %d synced %v begins %v epoch %q, want %d %v %v %q", got.Pos, got.Synced, got.Begins, got.Epoch, want.Pos, want.Synced, want.Begins, want.Epoch)
	}
	if !slices.EqualFunc(got.Posts, want.Posts, samePost) {
		t.Fatalf("loaded %d posts, want %d:\n%+v\n%+v", len(got.Posts), len(want.Posts), got.Posts, want.Posts)
	}
}

func TestStoredFeedRoundTrip(t *testing.T) {
	st := newKeyLog()
	f := feedOf(100)
	f.Epoch = "e1" // kept with the position in the header
	sv := storeFeed(st, f, nil, t.Logf)
	if want := (100+SegmentPosts-1)/SegmentPosts + 1; len(st.sets) != want {
		t.Fatalf("first flush wrote %d keys, want %d (every segment and the header)", len(st.sets), want)
	}
	got, gsv := loaded(st)
	sameFeed(t, got, f)
	if !reflect.DeepEqual(gsv.segs, sv.segs) || gsv.seq != sv.seq {
		t.Fatalf("loaded segments %+v, flushed %+v", gsv.segs, sv.segs)
	}
}

// The point of segments: an event writes the header and the one segment
// its post is in, not the whole feed.
func TestFlushWritesOnlyWhatChanged(t *testing.T) {
	st := newKeyLog()
	f := feedOf(500)
	sv := storeFeed(st, f, nil, t.Logf)
	header := keyFeedPrefix + "main"

	steps := []struct {
		name string
		e    protocol.Event
		seg  uint64 // the segment written, by start
	}{
		{"a new post", protocol.Event{Pos: 501, Kind: protocol.KindPost, ID: "p501", Text: "new"}, 481},
		{"an edit of an old post", protocol.Event{Pos: 502, Kind: protocol.KindEdit, ID: "p40", Text: "edited", Time: 9}, 33},
		{"a reaction", protocol.Event{Pos: 503, Kind: protocol.KindReact, ID: "p7", Emoji: "👍", On: true, Author: protocol.User{ID: "u2", Name: "Bo"}}, 1},
		{"a delete", protocol.Event{Pos: 504, Kind: protocol.KindDelete, ID: "p300"}, 289},
	}
	for _, s := range steps {
		st.reset()
		apply(t, f, s.e)
		sv = storeFeed(st, f, sv, t.Logf)
		if want := []string{segmentKey("main", s.seg), header}; !slices.Equal(st.sets, want) || len(st.deletes) != 0 {
			t.Fatalf("%s: wrote %v, removed %v; want %v written", s.name, st.sets, st.deletes, want)
		}
		got, _ := loaded(st)
		sameFeed(t, got, f)
	}

	// Nothing changed but the position (an event about a post not held):
	// the header only.
	st.reset()
	apply(t, f, protocol.Event{Pos: 505, Kind: protocol.KindEdit, ID: "gone", Text: "x"})
	sv = storeFeed(st, f, sv, t.Logf)
	if !slices.Equal(st.sets, []string{header}) {
		t.Fatalf("an event about no post held wrote %v, want the header only", st.sets)
	}

	// Posts keep coming: the newest segment fills, then another starts,
	// and the oldest is removed once it holds nothing of the newest
	// MaxSnapshotPosts.
	for i := 506; i < 506+2*SegmentPosts; i++ {
		st.reset()
		apply(t, f, protocol.Event{Pos: uint64(i), Kind: protocol.KindPost, ID: fmt.Sprintf("p%d", i)})
		sv = storeFeed(st, f, sv, t.Logf)
		if len(st.sets) != 2 || len(st.deletes) > 1 {
			t.Fatalf("post at %d: wrote %v, removed %v; want a segment and the header", i, st.sets, st.deletes)
		}
	}
	got, _ := loaded(st)
	if n := len(got.Posts); n < protocol.MaxSnapshotPosts || n >= protocol.MaxSnapshotPosts+SegmentPosts {
		t.Fatalf("stored %d posts, want the newest %d and at most %d more of the oldest segment", n, protocol.MaxSnapshotPosts, SegmentPosts-1)
	}
	if got.Begins {
		t.Fatal("a feed stored without its oldest posts says it begins")
	}
	newest := f.Posts[len(f.Posts)-len(got.Posts):]
	if !slices.EqualFunc(got.Posts, newest, samePost) {
		t.Fatal("stored posts are not the newest ones")
	}
	for _, k := range []string{segmentKey("main", 1), segmentKey("main", 33)} {
		if _, ok := st.Get(k); ok {
			t.Fatalf("segment %s left in the store", k)
		}
	}
}

func TestStoredFeedBeginsAndReplaced(t *testing.T) {
	st := newKeyLog()
	f := feedOf(10)
	f.Begins = true
	sv := storeFeed(st, f, nil, t.Logf)
	got, _ := loaded(st)
	sameFeed(t, got, f)

	// A snapshot replaces the feed: new segments, the old ones removed.
	st.reset()
	f.Reset(protocol.Snapshot{Feed: "main", Pos: 900, Posts: []protocol.Post{{ID: "p900", Feed: "main", Pos: 900, Text: "after"}}})
	storeFeed(st, f, sv, t.Logf)
	got, _ = loaded(st)
	sameFeed(t, got, f)
	if !slices.Contains(st.deletes, segmentKey("main", 1)) {
		t.Fatalf("the replaced feed's segment stays: removed %v", st.deletes)
	}

	// The feed removed: no posts, no segments.
	st.reset()
	apply(t, f, protocol.Event{Pos: 901, Kind: protocol.KindRemoved})
	storeFeed(st, f, sv, t.Logf)
	got, _ = loaded(st)
	sameFeed(t, got, f)
}

// Older history merged below the posts held is stored with them.
func TestStoredFeedOlderHistory(t *testing.T) {
	st := newKeyLog()
	f := &Feed{Name: "main"}
	f.Reset(protocol.Snapshot{Feed: "main", Pos: 60, Posts: []protocol.Post{{ID: "p60", Pos: 60}, {ID: "p50", Pos: 50}}})
	sv := storeFeed(st, f, nil, t.Logf)
	var h protocol.History
	h.Feed, h.Before, h.End = "main", 50, true
	for i := 49; i >= 1; i-- {
		h.Posts = append(h.Posts, protocol.Post{ID: fmt.Sprintf("p%d", i), Pos: uint64(i)})
	}
	if !f.prepend(h) {
		t.Fatal("the page did not join")
	}
	storeFeed(st, f, sv, t.Logf)
	got, _ := loaded(st)
	sameFeed(t, got, f)
}

// A flush cut short between its writes (a crash) is seen at the next load,
// which then starts afresh (a snapshot) instead of mixing two states.
func TestFlushCutShortStartsAfresh(t *testing.T) {
	for _, cut := range []string{"segment newer than the header", "segment missing"} {
		st := newKeyLog()
		f := feedOf(100)
		sv := storeFeed(st, f, nil, t.Logf)
		header, _ := st.Get(keyFeedPrefix + "main")
		apply(t, f, protocol.Event{Pos: 101, Kind: protocol.KindEdit, ID: "p99", Text: "edited", Time: 1})
		storeFeed(st, f, sv, t.Logf)
		_ = st.MemoryStore.Set(keyFeedPrefix+"main", header) // the header's write never happened
		if cut == "segment missing" {
			_ = st.MemoryStore.Delete(segmentKey("main", 97))
		}
		got, gsv := loaded(st)
		if got.Synced || len(got.Posts) != 0 || gsv != nil {
			t.Fatalf("%s: loaded synced %v with %d posts, want a fresh feed", cut, got.Synced, len(got.Posts))
		}
	}
}

// A feed stored whole by the version before segments still loads, and is
// stored in segments at its next flush.
func TestStoredFeedWholeStillLoads(t *testing.T) {
	st := newKeyLog()
	f := feedOf(40)
	b := fmt.Sprintf(`{"name":"main","pos":40,"synced":true,"begins":true,"posts":[%s]}`, postsJSON(f.Posts))
	_ = st.Set(keyFeedPrefix+"main", []byte(b))
	got, sv := loaded(st)
	sameFeed(t, got, f)
	storeFeed(st, got, sv, t.Logf)
	again, _ := loaded(st)
	sameFeed(t, again, f)
	h, _ := st.Get(keyFeedPrefix + "main")
	if strings.Contains(string(h), `"text"`) {
		t.Fatalf("the header still holds posts: %s", h)
	}
}

func postsJSON(ps []protocol.Post) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf(`{"id":%q,"feed":"main","author":{"id":"u1","name":"Ada"},"text":%q,"created":%d,"pos":%d}`, p.ID, p.Text, p.Created, p.Pos))
	}
	return strings.Join(parts, ",")
}

// samePost decides which segments are written: it must see a change in
// any field of a post.
func TestSamePostSeesEveryField(t *testing.T) {
	base := protocol.Post{ID: "a", Feed: "f", Author: protocol.User{ID: "u", Name: "n"}, Text: "t", Created: 1, Edited: 1, Pos: 1,
		Reactions: []protocol.Reaction{{Emoji: "👍", Users: []protocol.User{{ID: "u", Name: "n"}}, Count: 1}}}
	if !samePost(base, base) {
		t.Fatal("a post differs from itself")
	}
	typ := reflect.TypeOf(base)
	for i := 0; i < typ.NumField(); i++ {
		changed := base
		changed.Reactions = slices.Clone(base.Reactions)
		v := reflect.ValueOf(&changed).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString("other")
		case reflect.Int64:
			v.SetInt(2)
		case reflect.Uint64:
			v.SetUint(2)
		case reflect.Struct: // Author
			v.Field(0).SetString("other")
		case reflect.Slice: // Reactions
			changed.Reactions[0].Users = []protocol.User{{ID: "x"}}
		default:
			t.Fatalf("field %s of kind %v: teach this test and samePost about it", typ.Field(i).Name, v.Kind())
		}
		if samePost(base, changed) {
			t.Fatalf("samePost does not see a change of %s", typ.Field(i).Name)
		}
	}
	for _, r := range []protocol.Reaction{{Emoji: "❤️", Users: base.Reactions[0].Users, Count: 1}, {Emoji: "👍", Users: base.Reactions[0].Users, Count: 2}} {
		changed := base
		changed.Reactions = []protocol.Reaction{r}
		if samePost(base, changed) {
			t.Fatalf("samePost does not see reaction %+v", r)
		}
	}
}

// The outbox is written when an action is queued, not at a flush: a reload
// right after (no flush, no connection) still has it, and sends it.
func TestPendingSurvivesReloadRightAfter(t *testing.T) {
	st := NewMemoryStore()
	cfg := Config{Feeds: []string{"main"}, Store: st, Backoff: Backoff{Base: time.Millisecond, Cap: 5 * time.Millisecond}}
	s := New(cfg)
	op, err := s.Post("main", "queued then reloaded")
	if err != nil {
		t.Fatal(err)
	}
	again := New(cfg) // the reload: the first session never flushed nor ran
	p := again.Pending()
	if len(p) != 1 || p[0].Action.Op != op || p[0].Action.Text != "queued then reloaded" {
		t.Fatalf("after the reload the outbox holds %+v, want op %s", p, op)
	}
	end := newFakeEnd(t)
	again.dial = end.dial
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); again.Run(ctx) }()
	defer func() { cancel(); <-done }()
	c, _ := end.accept()
	if m, ok := c.nextAction(t).(protocol.Action); !ok || m.Op != op {
		t.Fatalf("the reloaded session sent %#v, want the queued action %s", m, op)
	}
}
