package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// composeTextID is the compose box's textarea (compose-box.go).
const composeTextID = "compose-text"

// skipLink is the page's first focusable element while a feed is shown:
// "Skip to the compose box", off screen until it has the focus (web/app.css,
// .skip-link). It focuses the compose box itself: go-app would take the
// click as a navigation to the fragment, which scrolls but leaves the
// focus where it was.
type skipLink struct {
	app.Compo
}

// skipToCompose is the skip link on the feed, nothing on other screens.
func skipToCompose(signedIn bool) app.UI {
	return app.If(signedIn, func() app.UI { return &skipLink{} })
}

func (s *skipLink) Render() app.UI {
	return app.A().Class("skip-link").Href("#" + composeTextID).Text("Skip to the compose box").OnClick(s.onClick)
}

func (s *skipLink) onClick(ctx app.Context, e app.Event) {
	e.PreventDefault()
	e.StopImmediatePropagation() // not go-app's navigation (window.onclick)
	el := app.Window().GetElementByID(composeTextID)
	if !el.Truthy() {
		return
	}
	el.Call("focus", map[string]any{"preventScroll": true})
	el.Call("scrollIntoView", map[string]any{"block": "center"})
}
