package feed

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// want is the snapshot message a reader must get: SnapshotFor, encoded.
func wantSnapshot(v *View, feed, me, epoch string) []byte {
	s := v.SnapshotFor(feed, me)
	s.Epoch = epoch
	return protocol.MustEncode(s)
}

// reactedFeed is a feed of n posts (every 7th deleted) whose reactions
// were given by users u0..u(k-1), so that each user is first, later, or
// beyond the MaxReactionUsers listed in some reactions.
func reactedFeed(n, k int) *View {
	v := NewView()
	now := time.Now()
	pos := uint64(0)
	next := func(e protocol.Event) {
		pos++
		e.Feed, e.Pos, e.Prev, e.Time, e.Op = "main", pos, pos-1, now.UnixMilli(), fmt.Sprint("o", pos)
		v.apply(e, now)
	}
	user := func(i int) protocol.User {
		return protocol.User{ID: fmt.Sprintf("u%d", i), Name: strings.Repeat("n", 1+i%5) + " <&>"}
	}
	for i := range n {
		id := fmt.Sprint("p", pos+1)
		next(protocol.Event{Kind: protocol.KindPost, ID: id, Author: user(i), Text: fmt.Sprintf("post %d \"<b>\" é", i)})
		for j := range i % (k + 1) {
			u := user((i + j) % k)
			next(protocol.Event{Kind: protocol.KindReact, ID: id, Author: u, Emoji: protocol.Reactions[j%len(protocol.Reactions)], On: true})
		}
		if i%7 == 3 {
			next(protocol.Event{Kind: protocol.KindDelete, ID: id, Author: user(i)})
		}
	}
	return v
}

// TestSnapshotMessageIsSnapshotFor: every reader gets the bytes of their
// own SnapshotFor, whether the message is shared or made for them, in an
// ordinary feed and in one cut to MaxSnapshotBytes.
func TestSnapshotMessageIsSnapshotFor(t *testing.T) {
	const k = 2 * protocol.MaxReactionUsers
	readers := []string{"", "stranger"}
	for i := range k {
		readers = append(readers, fmt.Sprintf("u%d", i))
	}
	worstReaders := []string{"", fmt.Sprintf("u%030d", 0), fmt.Sprintf("u%030d", 29)}
	for _, c := range []struct {
		name    string
		v       *View
		feed    string
		readers []string
	}{
		{"ordinary", reactedFeed(protocol.MaxSnapshotPosts+40, k), "main", readers},
		{"cut", worstFeed(t, 60, 30), "worst", worstReaders},
		{"none", NewView(), "empty", readers[:2]},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, epoch := range []string{"", "e1"} {
				shared := 0
				var first []byte
				for _, me := range c.readers {
					got, pos := c.v.SnapshotMessage(c.feed, me, epoch)
					if want := wantSnapshot(c.v, c.feed, me, epoch); !bytes.Equal(got, want) {
						t.Fatalf("reader %q, epoch %q:\n got  %.300s…\n want %.300s…", me, epoch, got, want)
					}
					if pos != c.v.FeedLast(c.feed) {
						t.Fatalf("position %d, want %d", pos, c.v.FeedLast(c.feed))
					}
					if first == nil {
						first = got
					} else if &got[0] == &first[0] {
						shared++
					}
				}
				t.Logf("epoch %q: %d of %d readers got the shared message", epoch, shared+1, len(c.readers))
				if c.name == "ordinary" && shared == 0 {
					t.Error("no reader shared the message")
				}
			}
		})
	}
}

