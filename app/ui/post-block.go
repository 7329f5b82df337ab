package ui

import (
	"slices"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// cardState is what the cards of a block show besides their posts.
type cardState struct {
	Fresh     []string // ids of posts shown moments ago (highlighted)
	Editing   string   // the post being edited
	EditDraft string
	// Clock is the current time in 15 s steps, for relative times.
	Clock int64
}

// within is the part of s that concerns posts in blocks: a block is handed
// only what it or the blocks nested in it show, so a highlight or an edit
// renders no other block again.
func (s cardState) within(blocks ...[]postView) cardState {
	out := cardState{Clock: s.Clock}
	for _, b := range blocks {
		for _, p := range b {
			if p.ID == "" {
				continue
			}
			if slices.Contains(s.Fresh, p.ID) {
				out.Fresh = append(out.Fresh, p.ID)
			}
			if p.ID == s.Editing {
				out.Editing, out.EditDraft = s.Editing, s.EditDraft
			}
		}
	}
	return out
}

// postBlock is a run of consecutive posts, newest first, and, as its first
// child, the block of the posts just newer than it (see list-layout.go for
// why blocks nest).
type postBlock struct {
	app.Compo

	Actor postActor
	Posts []postView
	Newer [][]postView // the blocks nested in this one, oldest first
	Cards cardState
}

func newPostBlock(a postActor, posts []postView, newer [][]postView, cards cardState) *postBlock {
	return &postBlock{Actor: a, Posts: posts, Newer: newer, Cards: cards.within(append(newer, posts)...)}
}

func (b *postBlock) Render() app.UI {
	return app.Div().Class("post-block").Body(
		// Always a child at this place, a block or an empty one, so that
		// the cards after it keep theirs.
		app.If(len(b.Newer) > 0, func() app.UI {
			return newPostBlock(b.Actor, b.Newer[0], b.Newer[1:], b.Cards)
		}).Else(func() app.UI {
			return app.Div().Class("post-block")
		}),
		// The block's own cards are a component of their own: when only a
		// block nested in this one changes (a new post), this block
		// renders again but its cards are one comparison of unchanged
		// fields, not one per card.
		&postRun{Actor: b.Actor, Posts: b.Posts, Cards: b.Cards.within(b.Posts)},
	)
}

// postRun is the cards of one block's own posts, newest first.
type postRun struct {
	app.Compo

	Actor postActor
	Posts []postView
	Cards cardState
}

func (r *postRun) Render() app.UI {
	now := time.Unix(r.Cards.Clock*15, 0)
	return app.Div().Class("post-block").Body(
		app.Range(r.Posts).Slice(func(i int) app.UI {
			v := r.Posts[i]
			editing := v.ID != "" && v.ID == r.Cards.Editing
			draft := ""
			if editing {
				draft = r.Cards.EditDraft
			}
			// Two nodes per post (IfSlice flattens into the block): its
			// divider slot (seen-divider.go), then its card. The divider
			// coming or going shifts no card, and the card is not told,
			// so it does not render again either.
			divider := v.DividerAbove
			v.DividerAbove = false
			return app.IfSlice(true, func() []app.UI {
				return []app.UI{
					dividerSlot(divider),
					newPostCard(r.Actor, v, relTime(v.Created, now),
						v.ID != "" && slices.Contains(r.Cards.Fresh, v.ID), editing, draft),
				}
			})
		}),
	)
}
