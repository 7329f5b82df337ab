package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// updateBanner offers to load a newly installed version.
type updateBanner struct {
	app.Compo

	Page *feedPage
}

func newUpdateBanner(p *feedPage) *updateBanner { return &updateBanner{Page: p} }

func (b *updateBanner) Render() app.UI {
	return app.Div().Class("banner").Role("region").Aria("label", "Update available").Body(
		app.Span().Text("A new version of Livefeed is ready."),
		app.Button().Class("btn btn-primary btn-sm").Type("button").Text("Update").
			OnClick(reload),
	)
}

// reload loads the page again (and with it a newly installed version).
func reload(ctx app.Context, e app.Event) { ctx.Reload() }
