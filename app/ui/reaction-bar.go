package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// reactionBar is a post's reactions: the ones it has, each a toggle with
// its count and who gave it (reactionButton), then "Add reaction", which
// opens the picker of every allowed emoji (reaction-picker.go).
//
// Like the card, its parts read the post they act on from their fields
// when an event fires.
type reactionBar struct {
	app.Compo

	Actor     postActor
	PostID    string
	Reactions []reactionView
	// Open: the picker is open (the page keeps which, by post id).
	Open bool
}

func newReactionBar(a postActor, postID string, rs []reactionView, open bool) *reactionBar {
	return &reactionBar{Actor: a, PostID: postID, Reactions: rs, Open: open}
}

func (b *reactionBar) Render() app.UI {
	add := app.Button().ID(addReactionID(b.PostID)).Class("react react-add").Type("button").
		Aria("label", "Add reaction").Title("Add reaction").Aria("expanded", b.Open).
		OnClick(b.onAdd).Body(
		app.Span().Class("react-add-icon").Aria("hidden", true).Text("☺\uFE0E+"),
	)
	if b.Open {
		add = add.Aria("controls", pickerID(b.PostID))
	}
	return app.Div().Class("reactions").Body(
		// The reactions in a box of their own, so that "Add reaction" stays
		// the same element when a reaction comes or goes (go-app matches
		// children by position): the focus given back to it stays.
		app.Span().Class("react-list").Body(
			app.Range(b.Reactions).Slice(func(i int) app.UI {
				return newReactionButton(b.Actor, b.PostID, b.Reactions[i])
			}),
		),
		add,
		app.If(b.Open, func() app.UI {
			return newReactionPicker(b.Actor, b.PostID, b.Reactions)
		}),
	)
}

// onAdd opens the picker of the post the bar shows now, or closes it.
func (b *reactionBar) onAdd(ctx app.Context, e app.Event) {
	if b.Actor.pickerOpen(b.PostID) {
		b.Actor.setPicker("")
		return
	}
	b.Actor.setPicker(b.PostID)
}

// addReactionID is the element id of a post's "Add reaction" button,
// where the focus goes back when its picker closes.
func addReactionID(postID string) string { return "react-add-" + postID }

// reactionButton is one reaction of a post: its emoji and its count (its
// accessible name), whether the user gave it (aria-pressed) and who gave
// it (its title). Clicking it gives or takes back the user's.
type reactionButton struct {
	app.Compo

	Actor    postActor
	PostID   string
	Reaction reactionView
}

func newReactionButton(a postActor, postID string, r reactionView) *reactionButton {
	return &reactionButton{Actor: a, PostID: postID, Reaction: r}
}

func (b *reactionButton) Render() app.UI {
	r := b.Reaction
	cls := "react"
	if r.Count == 0 {
		cls += " react-zero"
	}
	if r.Pending {
		cls += " react-pending"
	}
	return app.Button().Class(cls).Type("button").Aria("pressed", r.Mine).
		Title(reactionTitle(r)).OnClick(b.onClick).Body(
		app.Span().Class("react-emoji").Text(r.Emoji),
		app.Text(" "),
		app.Span().Class("react-count").Text(itoa(r.Count)),
	)
}

func (b *reactionButton) onClick(ctx app.Context, e app.Event) {
	b.Actor.react(ctx, b.PostID, b.Reaction.Emoji)
}

// reactionTitle says who gave a reaction ("Ann and Bob reacted with 🎉"):
// the button's title, shown on hover, and so its accessible description,
// read after its name (what it shows: the emoji and its count). Empty for
// a reaction no one gives any more (the user's pending take-back).
//
// Names are people's own text in an attribute: attrText (attr.go) keeps
// them in it when the page is prerendered on the server.
func reactionTitle(r reactionView) string {
	who := reactedBy(r.Names, r.Count)
	if who == "" {
		return ""
	}
	return attrText(who + " reacted with " + r.Emoji)
}
