package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// postActor is what a post card can do to its post. The page implements
// it; tests record the calls.
type postActor interface {
	startEdit(id, text string)
	setEditDraft(text string)
	cancelEdit()
	saveEdit(ctx app.Context) string
	deletePost(ctx app.Context, id string)
	undoDelete(ctx app.Context, id string)
	react(ctx app.Context, id, emoji string)
	// unfolded reports whether the reader unfolded the long post key
	// (foldKey) with "Show more"; setUnfolded records it (fold.go).
	unfolded(key string) bool
	setUnfolded(key string, open bool)
	// pickerOpen reports whether the reaction picker of post id is open;
	// setPicker opens it, or with "" closes the open one: one at a time
	// (reaction-picker.go).
	pickerOpen(id string) bool
	setPicker(id string)
}

// postCard is one post: author, text (with its links, folded when long:
// post-text.go), time, reactions (reaction-bar.go) and, for the author,
// Edit and Delete.
//
// go-app reuses a card by its position when the list changes, and keeps
// the event handlers of the first render (it compares handlers by their
// code, not by what they captured; see handlers_test.go). So every handler
// here is a method that reads the post from the card's fields when it
// runs, never a closure over the post it was rendered with. What the
// reader opened in a card (a long post unfolded, the reaction picker) is
// the page's, by post id, read through Actor: it follows the post, not the
// card.
type postCard struct {
	app.Compo

	Actor     postActor
	Post      postView
	When      string
	Fresh     bool
	Editing   bool
	EditDraft string
}

func newPostCard(a postActor, v postView, when string, fresh, editing bool, draft string) *postCard {
	return &postCard{Actor: a, Post: v, When: when, Fresh: fresh, Editing: editing, EditDraft: draft}
}

func (c *postCard) Render() app.UI {
	v := c.Post
	if v.Deleting {
		return app.Article().Class("card post post-deleted").Aria("label", attrText("Deleted post by "+v.Author)).Body(
			app.P().Class("post-deleted-text").Text("Post deleted."),
			app.Button().Class("btn btn-ghost btn-sm").Type("button").Text("Undo").
				Aria("label", "Undo delete of your post").
				OnClick(c.onUndo),
		)
	}
	class := "card post"
	if v.Sending {
		class += " post-sending"
	}
	if c.Fresh {
		class += " post-fresh"
	}
	if v.Own {
		class += " post-own"
	}
	long := !c.Editing && foldable(v.Text)
	folded := long && (c.Actor == nil || !c.Actor.unfolded(foldKey(v)))
	return app.Article().Class(class).Aria("busy", v.Sending).Body(
		app.Div().Class("post-head").Body(
			newAvatar(v.AuthorID, v.Author, "md"),
			app.Div().Class("post-meta").Body(
				// A name is isolated from the text around it (bdi), so a
				// right-to-left name or one with direction marks cannot
				// reorder what follows.
				app.Bdi().Class("post-author").Text(v.Author),
				authorTag(v.AuthorHandle),
				app.Span().Class("post-time").Body(
					app.If(v.Sending, func() app.UI {
						return app.Span().Class("sending").Body(
							app.Span().Class("sending-dot").Aria("hidden", true),
							app.Text("Sending…"),
						)
					}).Else(func() app.UI {
						return app.Time().DateTime(isoTime(v.Created)).Title(exactTime(v.Created)).Text(c.When)
					}),
					app.If(v.Edited && !v.Saving, func() app.UI {
						return app.Span().Class("edited").Text(" · edited")
					}),
					app.If(v.Saving, func() app.UI {
						return app.Span().Class("sending").Text(" · Sending…")
					}),
				),
			),
			app.If(v.Own && v.ID != "" && !c.Editing, func() app.UI {
				return app.Div().Class("post-actions").Body(
					// Named "Edit" and "Delete", described by the post's
					// text: a screen reader says which post they act on.
					app.Button().Class("btn btn-ghost btn-sm").Type("button").Text("Edit").
						Aria("describedby", textID(v.ID)).OnClick(c.onEdit),
					app.Button().Class("btn btn-ghost btn-sm btn-danger").Type("button").Text("Delete").
						Aria("describedby", textID(v.ID)).OnClick(c.onDelete),
				)
			}),
		),
		app.If(c.Editing, func() app.UI { return c.renderEditor() }).
			Else(func() app.UI { return c.renderText(folded) }),
		app.If(long, func() app.UI { return c.renderFold(folded) }),
		app.If(v.ID != "", func() app.UI {
			return newReactionBar(c.Actor, v.ID, v.Reactions, c.Actor != nil && c.Actor.pickerOpen(v.ID))
		}),
	)
}

func (c *postCard) onEdit(ctx app.Context, e app.Event) { c.Actor.startEdit(c.Post.ID, c.Post.Text) }

func (c *postCard) onDelete(ctx app.Context, e app.Event) { c.Actor.deletePost(ctx, c.Post.ID) }

func (c *postCard) onUndo(ctx app.Context, e app.Event) { c.Actor.undoDelete(ctx, c.Post.ID) }

func (c *postCard) renderEditor() app.UI {
	n := textLen(c.EditDraft)
	over := n > protocol.MaxTextChars
	return app.Form().Class("post-editor").OnSubmit(c.onSubmitEdit).Body(
		app.Textarea().Class("compose-text").Aria("label", "Edit post").Rows(3).
			AutoFocus(true).
			Attr("value", c.EditDraft).
			OnInput(c.onEditInput).
			OnKeyDown(c.onEditKey),
		app.Div().Class("compose-foot").Body(
			app.Span().Class("counter").Text(itoa(n)+" / "+itoa(protocol.MaxTextChars)),
			app.Button().Class("btn btn-ghost").Type("button").Text("Cancel").OnClick(c.onCancelEdit),
			app.Button().Class("btn btn-primary").Type("submit").Disabled(n == 0 || over).Text("Save"),
		),
	)
}

func (c *postCard) onSubmitEdit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	c.save(ctx)
}

func (c *postCard) onEditInput(ctx app.Context, e app.Event) {
	c.Actor.setEditDraft(ctx.JSSrc().Get("value").String())
}

func (c *postCard) onEditKey(ctx app.Context, e app.Event) {
	switch key := e.Get("key").String(); {
	case key == "Escape":
		e.PreventDefault()
		c.Actor.cancelEdit()
	case key == "Enter" && (e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool()):
		e.PreventDefault()
		c.Actor.setEditDraft(ctx.JSSrc().Get("value").String())
		c.save(ctx)
	}
}

func (c *postCard) onCancelEdit(ctx app.Context, e app.Event) { c.Actor.cancelEdit() }

func (c *postCard) save(ctx app.Context) {
	if msg := c.Actor.saveEdit(ctx); msg != "" {
		app.Window().Call("alert", msg)
	}
}

// textID is the element id of a post's text (post ids are "p" and
// digits); none for a post not in the feed yet (go-app leaves out an empty
// id).
func textID(postID string) string {
	if postID == "" {
		return ""
	}
	return "text-" + postID
}

// exactTime is the local date and time of ms, for the hover title of a
// relative time.
func exactTime(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).Local().Format("Mon 2 Jan 2006, 15:04")
}

func isoTime(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// authorTag tells apart people with one display name: an account's
// @handle, or "guest" (whose name anyone may take).
func authorTag(handle string) app.UI {
	if handle == "" {
		return app.Span().Class("post-handle post-guest").Text("guest")
	}
	return app.Bdi().Class("post-handle").Text("@" + handle)
}
