package hub

import (
	"slices"
	"strings"

	"livefeed/shared/protocol"
)

// roster is a set of distinct users kept in presence order (by name, then
// id), with a count of the sources that name each user (this node's
// connections are one source, each other node of a cluster another). Adding
// or removing a user costs a binary search and a copy of the slice's tail;
// the first n users and the number of users are read without sorting, so a
// presence announcement costs O(MaxPresenceList), not O(users).
type roster struct {
	refs  map[string]int    // user id -> sources naming the user
	names map[string]string // user id -> the name it is sorted under
	users []protocol.User   // sorted by compareUsers, one per id
}

func newRoster() *roster {
	return &roster{refs: map[string]int{}, names: map[string]string{}}
}

// compareUsers orders users by name, then id: the order of presence lists.
func compareUsers(a, b protocol.User) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// add counts one more source for u and reports whether u is new to the
// set. A user keeps the name it was first added under (ids are issued
// with their names, so sources agree on it).
func (r *roster) add(u protocol.User) bool {
	if r.refs[u.ID]++; r.refs[u.ID] > 1 {
		return false
	}
	r.names[u.ID] = u.Name
	i, _ := slices.BinarySearchFunc(r.users, u, compareUsers)
	r.users = slices.Insert(r.users, i, u)
	return true
}

// remove counts one source less for the user with id and reports whether
// the user left the set (no source names them any more).
func (r *roster) remove(id string) bool {
	n, ok := r.refs[id]
	if !ok {
		return false
	}
	if n > 1 {
		r.refs[id] = n - 1
		return false
	}
	u := protocol.User{ID: id, Name: r.names[id]}
	if i, found := slices.BinarySearchFunc(r.users, u, compareUsers); found {
		r.users = slices.Delete(r.users, i, i+1)
	}
	delete(r.refs, id)
	delete(r.names, id)
	return true
}

// head is first without the copy: valid until the roster changes.
func (r *roster) head(n int) []protocol.User { return r.users[:min(n, len(r.users))] }

// len returns the number of distinct users.
func (r *roster) len() int { return len(r.users) }

// first returns a copy of the first n users in presence order (all of
// them when there are fewer).
func (r *roster) first(n int) []protocol.User {
	n = min(n, len(r.users))
	return append(make([]protocol.User, 0, n), r.users[:n]...)
}
