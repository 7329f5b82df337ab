package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// postCard is one post: author, text, time, reactions and, for the
// author, Edit and Delete. Its edit state lives in the page (cards are
// reused by position when the list changes).
type postCard struct {
	app.Compo

	Page      *feedPage
	Post      postView
	When      string
	Fresh     bool
	Editing   bool
	EditDraft string
}

func newPostCard(p *feedPage, v postView, when string, fresh, editing bool, draft string) *postCard {
	return &postCard{Page: p, Post: v, When: when, Fresh: fresh, Editing: editing, EditDraft: draft}
}

func (c *postCard) Render() app.UI {
	v := c.Post
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
	return app.Article().Class(class).Aria("busy", v.Sending).Body(
		app.Div().Class("post-head").Body(
			newAvatar(v.AuthorID, v.Author, "md"),
			app.Div().Class("post-meta").Body(
				app.Span().Class("post-author").Text(v.Author),
				app.Span().Class("post-time").Body(
					app.If(v.Sending, func() app.UI {
						return app.Span().Class("sending").Body(
							app.Span().Class("sending-dot").Aria("hidden", true),
							app.Text("Sending…"),
						)
					}).Else(func() app.UI {
						return app.Time().DateTime(isoTime(v.Created)).Text(c.When)
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
					app.Button().Class("btn btn-ghost btn-sm").Type("button").Text("Edit").
						OnClick(func(ctx app.Context, e app.Event) { c.Page.startEdit(v.ID, v.Text) }),
					app.Button().Class("btn btn-ghost btn-sm btn-danger").Type("button").Text("Delete").
						OnClick(func(ctx app.Context, e app.Event) { c.Page.deletePost(ctx, v.ID) }),
				)
			}),
		),
		app.If(c.Editing, func() app.UI { return c.renderEditor() }).
			Else(func() app.UI { return app.P().Class("post-text").Text(v.Text) }),
		app.If(v.ID != "", func() app.UI {
			return app.Div().Class("reactions").Body(
				app.Range(v.Reactions).Slice(func(i int) app.UI {
					r := v.Reactions[i]
					cls := "react"
					if r.Count == 0 {
						cls += " react-zero"
					}
					if r.Pending {
						cls += " react-pending"
					}
					return app.Button().Class(cls).Type("button").Aria("pressed", r.Mine).
						OnClick(func(ctx app.Context, e app.Event) { c.Page.react(ctx, v.ID, r.Emoji) }).
						Body(
							app.Span().Class("react-emoji").Text(r.Emoji),
							app.Text(" "),
							app.Span().Class("react-count").Text(itoa(r.Count)),
						)
				}),
			)
		}),
	)
}

func (c *postCard) renderEditor() app.UI {
	n := textLen(c.EditDraft)
	over := n > protocol.MaxTextChars
	return app.Form().Class("post-editor").OnSubmit(func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		c.save(ctx)
	}).Body(
		app.Textarea().Class("compose-text").Aria("label", "Edit post").Rows(3).
			AutoFocus(true).
			Attr("value", c.EditDraft).
			OnInput(func(ctx app.Context, e app.Event) {
				c.Page.editDraft = ctx.JSSrc().Get("value").String()
			}).
			OnKeyDown(func(ctx app.Context, e app.Event) {
				switch key := e.Get("key").String(); {
				case key == "Escape":
					e.PreventDefault()
					c.Page.cancelEdit()
				case key == "Enter" && (e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool()):
					e.PreventDefault()
					c.Page.editDraft = ctx.JSSrc().Get("value").String()
					c.save(ctx)
				}
			}),
		app.Div().Class("compose-foot").Body(
			app.Span().Class("counter").Text(itoa(n)+" / "+itoa(protocol.MaxTextChars)),
			app.Button().Class("btn btn-ghost").Type("button").Text("Cancel").
				OnClick(func(ctx app.Context, e app.Event) { c.Page.cancelEdit() }),
			app.Button().Class("btn btn-primary").Type("submit").Disabled(n == 0 || over).Text("Save"),
		),
	)
}

func (c *postCard) save(ctx app.Context) {
	if msg := c.Page.saveEdit(ctx); msg != "" {
		app.Window().Call("alert", msg)
	}
}

func isoTime(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}
