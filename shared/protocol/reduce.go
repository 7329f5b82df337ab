package protocol

import "slices"

// The reducer: how a post follows from its events. The server's view, every
// node's, the browser's and the CLI's copy of a feed all apply events with
// PostOf and Post.Apply, so they agree on every post. How posts are held
// (a deleted post kept as a tombstone on the server, dropped by a client)
// is each holder's.

// PostOf is the post a KindPost event creates.
func PostOf(e Event) Post {
	return Post{ID: e.ID, Feed: e.Feed, Author: e.Author, Text: e.Text, Created: e.Time, Pos: e.Pos}
}

// Apply applies an edit or a reaction event to the post it is about; other
// kinds change nothing here (creating, deleting and removing posts is the
// holder's).
func (p *Post) Apply(e Event) {
	switch e.Kind {
	case KindEdit:
		p.Text, p.Edited = e.Text, e.Time
	case KindReact:
		p.Reactions = toggleReaction(p.Reactions, e.Emoji, e.Author, e.On)
	}
}

// toggleReaction applies a reaction event: the server resolved whether u
// adds (on) or takes back the reaction, so the count moves by one either
// way, whether or not u is among the users listed (a snapshot lists at most
// MaxReactionUsers). rs is not modified: copies of a post may share it.
func toggleReaction(rs []Reaction, emoji string, u User, on bool) []Reaction {
	rs = slices.Clone(rs)
	ri := slices.IndexFunc(rs, func(r Reaction) bool { return r.Emoji == emoji })
	if ri < 0 {
		if !on {
			return rs
		}
		rs = append(rs, Reaction{Emoji: emoji})
		ri = len(rs) - 1
	}
	total := rs[ri].Total()
	users := slices.DeleteFunc(slices.Clone(rs[ri].Users), func(x User) bool { return x.ID == u.ID })
	if on {
		users = append(users, u)
		total++
	} else {
		total--
	}
	total = max(total, len(users))
	if total == 0 {
		return slices.Delete(rs, ri, ri+1)
	}
	rs[ri].Users, rs[ri].Count = users, total
	return rs
}
