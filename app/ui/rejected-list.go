package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// rejectedView is one action the server refused.
type rejectedView struct {
	Op     string
	What   string // "Your post", "Your edit", ...
	Text   string // the text concerned, if any
	Reason string
}

func rejectedViews(rs []session.Rejected) []rejectedView {
	out := make([]rejectedView, 0, len(rs))
	for _, r := range rs {
		v := rejectedView{Op: r.Action.Op, Text: r.Action.Text, Reason: errorMessage(&r.Error)}
		switch r.Type {
		case protocol.TypePost:
			v.What = "Your post was not published"
		case protocol.TypeEdit:
			v.What = "Your edit was not saved"
		case protocol.TypeDelete:
			v.What = "The post was not deleted"
		case protocol.TypeReact:
			v.What = "Your reaction " + r.Action.Emoji + " was not added"
		default:
			v.What = "Your change was refused"
		}
		out = append(out, v)
	}
	return out
}

// rejectedList shows refused actions with their reasons.
type rejectedList struct {
	app.Compo

	Actor noticeActor
	Items []rejectedView
}

// noticeActor dismisses a refused action (the page; a recorder in tests).
type noticeActor interface {
	dismiss(ctx app.Context, op string)
}

func (l *rejectedList) Render() app.UI {
	return app.Div().Class("notices").Body(
		app.Range(l.Items).Slice(func(i int) app.UI { return &rejectedNotice{Actor: l.Actor, Item: l.Items[i]} }),
	)
}

// rejectedNotice is one refused action. Its Dismiss reads the action from
// the notice's fields when clicked (go-app reuses notices by position; see
// postCard).
type rejectedNotice struct {
	app.Compo

	Actor noticeActor
	Item  rejectedView
}

func (n *rejectedNotice) Render() app.UI {
	it := n.Item
	return app.Div().Class("notice").Role("alert").Body(
		app.Div().Class("notice-body").Body(
			app.Strong().Text(it.What+"."),
			app.Span().Text(" "+it.Reason),
			app.If(it.Text != "", func() app.UI {
				return app.Blockquote().Class("notice-text").Text(it.Text)
			}),
		),
		app.Button().Class("btn btn-ghost btn-sm").Type("button").Text("Dismiss").OnClick(n.onDismiss),
	)
}

func (n *rejectedNotice) onDismiss(ctx app.Context, e app.Event) { n.Actor.dismiss(ctx, n.Item.Op) }

// dismiss is a notice's Dismiss (noticeActor).
func (p *feedPage) dismiss(ctx app.Context, op string) {
	if s := cl.session(); s != nil {
		s.Dismiss(op)
		p.sync(ctx)
	}
}
