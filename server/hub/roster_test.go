package hub

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"livefeed/shared/protocol"
)

func TestRosterOrderAndRefs(t *testing.T) {
	r := newRoster()
	for _, u := range []protocol.User{cyd, ada, bob, {ID: "u-ada2", Name: "Ada"}} {
		if !r.add(u) {
			t.Fatalf("add %v: not new", u)
		}
	}
	if r.add(bob) {
		t.Fatal("second source for Bob reported as new")
	}
	want := []protocol.User{ada, {ID: "u-ada2", Name: "Ada"}, bob, cyd}
	if got := r.first(10); !slices.Equal(got, want) {
		t.Fatalf("first(10) = %v, want %v", got, want)
	}
	if got := r.first(2); !slices.Equal(got, want[:2]) {
		t.Fatalf("first(2) = %v", got)
	}
	if r.remove(bob.ID) || r.len() != 4 {
		t.Fatal("Bob left with a source remaining")
	}
	if !r.remove(bob.ID) || r.len() != 3 {
		t.Fatal("Bob still there after his last source left")
	}
	if r.remove(bob.ID) || r.remove("nobody") {
		t.Fatal("removing an absent user changed the roster")
	}
	if got := newRoster().first(protocol.MaxPresenceList); got == nil || len(got) != 0 {
		t.Fatalf("empty roster's first = %#v, want an empty list", got)
	}
}

// TestRosterMatchesSort: after random adds and removes the roster holds
// what sorting the set would give.
func TestRosterMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := newRoster()
	refs := map[string]int{}
	users := map[string]protocol.User{}
	for range 5000 {
		i := rng.IntN(300)
		u := protocol.User{ID: fmt.Sprint("u", i), Name: fmt.Sprint("name ", i%37)}
		if rng.IntN(3) == 0 && refs[u.ID] > 0 {
			refs[u.ID]--
			r.remove(u.ID)
		} else {
			refs[u.ID]++
			users[u.ID] = u
			r.add(u)
		}
	}
	var want []protocol.User
	for id, n := range refs {
		if n > 0 {
			want = append(want, users[id])
		}
	}
	slices.SortFunc(want, compareUsers)
	if got := r.first(len(want) + 1); !slices.Equal(got, want) {
		t.Fatalf("roster %v\nwant %v", got, want)
	}
}
