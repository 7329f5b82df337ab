package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// The divider "New since you left": when the reader comes back to a feed
// (whats-new.go says when), it sits above the newest post they had already
// seen, between the posts that came since and the ones they know.
//
// It is plain text, not a role=separator: the posts are in a role=feed,
// which ARIA allows to own articles only (axe reports any other role or
// labelled element in it as a critical aria-required-children violation).
// A screen reader reads its text between the two posts.
//
// It costs the list nothing when posts arrive: it is a flag on one post
// (postView.DividerAbove), so only the blocks holding the post it leaves
// and the post it moves to render again, and in a block every card is
// preceded by a slot (the divider or an empty text) so that the divider
// coming or going shifts no card.

// dividerText is what the divider says.
const dividerText = "New since you left"

// dividerAt returns the index, in posts (newest first, as shown), of the
// post the divider sits above: the newest post at or below the position
// seen, when a post by someone else is newer than seen and shown above it.
// It is -1 when there is no divider: seen is 0 (nothing seen before), no
// shown post is at or below it, or only the reader's own posts came since.
func dividerAt(posts []postView, seen uint64) int {
	if seen == 0 {
		return -1
	}
	others := false
	for i, v := range posts {
		if v.Pos != 0 && v.Pos <= seen {
			if others {
				return i
			}
			return -1
		}
		if !v.Own {
			others = true
		}
	}
	return -1
}

// withDivider returns posts with the divider on the post at index i only
// (none for i < 0). posts is not changed: if a flag must change, the
// result is a copy (the list compares its props with the slice it was
// given last, so changing that slice in place would go unnoticed).
func withDivider(posts []postView, i int) []postView {
	changed := false
	for j := range posts {
		if posts[j].DividerAbove != (j == i) {
			changed = true
			break
		}
	}
	if !changed {
		return posts
	}
	out := make([]postView, len(posts))
	copy(out, posts)
	for j := range out {
		out[j].DividerAbove = j == i
	}
	return out
}

// dividerSlot is what precedes a card in its block: the divider if it
// sits above that card, else an empty text (no box, no shift).
func dividerSlot(above bool) app.UI {
	if !above {
		return app.Text("")
	}
	return app.Div().Class("seen-divider").Body(
		app.Span().Class("seen-divider-text").Text(dividerText),
	)
}
