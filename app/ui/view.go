package ui

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// postView is what a post card shows. Pending actions of the signed-in user
// are applied to it optimistically.
type postView struct {
	// ID is the post's id; empty for a post not yet in the feed.
	ID string
	// Pos is the post's position in the feed's log; 0 for a post not yet
	// in the feed.
	Pos      uint64
	Op       string // the pending post's op id
	Author   string
	AuthorID string
	// AuthorHandle is the author's @handle, empty for a guest.
	AuthorHandle string
	Text         string
	Created      int64 // Unix milliseconds
	Edited       bool
	Own          bool
	// Sending: a pending post the server has not acknowledged yet.
	Sending bool
	// Saving: an edit of this post is waiting in the outbox.
	Saving bool
	// Deleting: the user deleted it and can still take that back (the
	// delete is not sent until the undo window ends).
	Deleting  bool
	Reactions []reactionView
	// DividerAbove: the divider "New since you left" sits above this post
	// (seen-divider.go); set on one post at most.
	DividerAbove bool
}

// reactionView is one reaction a post has (reaction-bar.go).
type reactionView struct {
	Emoji   string
	Count   int
	Mine    bool
	Pending bool
	// Names are the names of those who reacted that the feed lists (at
	// most protocol.MaxReactionUsers; "You" first for the user); Count
	// has them all.
	Names []string
}

// buildPosts returns the posts to show, newest first: the user's pending
// posts, then the feed's posts with pending edits, deletions and reactions
// applied. Posts for which hidden returns true are left out (new posts held
// back while the reader is scrolled away); posts in deleting are shown as
// deleted, with a way to undo.
func buildPosts(f session.Feed, pending []session.Pending, me protocol.User, hidden func(id string) bool, deleting map[string]time.Time) []postView {
	type mods struct {
		text    *string
		deleted bool
		toggles map[string]int
	}
	var sending []postView
	byID := map[string]*mods{}
	mod := func(id string) *mods {
		m := byID[id]
		if m == nil {
			m = &mods{toggles: map[string]int{}}
			byID[id] = m
		}
		return m
	}
	for _, p := range pending {
		a := p.Action
		if a.Feed != f.Name {
			continue
		}
		switch p.Type {
		case protocol.TypePost:
			sending = append(sending, postView{
				Op: a.Op, Author: me.Name, AuthorID: me.ID, AuthorHandle: me.Handle, Text: a.Text,
				Created: p.Created, Own: true, Sending: p.AckedPos == 0,
				Reactions: reactionViews(nil, me, nil),
			})
		case protocol.TypeEdit:
			t := a.Text
			mod(a.ID).text = &t
		case protocol.TypeDelete:
			mod(a.ID).deleted = true
		case protocol.TypeReact:
			mod(a.ID).toggles[a.Emoji]++
		}
	}
	out := make([]postView, 0, len(f.Posts)+len(sending))
	for i := len(sending) - 1; i >= 0; i-- {
		out = append(out, sending[i])
	}
	for i := len(f.Posts) - 1; i >= 0; i-- {
		p := f.Posts[i]
		if hidden != nil && hidden(p.ID) {
			continue
		}
		v := postView{
			ID: p.ID, Pos: p.Pos, Author: p.Author.Name, AuthorID: p.Author.ID, AuthorHandle: p.Author.Handle, Text: p.Text,
			Created: p.Created, Edited: p.Edited != 0, Own: me.ID != "" && p.Author.ID == me.ID,
		}
		_, v.Deleting = deleting[p.ID]
		m := byID[p.ID]
		if m != nil {
			if m.deleted {
				continue
			}
			if m.text != nil {
				v.Text, v.Saving = *m.text, true
			}
		}
		var toggles map[string]int
		if m != nil {
			toggles = m.toggles
		}
		v.Reactions = reactionViews(p.Reactions, me, toggles)
		out = append(out, v)
	}
	return out
}

// reactionViews returns the reactions a post has, in display order: those
// someone gave (Count > 0) and those the user has a pending toggle of, with
// the user's pending toggles applied. The other allowed emojis are in the
// "Add reaction" picker.
func reactionViews(rs []protocol.Reaction, me protocol.User, toggles map[string]int) []reactionView {
	var out []reactionView
	for _, e := range protocol.Reactions {
		v := reactionView{Emoji: e}
		var users []protocol.User
		for _, r := range rs {
			if r.Emoji == e {
				v.Count = r.Total()
				v.Mine = slices.ContainsFunc(r.Users, func(u protocol.User) bool { return u.ID == me.ID })
				users = r.Users
			}
		}
		if n := toggles[e]; n > 0 {
			v.Pending = true
			if n%2 == 1 {
				if v.Mine {
					v.Count--
				} else {
					v.Count++
				}
				v.Mine = !v.Mine
			}
		}
		if v.Count <= 0 && !v.Pending {
			continue
		}
		v.Names = reactionNames(users, me, v.Mine)
		out = append(out, v)
	}
	return out
}

// reactionNames lists the names of users, the user's own as "You", first,
// if mine; at most protocol.MaxReactionUsers.
func reactionNames(users []protocol.User, me protocol.User, mine bool) []string {
	var names []string
	if mine {
		names = append(names, "You")
	}
	for _, u := range users {
		if len(names) == protocol.MaxReactionUsers {
			break
		}
		if u.ID != me.ID {
			names = append(names, u.Name)
		}
	}
	return names
}

// reactedBy says who gave a reaction of count users, names listed:
// "Ann", "Ann and Bob", "You, Ann and Bob", "Ann, Bob and 3 others", or
// "3 people" when none is listed.
func reactedBy(names []string, count int) string {
	if len(names) == 0 {
		if count <= 0 {
			return ""
		}
		return plural(count, "person", "people")
	}
	parts := names
	if others := count - len(names); others > 0 {
		parts = append(slices.Clip(names), plural(others, "other", "others"))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// relTime is a short relative time: "just now", "5 min ago", "3 h ago",
// "yesterday", "Mar 4", "Mar 4, 2023".
func relTime(ms int64, now time.Time) string {
	if ms <= 0 {
		return ""
	}
	t := time.UnixMilli(ms)
	d := now.Sub(t)
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < time.Hour:
		// Rounded, but never "60 min ago" (from 59 min 30 s).
		return fmt.Sprintf("%d min ago", min(59, max(1, int(d.Round(time.Minute)/time.Minute))))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	case d < 48*time.Hour:
		return "yesterday"
	case t.Year() == now.Year():
		return t.Format("Jan 2")
	default:
		return t.Format("Jan 2, 2006")
	}
}

// initial is the first letter of a name, for its avatar.
func initial(name string) string {
	name = strings.TrimSpace(name)
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return strings.ToUpper(string(r))
		}
	}
	if r, _ := utf8.DecodeRuneInString(name); r != utf8.RuneError {
		return string(r)
	}
	return "?"
}

// hue is a stable colour for a user id (0..359).
func hue(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % 360)
}

// plural returns "1 new post" / "3 new posts".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// textLen counts a text the way the server does: code points after
// trimming.
func textLen(s string) int { return utf8.RuneCountInString(strings.TrimSpace(s)) }
