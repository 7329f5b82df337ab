package hub

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// user returns the i-th test user; names sort as the numbers do.
func user(i int) protocol.User {
	return protocol.User{ID: fmt.Sprintf("u%05d", i), Name: fmt.Sprintf("user %05d", i)}
}

func users(from, to int) []protocol.User {
	var us []protocol.User
	for i := from; i < to; i++ {
		us = append(us, user(i))
	}
	return us
}

// TestPresenceAtTheLimit: a presence message lists at most
// MaxPresenceList users, the first by name, and counts them all.
func TestPresenceAtTheLimit(t *testing.T) {
	const L = protocol.MaxPresenceList
	for _, n := range []int{1, L - 1, L, L + 1, 3 * L} {
		t.Run(fmt.Sprint("users=", n), func(t *testing.T) {
			h, now := New(), time.Now()
			s := &sink{}
			// Join in reverse order: the list is by name, not by arrival.
			for i := n - 1; i >= 0; i-- {
				sk := Sink(&sink{})
				if i == 0 {
					sk = s
				}
				h.Join("main", sk, user(i))
			}
			h.announce(now)
			want := users(0, min(n, L))
			for name, p := range map[string]protocol.Presence{"Presence": h.Presence("main"), "announced": *s.last} {
				if p.Count != n || p.Total() != n || p.More() != n-len(want) {
					t.Errorf("%s: count %d, total %d, more %d; want %d users", name, p.Count, p.Total(), p.More(), n)
				}
				if !slices.Equal(p.Online, want) {
					t.Errorf("%s: %d users listed, first %v; want the first %d by name", name, len(p.Online), p.Online[:1], len(want))
				}
			}
		})
	}
}

// TestPresenceCountsUsersNotConnections: the same user on two connections
// counts once and stays online until the last one leaves.
func TestPresenceCountsUsersNotConnections(t *testing.T) {
	h, now := New(), time.Now()
	s1, s2, s3 := &sink{}, &sink{}, &sink{}
	h.Join("main", s1, ada)
	h.Join("main", s2, ada)
	h.Join("main", s3, bob)
	h.announce(now)
	if p := *s3.last; p.Count != 2 || !slices.Equal(names(p), []string{"Ada", "Bob"}) {
		t.Fatalf("Ada twice and Bob: %+v", p)
	}
	n := s3.n
	h.Leave("main", s1)
	h.announce(now)
	if s3.n != n {
		t.Fatalf("a connection of a user still online was announced: %+v", *s3.last)
	}
	h.Leave("main", s2)
	h.announce(now)
	if p := *s3.last; p.Count != 1 || !slices.Equal(names(p), []string{"Bob"}) {
		t.Fatalf("after Ada's last connection left: %+v", p)
	}
	if p := h.Presence("nowhere"); p.Count != 0 || p.Online == nil || len(p.Online) != 0 {
		t.Fatalf("presence of a feed nobody follows: %#v", p)
	}
}

// TestPresenceAnnouncesCountChanges: a change beyond the listed users
// still reaches the subscribers (the count moves), at most every
// PresenceCountInterval; a change of the list goes out at once; nothing is
// announced when nothing changed.
func TestPresenceAnnouncesCountChanges(t *testing.T) {
	const L = protocol.MaxPresenceList
	h, now := New(), time.Now()
	s := &sink{}
	h.Join("main", s, user(1))
	for i := 2; i <= L; i++ {
		h.Join("main", &sink{}, user(i))
	}
	h.announce(now)
	late := &sink{}
	h.Join("main", late, user(L+5)) // sorts after the listed ones
	now = now.Add(PresenceInterval)
	h.announce(now)
	if p := *s.last; p.Count != L {
		t.Fatalf("a count-only change announced %v after the last announcement: %d", PresenceInterval, p.Count)
	}
	now = now.Add(PresenceCountInterval - PresenceInterval)
	h.announce(now)
	if p := *s.last; p.Count != L+1 || len(p.Online) != L {
		t.Fatalf("after one more user beyond the list: count %d, %d listed", p.Count, len(p.Online))
	}
	n := s.n
	now = now.Add(PresenceCountInterval)
	h.announce(now)
	if s.n != n {
		t.Fatal("announced again without a change")
	}
	// A user who sorts into the list: announced at the next tick, even
	// right after another announcement.
	h.Join("main", &sink{}, user(0))
	now = now.Add(PresenceInterval)
	h.announce(now)
	if p := *s.last; p.Count != L+2 || p.Online[0] != user(0) || s.n != n+1 {
		t.Fatalf("after a user joined at the top of the list: count %d, first %v (%d announcements)", p.Count, p.Online[0], s.n-n)
	}
	h.Leave("main", late)
	now = now.Add(PresenceCountInterval)
	h.announce(now)
	if p := *s.last; p.Count != L+1 || s.n != n+2 {
		t.Fatalf("after the unlisted user left: count %d (%d announcements)", p.Count, s.n-n)
	}
}

// TestPresenceFrameShared: subscribers who ask for a feed's presence
// between two changes get one frame; a change (a user beyond the listed
// ones too: the count) makes a new one, equal to Presence framed.
func TestPresenceFrameShared(t *testing.T) {
	const L = protocol.MaxPresenceList
	h := New()
	check := func(what string) []byte {
		t.Helper()
		f := h.PresenceFrame("main")
		if want := wsframe.Text(protocol.MustEncode(h.Presence("main"))); !bytes.Equal(f, want) {
			t.Fatalf("%s: frame %q, want %q", what, f, want)
		}
		return f
	}
	empty := check("no subscribers")
	for i := range L {
		h.Join("main", &sink{}, user(i))
	}
	a, b := check("listed"), check("again")
	if &a[0] != &b[0] {
		t.Error("presence unchanged: a second frame was made")
	}
	if bytes.Equal(a, empty) {
		t.Error("joins did not change the frame")
	}
	h.Join("main", &sink{}, user(L)) // beyond the list: only the count
	if c := check("count changed"); bytes.Equal(c, a) {
		t.Error("count changed, frame did not")
	}
	s := &sink{}
	h.Join("main", s, user(0)) // a second subscription of a listed user
	d := check("same users")
	h.Leave("main", s)
	if e := check("left again"); &d[0] != &e[0] {
		t.Error("presence unchanged by a second subscription: a new frame was made")
	}
}
