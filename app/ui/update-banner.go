package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// updateBanner offers to load a new version (see update-check.go for when
// it shows). It is a status region: its text is announced when it appears.
type updateBanner struct {
	app.Compo

	Actor updater
}

// updater is what the banner asks of the page (update-check.go).
type updater interface {
	applyUpdate(ctx app.Context)
}

func (b *updateBanner) Render() app.UI {
	return app.Div().ID("update-banner").Class("banner").Role("status").Body(
		app.Span().Text("A new version of Livefeed is ready."),
		app.Button().Class("btn btn-primary btn-sm").Type("button").Text("Update").
			OnClick(b.update),
	)
}

// update loads the new version; pending actions stay in the outbox.
func (b *updateBanner) update(ctx app.Context, e app.Event) { b.Actor.applyUpdate(ctx) }

// reload loads the page again (and with it a newly installed version).
func reload(ctx app.Context, e app.Event) { ctx.Reload() }
