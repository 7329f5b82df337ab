package feed

import (
	"bytes"
	"encoding/json"
	"slices"
	"sync"

	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// Snapshots shared by the readers of a feed position.
//
// A snapshot differs from reader to reader only where the reader reacted:
// each reaction lists the reader first (listReactions). For a reader who
// did not react to any of the posts, or who is already the first listed,
// it is the snapshot for no one. So the view encodes each feed position's
// snapshot once, for no one, keeping where each post's encoding starts;
// a reader whose reactions move them up a list gets that message with the
// posts they moved in re-encoded, and everyone else the message itself.
// A connect storm into a feed of 500 posts then costs one encoding per
// feed position, not one per client.

// Bounds of the shared snapshots of one view: at most MaxSharedSnapshots
// feeds, and at most MaxSharedSnapshotBytes of encoded messages in all
// (each at most about protocol.MaxSnapshotBytes). One more pushes out any
// other. A feed's entry is dropped when the feed changes.
const (
	MaxSharedSnapshots     = 256
	MaxSharedSnapshotBytes = 64 << 20
)

// sharedSnapshot is the snapshot of one feed at one position and epoch.
type sharedSnapshot struct {
	f     *feedView // the feed it was made from (a restored view has new ones)
	pos   uint64
	epoch string

	once      sync.Once
	msg       []byte // the encoded message for no one
	frame     []byte // msg framed (wsframe.Text), made on first use under frameOnce
	frameOnce sync.Once
	off       []int           // where each post's encoding starts in msg; off[len(posts)] is where the list ends
	posts     []protocol.Post // the posts, reactions as in the view (not listed)
	// cut: the posts were cut to fit MaxSnapshotBytes; a reader whose
	// reactions change the message then gets a snapshot of their own
	// (SnapshotFor): the posts that fit may differ. So does one whose
	// changed posts would go over the budget collect applies (budget is
	// its start: the message's bytes other than the posts).
	cut    bool
	budget int
}

// sharedLocked returns feed f's shared snapshot at its position with
// epoch, made if need be; v.mu is held for reading, so f does not change.
func (v *View) sharedLocked(feed string, f *feedView, epoch string) *sharedSnapshot {
	v.snapMu.Lock()
	sh := v.snaps[feed]
	if sh == nil || sh.f != f || sh.pos != f.Last || sh.epoch != epoch {
		if sh != nil {
			v.snapBytes -= len(sh.msg)
		}
		sh = &sharedSnapshot{f: f, pos: f.Last, epoch: epoch}
		v.snaps[feed] = sh
	}
	v.snapMu.Unlock()
	sh.once.Do(func() {
		sh.build(feed)
		v.snapMu.Lock()
		defer v.snapMu.Unlock()
		if v.snaps[feed] != sh {
			return // replaced meanwhile: not counted
		}
		v.snapBytes += len(sh.msg)
		for k, o := range v.snaps { // any others: map order is random
			if len(v.snaps) <= MaxSharedSnapshots && v.snapBytes <= MaxSharedSnapshotBytes {
				break
			}
			if o != sh {
				v.snapBytes -= len(o.msg)
				delete(v.snaps, k)
			}
		}
	})
	return sh
}

// dropSharedLocked forgets feed's shared snapshot; v.mu is held for
// writing (the feed changes).
func (v *View) dropSharedLocked(feed string) {
	v.snapMu.Lock()
	if sh := v.snaps[feed]; sh != nil {
		v.snapBytes -= len(sh.msg)
		delete(v.snaps, feed)
	}
	v.snapMu.Unlock()
}

// build encodes the snapshot for no one, exactly as
// protocol.MustEncode(SnapshotFor(feed, "")) with the epoch would.
func (sh *sharedSnapshot) build(feed string) {
	sh.budget = protocol.SnapshotLen(feed, sh.pos, true)
	posts, stop := collect(sh.f.Posts, len(sh.f.Posts)-1, "", protocol.MaxSnapshotPosts, sh.budget, protocol.MaxSnapshotBytes)
	sh.cut = stop == stopBytes
	head, tail := snapshotFrame(protocol.Snapshot{Feed: feed, Pos: sh.pos, Posts: []protocol.Post{}, Truncated: sh.cut, Epoch: sh.epoch})
	// The posts as the view has them (collect listed their reactions):
	// newest first, the same ones.
	sh.posts = make([]protocol.Post, 0, len(posts))
	for i := len(sh.f.Posts) - 1; i >= 0 && len(sh.posts) < len(posts); i-- {
		if p := sh.f.Posts[i]; !p.Deleted {
			sh.posts = append(sh.posts, p.Post)
		}
	}
	b := append(make([]byte, 0, sh.budget+len(sh.epoch)+256*len(posts)), head...)
	sh.off = make([]int, 0, len(posts)+1)
	for i, p := range posts {
		if i > 0 {
			b = append(b, ',')
		}
		sh.off = append(sh.off, len(b))
		b = appendPost(b, p)
	}
	sh.off = append(sh.off, len(b))
	sh.msg = append(b, tail...)
}

// snapshotFrame returns the encoding of s (which has no posts) cut where
// its posts go: head ends with `"posts":[`, tail starts with `]`.
func snapshotFrame(s protocol.Snapshot) (head, tail []byte) {
	b := protocol.MustEncode(s)
	// The feed name comes first, and a valid one has no quote: the
	// first match is the field.
	i := bytes.Index(b, []byte(`"posts":[]`)) + len(`"posts":[`)
	return b[:i], b[i:]
}

func appendPost(b []byte, p protocol.Post) []byte {
	e, _ := json.Marshal(p) // a Post cannot fail to encode
	return append(b, e...)
}

// messageFor returns the message for reader me, or nil when me needs a
// snapshot of their own (see cut).
func (sh *sharedSnapshot) messageFor(me string) []byte {
	var moved []int // posts where me is listed, but not first
	if me != "" {
		for i, p := range sh.posts {
			if listedLater(p.Reactions, me) {
				moved = append(moved, i)
			}
		}
	}
	if len(moved) == 0 {
		return sh.msg
	}
	if sh.cut {
		return nil
	}
	b := make([]byte, 0, len(sh.msg)+64*len(moved))
	at := 0
	for _, i := range moved {
		b = append(b, sh.msg[at:sh.off[i]]...)
		c := sh.posts[i]
		c.Reactions = listReactions(c.Reactions, me)
		b = appendPost(b, c)
		at = sh.off[i+1]
		if i+1 < len(sh.posts) {
			at-- // the comma before the next post is copied with it
		}
	}
	b = append(b, sh.msg[at:]...)
	// Within the budget collect applies, the same posts are in.
	if sh.budget+sh.off[len(sh.posts)]-sh.off[0]+len(b)-len(sh.msg) > protocol.MaxSnapshotBytes {
		return nil
	}
	return b
}

// listedLater reports whether me gave one of rs but is not the first of
// its users: listReactions(rs, me) then differs from listReactions(rs, "").
func listedLater(rs []protocol.Reaction, me string) bool {
	for _, r := range rs {
		if len(r.Users) > 1 && slices.ContainsFunc(r.Users[1:], func(u protocol.User) bool { return u.ID == me }) {
			return true
		}
	}
	return false
}

// SnapshotFrame is SnapshotMessage as a WebSocket text frame
// (wsframe.Text), the shared message's frame made once too.
func (v *View) SnapshotFrame(feed, me, epoch string) ([]byte, uint64) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if f := v.feeds[feed]; f != nil {
		sh := v.sharedLocked(feed, f, epoch)
		if b := sh.messageFor(me); b != nil && &b[0] == &sh.msg[0] {
			sh.frameOnce.Do(func() { sh.frame = wsframe.Text(sh.msg) })
			return sh.frame, sh.pos
		}
	}
	msg, pos := v.snapshotMessageLocked(feed, me, epoch)
	return wsframe.Text(msg), pos
}

// SnapshotMessage is the encoded snapshot of feed for reader me with the
// log's epoch: the bytes of protocol.MustEncode of SnapshotFor(feed, me)
// with Epoch set, most often shared with every other reader of the same
// feed position (see sharedSnapshot). It returns the snapshot's position.
// Callers must not modify the message.
func (v *View) SnapshotMessage(feed, me, epoch string) ([]byte, uint64) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.snapshotMessageLocked(feed, me, epoch)
}

func (v *View) snapshotMessageLocked(feed, me, epoch string) ([]byte, uint64) {
	f := v.feeds[feed]
	if f == nil {
		return protocol.MustEncode(protocol.Snapshot{Feed: feed, Posts: []protocol.Post{}, Epoch: epoch}), 0
	}
	sh := v.sharedLocked(feed, f, epoch)
	if b := sh.messageFor(me); b != nil {
		return b, sh.pos
	}
	s := v.snapshotLocked(feed, me)
	s.Epoch = epoch
	return protocol.MustEncode(s), s.Pos
}
