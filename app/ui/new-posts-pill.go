package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// pillActor is what the pill asks of the page (held-back.go).
type pillActor interface {
	showNew(ctx app.Context)
}

// newPostsPill is the "N new posts" button shown, instead of moving the
// page, when posts arrive while the reader is scrolled away from the top.
type newPostsPill struct {
	app.Compo

	Actor pillActor
	Count int
}

func (n *newPostsPill) Render() app.UI {
	return app.Div().Class("pill-slot").Body(
		app.If(n.Count > 0, func() app.UI {
			return app.Button().Class("pill").Type("button").
				OnClick(n.onClick).
				Body(
					app.Span().Class("pill-arrow").Aria("hidden", true).Text("↑"),
					app.Text(" "+plural(n.Count, "new post", "new posts")),
				)
		}),
	)
}

func (n *newPostsPill) onClick(ctx app.Context, e app.Event) { n.Actor.showNew(ctx) }