// TestSnapshotSharedPerPosition: the readers of one position share one
// message; the next event of the feed makes a new one, and an event of
// another feed does not.
func TestSnapshotSharedPerPosition(t *testing.T) {
	v := reactedFeed(50, 3)
	a, _ := v.SnapshotMessage("main", "stranger", "")
	b, _ := v.SnapshotMessage("main", "", "")
	if &a[0] != &b[0] {
		t.Fatal("two readers without reactions: the snapshot was encoded twice")
	}
	now := time.Now()
	last := v.FeedLast("main")
	v.apply(protocol.Event{Feed: "other", Pos: last + 1, Kind: protocol.KindPost, ID: "q1", Op: "x1", Text: "elsewhere"}, now)
	if c, _ := v.SnapshotMessage("main", "", ""); &c[0] != &a[0] {
		t.Error("an event of another feed made the snapshot again")
	}
	v.apply(protocol.Event{Feed: "main", Pos: last + 2, Prev: last, Kind: protocol.KindPost, ID: "p-new", Op: "x2", Text: "new"}, now)
	c, pos := v.SnapshotMessage("main", "", "")
	if pos != last+2 || !bytes.Equal(c, wantSnapshot(v, "main", "", "")) {
		t.Fatalf("after a new post: position %d, message %.200s", pos, c)
	}
}

// TestSharedSnapshotsBounded: at most MaxSharedSnapshots feeds, and at
// most MaxSharedSnapshotBytes, are kept; one more pushes one out.
func TestSharedSnapshotsBounded(t *testing.T) {
	v := NewView()
	now := time.Now()
	pos := uint64(0)
	post := func(feed, text string) {
		pos++
		v.apply(protocol.Event{Feed: feed, Pos: pos, Kind: protocol.KindPost, ID: fmt.Sprint("p", pos), Op: fmt.Sprint("o", pos), Text: text}, now)
	}
	for i := range MaxSharedSnapshots + 1 {
		feed := fmt.Sprint("f", i)
		post(feed, "hello")
		v.SnapshotMessage(feed, "", "")
		if n, want := len(v.snaps), min(i+1, MaxSharedSnapshots); n != want {
			t.Fatalf("after %d feeds: %d shared snapshots, want %d", i+1, n, want)
		}
	}
	// Bytes, in a view of their own: big snapshots (about 1 MB each,
	// cut) until one past the limit.
	v = NewView()
	big := strings.Repeat("<", protocol.MaxTextChars) // 6 bytes each, escaped
	per := 0
	for i := 0; ; i++ {
		feed := fmt.Sprint("big", i)
		for range protocol.MaxSnapshotBytes/(6*protocol.MaxTextChars) + 2 {
			post(feed, big)
		}
		msg, _ := v.SnapshotMessage(feed, "", "")
		per = len(msg)
		if v.snapBytes > MaxSharedSnapshotBytes {
			t.Fatalf("%d bytes of shared snapshots, over %d", v.snapBytes, MaxSharedSnapshotBytes)
		}
		if (i+1)*per > MaxSharedSnapshotBytes+per {
			break // one past the limit was asked for
		}
	}
	if v.snapBytes < MaxSharedSnapshotBytes-per {
		t.Fatalf("%d bytes kept, want within one snapshot (%d) of %d", v.snapBytes, per, MaxSharedSnapshotBytes)
	}
	// The count matches what is kept.
	sum := 0
	for _, sh := range v.snaps {
		sum += len(sh.msg)
	}
	if sum != v.snapBytes {
		t.Fatalf("counted %d bytes, kept %d", v.snapBytes, sum)
	}
}

// TestSnapshotFrameShared: the frame of the shared message is made once;
// a reader with a message of their own gets it framed.
func TestSnapshotFrameShared(t *testing.T) {
	v := reactedFeed(50, 3)
	a, _ := v.SnapshotFrame("main", "stranger", "e")
	b, _ := v.SnapshotFrame("main", "", "e")
	if &a[0] != &b[0] {
		t.Fatal("two readers without reactions: the snapshot was framed twice")
	}
	for _, me := range []string{"", "u1", "u2"} {
		f, _ := v.SnapshotFrame("main", me, "e")
		if p, ok := wsframe.Payload(f); !ok || !bytes.Equal(p, wantSnapshot(v, "main", me, "e")) {
			t.Fatalf("reader %q: frame of %.200s", me, p)
		}
	}
}
